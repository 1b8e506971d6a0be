// SPDX-License-Identifier: BSD-2-Clause
//
// SHA-1, SHA-256 and SHA-512 as plain structs, and HMAC (RFC 2104) over
// pre-computed states, fed incrementally.

#ifndef WEBHOOK_SIGNATURE_HMAC_HPP
#define WEBHOOK_SIGNATURE_HMAC_HPP

#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace webhook {

enum class HashAlgorithm { Sha1, Sha256, Sha512 };

// A digest, a MAC or a decoded signature: long enough for an ECDSA P-256
// signature in DER (at most 72 bytes).
struct Bytes {
    static constexpr std::size_t kCapacity = 80;

    // data is not zeroed (a MAC per secret per request): only its first
    // size bytes mean anything
    Bytes() : size(0) {}

    std::array<unsigned char, kCapacity> data;
    std::size_t                          size;

    std::string_view view() const
    {
        return {reinterpret_cast<const char *>(data.data()), size};
    }
};

// Overwrites memory that held a secret, a key's states or a MAC, so that
// the compiler cannot drop the stores as dead: glibc's explicit_bzero (a
// memset, a few instructions for a hash state) where there is one,
// OPENSSL_cleanse (a byte loop) elsewhere.
void wipe_memory(void *memory, std::size_t size);

// Constant-time equality; sizes are public (they are the algorithm's).
bool bytes_equal(const Bytes &a, const Bytes &b);

inline std::size_t digest_size(HashAlgorithm algorithm)
{
    switch (algorithm) {
    case HashAlgorithm::Sha1:   return SHA_DIGEST_LENGTH;
    case HashAlgorithm::Sha256: return SHA256_DIGEST_LENGTH;
    case HashAlgorithm::Sha512: return SHA512_DIGEST_LENGTH;
    }
    return 0;
}

// One running hash.  The state is a plain struct copied by value, so a
// pre-computed state starts a hash without allocating.  It is left
// uninitialised until init() and wiped when the hash goes (a state may
// stand for a key: HMAC's pre-computed ones), once, whatever happened to it
// before.
class Hash {
public:
    Hash() = default;
    ~Hash() { wipe(); }
    Hash(const Hash &other) { *this = other; }
    Hash &operator=(const Hash &other);

    bool init(HashAlgorithm algorithm);
    inline bool update(const void *data, std::size_t len);
    // The state is spent; init() or a copy starts it again.
    inline bool finish(Bytes &out);
    // inline: most hashes a check holds were never started
    void wipe()
    {
        if (live_) {
            wipe_state();
        }
    }

private:
    void wipe_state();
    // the bytes of state_ the algorithm uses
    std::size_t state_size() const;

    HashAlgorithm algorithm_ = HashAlgorithm::Sha256;
    bool          live_ = false;    // state_ holds something
    union {
        SHA_CTX     sha1;
        SHA256_CTX  sha256;
        SHA512_CTX  sha512;
    } state_;
};

// Inline: called for every piece of every body.  (OpenSSL 3 deprecates
// the SHA*_ functions: see hmac.cpp for why they are used.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
bool Hash::update(const void *data, std::size_t len)
{
    if (!live_) {
        return false;
    }
    switch (algorithm_) {
    case HashAlgorithm::Sha1:
        return SHA1_Update(&state_.sha1, data, len) == 1;
    case HashAlgorithm::Sha256:
        return SHA256_Update(&state_.sha256, data, len) == 1;
    case HashAlgorithm::Sha512:
        return SHA512_Update(&state_.sha512, data, len) == 1;
    }
    return false;
}

// Inline: twice per secret per request (the inner hash, the outer).
bool Hash::finish(Bytes &out)
{
    bool ok = false;

    if (!live_) {
        out.size = 0;
        return false;
    }

    switch (algorithm_) {
    case HashAlgorithm::Sha1:
        ok = SHA1_Final(out.data.data(), &state_.sha1) == 1;
        break;
    case HashAlgorithm::Sha256:
        ok = SHA256_Final(out.data.data(), &state_.sha256) == 1;
        break;
    case HashAlgorithm::Sha512:
        ok = SHA512_Final(out.data.data(), &state_.sha512) == 1;
        break;
    }
    out.size = ok ? digest_size(algorithm_) : 0;
    return ok;
}
#pragma GCC diagnostic pop

// Inline: a MAC starts from its key's inner state and finishes from its
// outer one, two copies per secret per request.
inline Hash &Hash::operator=(const Hash &other)
{
    if (this != &other) {
        // a state of the same algorithm is overwritten whole by the copy;
        // only another algorithm's could leave bytes behind
        if (!other.live_ || other.algorithm_ != algorithm_) {
            wipe();
        }
        algorithm_ = other.algorithm_;
        live_ = other.live_;
        if (live_) {
            // a copy of a known size, inline (a hash state is copied for
            // every secret of every request)
            switch (algorithm_) {
            case HashAlgorithm::Sha1:   state_.sha1 = other.state_.sha1; break;
            case HashAlgorithm::Sha256: state_.sha256 = other.state_.sha256; break;
            case HashAlgorithm::Sha512: state_.sha512 = other.state_.sha512; break;
            }
        }
    }
    return *this;
}

// A secret reduced to the two hash states HMAC starts from: the inner hash
// after absorbing key XOR ipad, the outer after key XOR opad (the
// pre-computation RFC 2104 section 4 describes).  Starting a MAC from a key
// is a copy of its inner state, and finishing it one of the outer: no
// allocation, no hash block, nothing shared that a check writes to, so one
// key serves any number of checks at once.
// The states are as good as the secret to a forger: they are wiped when the
// key goes.
class HmacKey {
public:
    HmacKey() = default;
    HmacKey(const HmacKey &) = delete;
    HmacKey &operator=(const HmacKey &) = delete;

    // False for an empty secret (or if OpenSSL fails).
    bool init(HashAlgorithm algorithm, std::string_view secret);

private:
    friend class Hmac;

    Hash  inner_;
    Hash  outer_;
    bool  ready_ = false;
};

// One running MAC: one state, the key's inner one, then its outer one
// when the inner hash is done.  The key must outlive the MAC (a check
// holds its keys; a MAC on the stack, its key).  Every operation reports
// failures by returning false; nothing throws.  Its state is wiped when it
// goes (Hash).
class Hmac {
public:
    Hmac() = default;
    Hmac(Hmac &&other) noexcept;
    Hmac &operator=(Hmac &&other) noexcept;
    Hmac(const Hmac &) = delete;
    Hmac &operator=(const Hmac &) = delete;

    // Starts from a pre-keyed secret, which stays the caller's.
    bool init(const HmacKey &key);
    // inline: called for every piece of every body
    bool update(const void *data, std::size_t len)
    {
        return key_ != nullptr && state_.update(data, len);
    }
    bool finish(Bytes &out);

private:
    Hash           state_;
    const HmacKey *key_ = nullptr;     // NULL: not running
};

}  // namespace webhook

#endif
