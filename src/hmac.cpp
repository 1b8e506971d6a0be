// SPDX-License-Identifier: BSD-2-Clause
//
// OpenSSL 3 deprecates the SHA256_* functions in favour of EVP_MD, whose
// contexts cannot be restored to a pre-computed state without allocating
// (EVP_MD_CTX_copy_ex() duplicates the provider context), and whose HMAC
// re-keys or duplicates on every init and final: about 1 µs per request,
// more than hashing a 1 KiB body.  The SHA256_* functions run the same
// assembly (SHA-NI, AVX2) on a plain struct that is copied by value.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "hmac.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <utility>

namespace webhook {

namespace {

constexpr std::size_t kBlockSize = SHA256_CBLOCK;   // 64 bytes
constexpr unsigned char kInnerPad = 0x36;
constexpr unsigned char kOuterPad = 0x5c;

// Starts a SHA-256 state with one block: the key block XOR the pad byte.
bool absorb_padded_key(SHA256_CTX &state, const unsigned char *key_block,
                       unsigned char pad)
{
    unsigned char block[kBlockSize];

    for (std::size_t i = 0; i < kBlockSize; i++) {
        block[i] = key_block[i] ^ pad;
    }
    bool ok = SHA256_Init(&state) == 1
              && SHA256_Update(&state, block, kBlockSize) == 1;
    OPENSSL_cleanse(block, sizeof(block));
    return ok;
}

// The key as one block: hashed when longer than a block, zero-padded.
bool key_block(std::string_view secret, unsigned char (&block)[kBlockSize])
{
    std::memset(block, 0, kBlockSize);

    if (secret.size() <= kBlockSize) {
        std::memcpy(block, secret.data(), secret.size());
        return true;
    }

    SHA256_CTX hash;
    bool ok = SHA256_Init(&hash) == 1
              && SHA256_Update(&hash, secret.data(), secret.size()) == 1
              && SHA256_Final(block, &hash) == 1;
    OPENSSL_cleanse(&hash, sizeof(hash));
    return ok;
}

}  // namespace


HmacKey::~HmacKey()
{
    OPENSSL_cleanse(&inner_, sizeof(inner_));
    OPENSSL_cleanse(&outer_, sizeof(outer_));
}

bool HmacKey::init(std::string_view secret)
{
    unsigned char block[kBlockSize];

    ready_ = !secret.empty()
             && key_block(secret, block)
             && absorb_padded_key(inner_, block, kInnerPad)
             && absorb_padded_key(outer_, block, kOuterPad);
    OPENSSL_cleanse(block, sizeof(block));
    return ready_;
}


HmacSha256::~HmacSha256()
{
    // finish() and moves have wiped the states already
    if (running_) {
        wipe();
    }
}

HmacSha256::HmacSha256(HmacSha256 &&other) noexcept
{
    *this = std::move(other);
}

HmacSha256 &HmacSha256::operator=(HmacSha256 &&other) noexcept
{
    if (this != &other) {
        inner_ = other.inner_;
        outer_ = other.outer_;
        running_ = other.running_;
        other.wipe();
    }
    return *this;
}

void HmacSha256::wipe()
{
    OPENSSL_cleanse(&inner_, sizeof(inner_));
    OPENSSL_cleanse(&outer_, sizeof(outer_));
    running_ = false;
}

bool HmacSha256::init(std::string_view secret)
{
    HmacKey key;
    return key.init(secret) && init(key);
}

bool HmacSha256::init(const HmacKey &key)
{
    if (!key.ready_) {
        wipe();
        return false;
    }
    inner_ = key.inner_;
    outer_ = key.outer_;
    running_ = true;
    return true;
}

bool HmacSha256::update(const void *data, std::size_t len)
{
    if (!running_) {
        return false;
    }
    return len == 0 || SHA256_Update(&inner_, data, len) == 1;
}

bool HmacSha256::finish(Mac &out)
{
    unsigned char inner_hash[SHA256_DIGEST_LENGTH];

    bool ok = running_
              && SHA256_Final(inner_hash, &inner_) == 1
              && SHA256_Update(&outer_, inner_hash, sizeof(inner_hash)) == 1
              && SHA256_Final(out.data(), &outer_) == 1;
    OPENSSL_cleanse(inner_hash, sizeof(inner_hash));
    wipe();
    return ok;
}

bool macs_equal(const Mac &a, const Mac &b)
{
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace webhook
