// HMAC-SHA256 over OpenSSL 3's EVP_MAC, fed incrementally.

#ifndef WEBHOOK_SIGNATURE_HMAC_HPP
#define WEBHOOK_SIGNATURE_HMAC_HPP

#include <array>
#include <atomic>
#include <cstddef>
#include <string_view>

typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace webhook {

using Mac = std::array<unsigned char, 32>;

// A secret keyed once, when the configuration loads.  Keying a MAC per
// request costs two SHA-256 blocks plus OpenSSL's parameter handling and
// allocations: more than hashing a 1 KiB body.  A key keeps a keyed
// template that checks copy, and one spare context that a finished check
// hands back and the next one resets to the keyed state, so a worker
// verifying one request after another neither keys nor allocates.
// Thread-safe: the spare is swapped atomically.
class HmacKey {
public:
    HmacKey() = default;
    ~HmacKey();
    HmacKey(const HmacKey &) = delete;
    HmacKey &operator=(const HmacKey &) = delete;

    bool init(std::string_view key);

    // A context in the keyed state, or nullptr on failure.
    EVP_MAC_CTX *take() const;
    // Takes back a context that came from take(); frees it if one is spare.
    void give_back(EVP_MAC_CTX *ctx) const;

private:
    EVP_MAC_CTX *keyed_ = nullptr;
    mutable std::atomic<EVP_MAC_CTX *> spare_{nullptr};
};

// One running MAC.  Every operation reports OpenSSL failures by returning
// false; nothing throws.
class HmacSha256 {
public:
    HmacSha256() = default;
    ~HmacSha256();
    HmacSha256(HmacSha256 &&other) noexcept;
    HmacSha256 &operator=(HmacSha256 &&other) noexcept;
    HmacSha256(const HmacSha256 &) = delete;
    HmacSha256 &operator=(const HmacSha256 &) = delete;

    bool init(std::string_view key);
    // Starts from a pre-keyed secret, which must outlive this MAC.
    bool init(const HmacKey &key);
    bool update(const void *data, std::size_t len);
    // Also hands the context back to its HmacKey, if it came from one.
    bool finish(Mac &out);

private:
    void release();

    EVP_MAC_CTX    *ctx_ = nullptr;
    const HmacKey  *origin_ = nullptr;   // where ctx_ came from, if keyed
};

// Constant-time equality of two MACs.
bool macs_equal(const Mac &a, const Mac &b);

}  // namespace webhook

#endif
