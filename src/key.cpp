// SPDX-License-Identifier: BSD-2-Clause

#include "key.hpp"

#include "encoding.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <string>

namespace webhook {

namespace {

constexpr std::string_view kWhsecPrefix = "whsec_";
constexpr std::size_t kEd25519KeySize = 32;

// The entities wp_specialchars_decode(..., ENT_QUOTES) turns back into
// characters: named ones, and decimal or hexadecimal references with any
// number of leading zeros.  One pass, as PHP's strtr makes it: what a
// replacement produces is not decoded again.
struct Entity {
    std::string_view named;    // "&lt;"
    unsigned         code;     // '<'
};

constexpr Entity kEntities[] = {
    { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' },
};

// The characters a numeric reference may stand for.
constexpr unsigned kNumericEntities[] = { '\'', '"', '<', '>', '&' };

// The length of the entity at text (0 if none) and its character.
std::size_t entity_at(std::string_view text, char &out)
{
    for (const Entity &e : kEntities) {
        if (text.substr(0, e.named.size()) == e.named) {
            out = static_cast<char>(e.code);
            return e.named.size();
        }
    }
    if (text.size() < 4 || text[1] != '#') {
        return 0;
    }

    bool hex = text[2] == 'x' || text[2] == 'X';
    std::size_t i = hex ? 3 : 2;
    unsigned value = 0;
    std::size_t digits = 0;

    for (; i < text.size() && text[i] != ';' && digits < 8; i++, digits++) {
        char c = text[i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
              : -1;
        if (d < 0) {
            return 0;
        }
        value = value * (hex ? 16 : 10) + static_cast<unsigned>(d);
    }
    if (digits == 0 || i == text.size() || text[i] != ';') {
        return 0;
    }
    for (unsigned c : kNumericEntities) {
        if (value == c) {
            out = static_cast<char>(c);
            return i + 1;
        }
    }
    return 0;
}

std::string html_entities_decoded(std::string_view text)
{
    std::string out;

    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ) {
        char c;
        std::size_t len = text[i] == '&' ? entity_at(text.substr(i), c) : 0;

        if (len == 0) {
            out.push_back(text[i++]);
        } else {
            out.push_back(c);
            i += len;
        }
    }
    return out;
}

EVP_PKEY *ec_public_key(std::string_view text)
{
    EVP_PKEY *key = nullptr;

    if (text.substr(0, 5) == "-----") {
        BIO *bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
        if (bio != nullptr) {
            key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
            BIO_free(bio);
        }
    } else {
        std::string der;
        if (decode_base64(text, der)) {
            const unsigned char *p =
                reinterpret_cast<const unsigned char *>(der.data());
            key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
        }
    }
    if (key == nullptr) {
        return nullptr;
    }

    char group[32];
    if (EVP_PKEY_get_id(key) != EVP_PKEY_EC
        || EVP_PKEY_get_group_name(key, group, sizeof(group), nullptr) != 1
        || std::strcmp(group, "prime256v1") != 0)
    {
        EVP_PKEY_free(key);
        return nullptr;
    }
    return key;
}

EVP_PKEY *ed25519_public_key(std::string_view hex)
{
    std::string raw;

    if (hex.size() != 2 * kEd25519KeySize || !decode_hex(hex, raw)) {
        return nullptr;
    }
    return EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr,
        reinterpret_cast<const unsigned char *>(raw.data()), raw.size());
}

// One DER element: its tag, then a length in short or long form.
bool der_element(const unsigned char *&p, const unsigned char *end,
                 unsigned char tag, std::size_t &len)
{
    if (end - p < 2 || *p++ != tag) {
        return false;
    }
    unsigned char first = *p++;
    if (first < 0x80) {
        len = first;
    } else {
        std::size_t n = first & 0x7f;
        if (n == 0 || n > 2 || static_cast<std::size_t>(end - p) < n) {
            return false;
        }
        len = 0;
        for (std::size_t i = 0; i < n; i++) {
            len = len << 8 | *p++;
        }
    }
    return static_cast<std::size_t>(end - p) >= len;
}

}  // namespace

bool ecdsa_signature_canonical(const Bytes &der, Bytes &out)
{
    const unsigned char *p = der.data.data();
    const unsigned char *end = p + der.size;
    std::size_t len, r_len, s_len;

    if (!der_element(p, end, 0x30, len) || p + len != end) {
        return false;
    }
    const unsigned char *r = nullptr;
    if (!der_element(p, end, 0x02, r_len) || r_len == 0) {
        return false;
    }
    r = p;
    p += r_len;
    if (!der_element(p, end, 0x02, s_len) || s_len == 0
        || p + s_len != end)
    {
        return false;
    }

    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *bn_r = BN_bin2bn(r, static_cast<int>(r_len), nullptr);
    BIGNUM *bn_s = BN_bin2bn(p, static_cast<int>(s_len), nullptr);
    bool ok = sig != nullptr && bn_r != nullptr && bn_s != nullptr
              && ECDSA_SIG_set0(sig, bn_r, bn_s) == 1;
    if (!ok) {
        BN_free(bn_r);
        BN_free(bn_s);
    } else {
        int size = i2d_ECDSA_SIG(sig, nullptr);
        unsigned char *q = out.data.data();
        ok = size > 0 && static_cast<std::size_t>(size) <= out.data.size()
             && i2d_ECDSA_SIG(sig, &q) == size;
        out.size = ok ? static_cast<std::size_t>(size) : 0;
    }
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    return ok;
}

Bytes sha256(std::string_view bytes)
{
    Hash hash;
    Bytes digest;

    if (!hash.init(HashAlgorithm::Sha256)
        || !hash.update(bytes.data(), bytes.size())
        || !hash.finish(digest))
    {
        digest.size = 0;
    }
    return digest;
}

Key::~Key()
{
    EVP_MD_CTX_free(verifier_);
    EVP_PKEY_CTX_free(digest_verifier_);
    EVP_PKEY_free(public_key_);
    wipe_memory(token_digest_.data.data(), token_digest_.data.size());
}

const char *Key::init(Algorithm algorithm, KeyFormat format,
                      std::string_view secret)
{
    algorithm_ = algorithm;

    if (secret.empty()) {
        return "is empty";
    }

    switch (format) {
    case KeyFormat::Ed25519Hex:
        public_key_ = ed25519_public_key(secret);
        if (public_key_ != nullptr) {
            verifier_ = EVP_MD_CTX_new();
            if (verifier_ == nullptr
                || EVP_DigestVerifyInit(verifier_, nullptr, nullptr, nullptr,
                                        public_key_) != 1)
            {
                ERR_clear_error();
                return "cannot be an Ed25519 verifier";
            }
        }
        ERR_clear_error();      // a key that does not decode: see verify()
        return public_key_ != nullptr
               ? nullptr : "is not an Ed25519 public key of 64 hex digits";

    case KeyFormat::EcPublicKey:
        public_key_ = ec_public_key(secret);
        if (public_key_ != nullptr) {
            digest_verifier_ = EVP_PKEY_CTX_new(public_key_, nullptr);
            if (digest_verifier_ == nullptr
                || EVP_PKEY_verify_init(digest_verifier_) != 1
                || EVP_PKEY_CTX_set_signature_md(digest_verifier_,
                                                 EVP_sha256()) != 1)
            {
                ERR_clear_error();
                return "cannot be a P-256 verifier";
            }
        }
        ERR_clear_error();
        return public_key_ != nullptr
               ? nullptr
               : "is not a P-256 public key in base64 DER or PEM";

    case KeyFormat::WhsecBase64: {
        if (secret.substr(0, kWhsecPrefix.size()) == kWhsecPrefix) {
            secret.remove_prefix(kWhsecPrefix.size());
        }
        std::string raw;
        bool ok = decode_base64(secret, raw) && !raw.empty()
                  && hmac_.init(hmac_hash(algorithm), raw);
        wipe_memory(&raw[0], raw.size());
        return ok ? nullptr : "is not base64 after the \"whsec_\" prefix";
    }

    case KeyFormat::HtmlEntities: {
        std::string decoded = html_entities_decoded(secret);
        bool ok = !decoded.empty() && hmac_.init(hmac_hash(algorithm), decoded);
        wipe_memory(&decoded[0], decoded.size());
        return ok ? nullptr : "cannot be a key";
    }

    case KeyFormat::Verbatim:
        break;
    }

    if (algorithm == Algorithm::Token) {
        token_digest_ = sha256(secret);
        return token_digest_.size != 0 ? nullptr : "cannot be a key";
    }
    return hmac_.init(hmac_hash(algorithm), secret) ? nullptr
                                                   : "cannot be a key";
}

bool Key::token_matches(std::string_view value) const
{
    // Digests of both sides, so that neither the secret's length nor where
    // a guess first differs shows in the time taken.
    Bytes digest = sha256(value);
    return token_digest_.size != 0 && bytes_equal(digest, token_digest_);
}

bool Key::verify(const Bytes &signature, std::string_view message) const
{
    if (public_key_ == nullptr) {
        return false;
    }

    bool ok = false;

    if (algorithm_ == Algorithm::Ed25519) {
        // no key given: the kept context starts again with its own
        ok = verifier_ != nullptr
             && EVP_DigestVerifyInit(verifier_, nullptr, nullptr, nullptr,
                                     nullptr) == 1
             && EVP_DigestVerify(verifier_, signature.data.data(),
                      signature.size,
                      reinterpret_cast<const unsigned char *>(message.data()),
                      message.size()) == 1;

    } else if (algorithm_ == Algorithm::EcdsaP256Sha256) {
        // message is the SHA-256 digest of the signed message
        ok = digest_verifier_ != nullptr
             && EVP_PKEY_verify(digest_verifier_, signature.data.data(),
                      signature.size,
                      reinterpret_cast<const unsigned char *>(message.data()),
                      message.size()) == 1;
    }

    // A signature that does not verify leaves OpenSSL's reasons on the
    // thread's error queue; nginx's own SSL code would find them on its
    // next TLS operation and log them as "stale global SSL error".
    if (!ok) {
        ERR_clear_error();
    }
    return ok;
}

}  // namespace webhook
