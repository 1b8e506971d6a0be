// SPDX-License-Identifier: BSD-2-Clause
//
// Keys prepared for secrets that come per request (a variable: per-tenant
// secrets through a map), kept for the next request with the same secret.
// Keying a secret costs two hash blocks and its decoding (HMAC's
// pre-computed states, a base64 "whsec_" secret, a public key); looking it
// up here, a hint by its address (else a hash of its bytes) and one
// comparison of the bytes.
//
// One per process (an nginx worker's; checks are made by one thread at a
// time, webhook_signature.h), bounded (kSets x kWays keys, the least
// recently used of a set making room), and wiped: an evicted key and its
// copy of the secret are wiped when the last check using the key goes (a
// check shares the key, so eviction never pulls a key from under a request
// still reading its body), everything at exit.

#ifndef WEBHOOK_SIGNATURE_KEY_CACHE_HPP
#define WEBHOOK_SIGNATURE_KEY_CACHE_HPP

#include "key.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace webhook {

class KeyCache {
public:
    // 4,096 keys in all, in sets of 16: 1,000 tenants' keys (about 4 a
    // set) fit with room to spare, as no set fills before the whole is
    // full but for odds of about one in a million (2,048 left a set of 8
    // on average, and one in four times some set over 16)
    static constexpr std::size_t kSets = 256;
    static constexpr std::size_t kWays = 16;

    KeyCache() = default;
    ~KeyCache();
    KeyCache(const KeyCache &) = delete;
    KeyCache &operator=(const KeyCache &) = delete;

    // The key for secret in this algorithm and format: the kept one, or a
    // new one kept from now on.  nullptr with *why (as Key::init says it)
    // if the secret cannot be a key, or (*why nullptr) out of memory;
    // secrets that cannot be keys are not kept.
    std::shared_ptr<const Key> get(Algorithm algorithm, KeyFormat format,
                                   std::string_view secret, const char **why);

    // The process's cache.
    static KeyCache &local();

private:
    struct Entry {
        std::uint64_t               hash = 0;
        std::uint64_t               used = 0;   // when, in lookups; 0: empty
        Algorithm                   algorithm = Algorithm::HmacSha256;
        KeyFormat                   format = KeyFormat::Verbatim;
        std::string                 secret;
        std::shared_ptr<const Key>  key;

        void clear();
    };

    static std::uint64_t hash_of(Algorithm algorithm, KeyFormat format,
                                 std::string_view secret);
    static std::size_t hint_of(const char *address);
    bool holds(const Entry &e, Algorithm algorithm, KeyFormat format,
               std::string_view secret) const;
    std::shared_ptr<const Key> found(Entry &e, const char *address);

    // A map's values are configuration strings: a tenant's secret comes at
    // the same address on every request.  Where the secret last seen at an
    // address (hashed) was kept, 1-based (0: nowhere yet), tried before
    // the secret's bytes are hashed; the bytes are compared either way, so
    // a hint that no longer holds costs a comparison and nothing else.
    static constexpr std::size_t kHints = 8192;   // 16 KiB a worker

    std::unique_ptr<Entry[]>  entries_;     // kSets * kWays, made on first use
    std::uint16_t             hints_[kHints] = {};
    std::uint64_t             clock_ = 0;
};

}  // namespace webhook

#endif
