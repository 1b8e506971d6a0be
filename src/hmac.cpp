// SPDX-License-Identifier: BSD-2-Clause
//
// OpenSSL 3 deprecates the SHA*_ functions in favour of EVP_MD, whose
// contexts cannot be restored to a pre-computed state without allocating
// (EVP_MD_CTX_copy_ex() duplicates the provider context), and whose HMAC
// re-keys or duplicates on every init and final: about 1 µs per request,
// more than hashing a 1 KiB body.  The SHA*_ functions run the same
// assembly (SHA-NI, AVX2) on a plain struct that is copied by value.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "hmac.hpp"

#include <openssl/crypto.h>

#include <cstdint>
#include <cstring>
#include <utility>

namespace webhook {

namespace {

constexpr std::size_t kMaxBlockSize = SHA512_CBLOCK;   // 128 bytes
constexpr unsigned char kInnerPad = 0x36;
constexpr unsigned char kOuterPad = 0x5c;

std::size_t block_size(HashAlgorithm algorithm)
{
    return algorithm == HashAlgorithm::Sha512 ? SHA512_CBLOCK : SHA256_CBLOCK;
}

// Starts a hash with one block: the key block XOR the pad byte.
bool absorb_padded_key(Hash &state, HashAlgorithm algorithm,
                       const unsigned char *key_block, unsigned char pad)
{
    unsigned char block[kMaxBlockSize];
    std::size_t size = block_size(algorithm);

    for (std::size_t i = 0; i < size; i++) {
        block[i] = key_block[i] ^ pad;
    }
    bool ok = state.init(algorithm) && state.update(block, size);
    wipe_memory(block, sizeof(block));
    return ok;
}

// The key as one block: hashed when longer than a block, zero-padded.
bool key_block(HashAlgorithm algorithm, std::string_view secret,
               unsigned char (&block)[kMaxBlockSize])
{
    std::memset(block, 0, sizeof(block));

    if (secret.size() <= block_size(algorithm)) {
        std::memcpy(block, secret.data(), secret.size());
        return true;
    }

    Hash hash;
    Bytes digest;
    bool ok = hash.init(algorithm)
              && hash.update(secret.data(), secret.size())
              && hash.finish(digest);
    std::memcpy(block, digest.data.data(), digest.size);
    wipe_memory(digest.data.data(), digest.size);
    return ok;
}

}  // namespace

void wipe_memory(void *memory, std::size_t size)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 25)
    explicit_bzero(memory, size);
#else
    OPENSSL_cleanse(memory, size);
#endif
}

// 32 bytes a round, then 8 at a time (CRYPTO_memcmp goes byte by byte:
// about 230 instructions for a SHA-256 MAC, compared once per candidate
// per secret),
// the differences ORed together, with no exit before the end: the empty
// asm after each round makes the running difference opaque to the
// compiler, so it cannot stop at the first difference it sees.
bool bytes_equal(const Bytes &a, const Bytes &b)
{
    if (a.size != b.size) {
        return false;
    }

    const unsigned char *x = a.data.data();
    const unsigned char *y = b.data.data();
    std::uint64_t difference = 0;
    std::size_t i = 0;

    // a SHA-256 MAC in one round of four words
    auto word_difference = [x, y](std::size_t at) {
        std::uint64_t u, v;
        std::memcpy(&u, x + at, 8);
        std::memcpy(&v, y + at, 8);
        return u ^ v;
    };
    for (; i + 32 <= a.size; i += 32) {
        difference |= word_difference(i) | word_difference(i + 8)
                      | word_difference(i + 16) | word_difference(i + 24);
        __asm__ volatile("" : "+r"(difference));
    }
    for (; i + 8 <= a.size; i += 8) {
        difference |= word_difference(i);
        __asm__ volatile("" : "+r"(difference));
    }
    for (; i < a.size; i++) {
        difference |= static_cast<std::uint64_t>(x[i] ^ y[i]);
        __asm__ volatile("" : "+r"(difference));
    }
    return difference == 0;
}


std::size_t Hash::state_size() const
{
    switch (algorithm_) {
    case HashAlgorithm::Sha1:   return sizeof(state_.sha1);
    case HashAlgorithm::Sha256: return sizeof(state_.sha256);
    case HashAlgorithm::Sha512: return sizeof(state_.sha512);
    }
    return sizeof(state_);
}

bool Hash::init(HashAlgorithm algorithm)
{
    wipe();
    algorithm_ = algorithm;
    live_ = true;
    switch (algorithm) {
    case HashAlgorithm::Sha1:   return SHA1_Init(&state_.sha1) == 1;
    case HashAlgorithm::Sha256: return SHA256_Init(&state_.sha256) == 1;
    case HashAlgorithm::Sha512: return SHA512_Init(&state_.sha512) == 1;
    }
    return false;
}

void Hash::wipe_state()
{
    wipe_memory(&state_, state_size());
    live_ = false;
}


bool HmacKey::init(HashAlgorithm algorithm, std::string_view secret)
{
    unsigned char block[kMaxBlockSize];

    ready_ = !secret.empty()
             && key_block(algorithm, secret, block)
             && absorb_padded_key(inner_, algorithm, block, kInnerPad)
             && absorb_padded_key(outer_, algorithm, block, kOuterPad);
    wipe_memory(block, sizeof(block));
    return ready_;
}


Hmac::Hmac(Hmac &&other) noexcept
{
    *this = std::move(other);
}

Hmac &Hmac::operator=(Hmac &&other) noexcept
{
    if (this != &other) {
        state_ = other.state_;
        key_ = other.key_;
        other.state_.wipe();
        other.key_ = nullptr;
    }
    return *this;
}

bool Hmac::init(const HmacKey &key)
{
    if (!key.ready_) {
        state_.wipe();
        key_ = nullptr;
        return false;
    }
    state_ = key.inner_;
    key_ = &key;
    return true;
}

// The inner hash goes into out, then the outer state over it in the same
// place, so the MAC overwrites it (both are the digest's size).  The state
// stays until the MAC goes (wiped then, once); finished, it takes no more
// input.
bool Hmac::finish(Bytes &out)
{
    bool ok = key_ != nullptr && state_.finish(out);

    if (ok) {
        state_ = key_->outer_;
        ok = state_.update(out.data.data(), out.size) && state_.finish(out);
    }
    if (!ok) {
        wipe_memory(out.data.data(), out.data.size());
        out.size = 0;
    }
    key_ = nullptr;
    return ok;
}

}  // namespace webhook
