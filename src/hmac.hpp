// SPDX-License-Identifier: BSD-2-Clause
//
// HMAC-SHA256 (RFC 2104) over pre-computed SHA-256 states, fed incrementally.

#ifndef WEBHOOK_SIGNATURE_HMAC_HPP
#define WEBHOOK_SIGNATURE_HMAC_HPP

#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace webhook {

using Mac = std::array<unsigned char, 32>;

// A secret reduced to the two SHA-256 states HMAC starts from: the inner
// hash after absorbing key XOR ipad, the outer after key XOR opad (the
// pre-computation RFC 2104 section 4 describes).  Starting a MAC from a key
// is a copy of these states: no allocation, no SHA-256 block, nothing shared
// that a check writes to, so one key serves any number of checks at once.
// The states are as good as the secret to a forger: they are wiped when the
// key goes.
class HmacKey {
public:
    HmacKey() = default;
    ~HmacKey();
    HmacKey(const HmacKey &) = delete;
    HmacKey &operator=(const HmacKey &) = delete;

    // False for an empty secret (or if OpenSSL fails).
    bool init(std::string_view secret);

private:
    friend class HmacSha256;

    SHA256_CTX  inner_{};
    SHA256_CTX  outer_{};
    bool        ready_ = false;
};

// One running MAC.  Every operation reports failures by returning false;
// nothing throws.
class HmacSha256 {
public:
    HmacSha256() = default;
    ~HmacSha256();
    HmacSha256(HmacSha256 &&other) noexcept;
    HmacSha256 &operator=(HmacSha256 &&other) noexcept;
    HmacSha256(const HmacSha256 &) = delete;
    HmacSha256 &operator=(const HmacSha256 &) = delete;

    // Keys this MAC with a secret, for a secret known only per request.
    bool init(std::string_view secret);
    // Starts from a pre-keyed secret (copied: the key may go afterwards).
    bool init(const HmacKey &key);
    bool update(const void *data, std::size_t len);
    bool finish(Mac &out);

private:
    void wipe();

    SHA256_CTX  inner_{};
    SHA256_CTX  outer_{};
    bool        running_ = false;
};

// Constant-time equality of two MACs.
bool macs_equal(const Mac &a, const Mac &b);

}  // namespace webhook

#endif
