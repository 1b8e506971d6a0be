// SPDX-License-Identifier: BSD-2-Clause

#include "key_cache.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <new>

namespace webhook {

KeyCache::~KeyCache()
{
    if (entries_) {
        for (std::size_t i = 0; i < kSets * kWays; i++) {
            entries_[i].clear();
        }
    }
}

void KeyCache::Entry::clear()
{
    if (!secret.empty()) {
        wipe_memory(&secret[0], secret.size());
        secret.clear();
    }
    key.reset();
    used = 0;
}

KeyCache &KeyCache::local()
{
    static KeyCache cache;
    return cache;
}

// A multiply per word of the secret, then a finalizer (MurmurHash3's)
// that spreads every bit over the bits a set is chosen by: tenants'
// secrets often differ only in their last bytes.  Multiplying by an odd
// number and XORing a word are both one-to-one, so two secrets that differ
// in one word never meet before the finalizer (two that differ in several
// may: their bytes are compared all the same).  Quick, and only ever
// compared with hashes of other configured secrets (no attacker picks a
// secret), so it needs no resistance to chosen collisions.
std::uint64_t KeyCache::hash_of(Algorithm algorithm, KeyFormat format,
                                std::string_view secret)
{
    constexpr std::uint64_t kMultiplier = 0x9e3779b97f4a7c15u;
    std::uint64_t h = (static_cast<std::uint64_t>(algorithm) << 8
                       | static_cast<std::uint64_t>(format)) ^ secret.size();
    const char *p = secret.data();
    const char *end = p + secret.size();
    // whole words, then the last eight bytes (overlapping the words
    // before: the length is in the hash already), or a short secret's
    // bytes one by one
    auto mix = [&h](std::uint64_t word) { h = (h ^ word) * kMultiplier; };
    for (; end - p > 8; p += 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        mix(word);
    }
    if (secret.size() >= 8) {
        std::uint64_t word;
        std::memcpy(&word, end - 8, 8);
        mix(word);
    } else {
        std::uint64_t word = 0;
        for (; p < end; p++) {
            word = word << 8 | static_cast<unsigned char>(*p);
        }
        mix(word);
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

// Fibonacci hashing of the address: its high bits pick the hint.
std::size_t KeyCache::hint_of(const char *address)
{
    static_assert(kHints == 8192, "thirteen bits of hint");
    static_assert(kSets * kWays < 65536, "a hint is an index + 1 in 16 bits");
    return static_cast<std::size_t>(
        reinterpret_cast<std::uintptr_t>(address) * 0x9e3779b97f4a7c15u >> 51);
}

bool KeyCache::holds(const Entry &e, Algorithm algorithm, KeyFormat format,
                     std::string_view secret) const
{
    return e.used != 0 && e.algorithm == algorithm && e.format == format
           && e.secret == secret;
}

std::shared_ptr<const Key> KeyCache::found(Entry &e, const char *address)
{
    e.used = ++clock_;
    std::size_t index = static_cast<std::size_t>(&e - &entries_[0]);
    hints_[hint_of(address)] = static_cast<std::uint16_t>(index + 1);
    return e.key;
}

std::shared_ptr<const Key> KeyCache::get(Algorithm algorithm, KeyFormat format,
                                         std::string_view secret,
                                         const char **why)
{
    *why = nullptr;
    if (!entries_) {
        entries_.reset(new (std::nothrow) Entry[kSets * kWays]);
        if (!entries_) {
            return nullptr;
        }
    }
    std::uint16_t hint = hints_[hint_of(secret.data())];
    if (hint != 0 && holds(entries_[hint - 1], algorithm, format, secret)) {
        return found(entries_[hint - 1], secret.data());
    }

    std::uint64_t h = hash_of(algorithm, format, secret);
    Entry *set = &entries_[(h >> 32) % kSets * kWays];
    Entry *victim = &set[0];
    for (std::size_t i = 0; i < kWays; i++) {
        Entry &e = set[i];
        if (e.hash == h && holds(e, algorithm, format, secret)) {
            return found(e, secret.data());
        }
        if (e.used < victim->used) {
            victim = &e;
        }
    }
    auto key = std::make_shared<Key>();
    *why = key->init(algorithm, format, secret);
    if (*why != nullptr) {
        return nullptr;
    }
    victim->clear();
    victim->hash = h;
    victim->algorithm = algorithm;
    victim->format = format;
    victim->secret.assign(secret);
    victim->key = key;
    return found(*victim, secret.data());
}

}  // namespace webhook
