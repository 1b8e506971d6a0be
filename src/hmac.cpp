#include "hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <utility>

namespace webhook {

namespace {

// Fetching the algorithm looks it up in the provider store; it is immutable
// once fetched, so each process does it once and keeps it until the module
// is unloaded (nginx dlclose()s it when its cycle ends; the destructor runs
// then, while OpenSSL is still up, and contexts keep their own references).
struct FetchedHmac {
    EVP_MAC *const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);

    ~FetchedHmac() { EVP_MAC_free(mac); }
};

EVP_MAC *hmac_algorithm()
{
    static const FetchedHmac fetched;
    return fetched.mac;
}

// A fresh context keyed with the secret, or nullptr.
EVP_MAC_CTX *new_keyed_context(std::string_view key)
{
    EVP_MAC *mac = hmac_algorithm();
    if (mac == nullptr || key.empty()) {
        return nullptr;
    }

    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (ctx == nullptr) {
        return nullptr;
    }

    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()
    };

    if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char *>(key.data()),
                     key.size(), params) != 1)
    {
        EVP_MAC_CTX_free(ctx);
        return nullptr;
    }
    return ctx;
}

}  // namespace


HmacKey::~HmacKey()
{
    EVP_MAC_CTX_free(spare_.load());
    EVP_MAC_CTX_free(keyed_);
}

bool HmacKey::init(std::string_view key)
{
    EVP_MAC_CTX_free(keyed_);
    keyed_ = new_keyed_context(key);
    return keyed_ != nullptr;
}

EVP_MAC_CTX *HmacKey::take() const
{
    if (keyed_ == nullptr) {
        return nullptr;
    }

    // Without a key or parameters, EVP_MAC_init() restarts from the keyed
    // state whatever the context last hashed.
    EVP_MAC_CTX *ctx = spare_.exchange(nullptr);
    if (ctx != nullptr) {
        if (EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1) {
            return ctx;
        }
        EVP_MAC_CTX_free(ctx);
    }
    return EVP_MAC_CTX_dup(keyed_);
}

void HmacKey::give_back(EVP_MAC_CTX *ctx) const
{
    EVP_MAC_CTX *expected = nullptr;

    if (ctx != nullptr && !spare_.compare_exchange_strong(expected, ctx)) {
        EVP_MAC_CTX_free(ctx);
    }
}


HmacSha256::~HmacSha256()
{
    release();
}

HmacSha256::HmacSha256(HmacSha256 &&other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)),
      origin_(std::exchange(other.origin_, nullptr))
{
}

HmacSha256 &HmacSha256::operator=(HmacSha256 &&other) noexcept
{
    if (this != &other) {
        release();
        ctx_ = std::exchange(other.ctx_, nullptr);
        origin_ = std::exchange(other.origin_, nullptr);
    }
    return *this;
}

void HmacSha256::release()
{
    if (origin_ != nullptr) {
        origin_->give_back(ctx_);
    } else {
        EVP_MAC_CTX_free(ctx_);
    }
    ctx_ = nullptr;
    origin_ = nullptr;
}

bool HmacSha256::init(std::string_view key)
{
    release();
    ctx_ = new_keyed_context(key);
    return ctx_ != nullptr;
}

bool HmacSha256::init(const HmacKey &key)
{
    release();
    ctx_ = key.take();
    origin_ = ctx_ != nullptr ? &key : nullptr;
    return ctx_ != nullptr;
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

    bool ok = ctx_ != nullptr
              && EVP_MAC_final(ctx_, out.data(), &len, out.size()) == 1
              && len == out.size();
    release();
    return ok;
}

bool macs_equal(const Mac &a, const Mac &b)
{
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace webhook
