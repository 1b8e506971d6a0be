#include "hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <utility>

namespace webhook {

namespace {

// Fetching the algorithm looks it up in the provider store; it is immutable
// once fetched, so each process does it once and keeps it.
EVP_MAC *hmac_algorithm()
{
    static EVP_MAC *const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

}  // namespace

HmacSha256::~HmacSha256()
{
    EVP_MAC_CTX_free(ctx_);
}

HmacSha256::HmacSha256(HmacSha256 &&other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr))
{
}

HmacSha256 &HmacSha256::operator=(HmacSha256 &&other) noexcept
{
    if (this != &other) {
        EVP_MAC_CTX_free(ctx_);
        ctx_ = std::exchange(other.ctx_, nullptr);
    }
    return *this;
}

bool HmacSha256::init(std::string_view key)
{
    EVP_MAC *mac = hmac_algorithm();
    if (mac == nullptr || key.empty()) {
        return false;
    }

    EVP_MAC_CTX_free(ctx_);
    ctx_ = EVP_MAC_CTX_new(mac);
    if (ctx_ == nullptr) {
        return false;
    }

    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()
    };

    return EVP_MAC_init(ctx_,
                        reinterpret_cast<const unsigned char *>(key.data()),
                        key.size(), params) == 1;
}

bool HmacSha256::update(const void *data, std::size_t len)
{
    if (ctx_ == nullptr) {
        return false;
    }
    if (len == 0) {
        return true;
    }
    return EVP_MAC_update(ctx_, static_cast<const unsigned char *>(data),
                          len) == 1;
}

bool HmacSha256::finish(Mac &out)
{
    std::size_t len = 0;

    if (ctx_ == nullptr
        || EVP_MAC_final(ctx_, out.data(), &len, out.size()) != 1)
    {
        return false;
    }
    return len == out.size();
}

bool macs_equal(const Mac &a, const Mac &b)
{
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace webhook
