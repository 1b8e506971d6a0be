// HMAC-SHA256 over OpenSSL 3's EVP_MAC, fed incrementally.

#ifndef WEBHOOK_SIGNATURE_HMAC_HPP
#define WEBHOOK_SIGNATURE_HMAC_HPP

#include <array>
#include <cstddef>
#include <string_view>

typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace webhook {

using Mac = std::array<unsigned char, 32>;

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
    bool update(const void *data, std::size_t len);
    bool finish(Mac &out);

private:
    EVP_MAC_CTX *ctx_ = nullptr;
};

// Constant-time equality of two MACs.
bool macs_equal(const Mac &a, const Mac &b);

}  // namespace webhook

#endif
