// SPDX-License-Identifier: BSD-2-Clause
//
// A secret as a scheme uses it: decoded as the sender encodes it (verbatim,
// base64 after "whsec_", HTML entities, a public key) and prepared for its
// algorithm (HMAC states, a token digest, an OpenSSL public key).

#ifndef WEBHOOK_SIGNATURE_KEY_HPP
#define WEBHOOK_SIGNATURE_KEY_HPP

#include "hmac.hpp"

#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;

namespace webhook {

enum class Algorithm {
    HmacSha1,
    HmacSha256,
    HmacSha512,
    Token,              // the header is the secret itself (GitLab)
    Ed25519,
    EcdsaP256Sha256,
};

enum class KeyFormat {
    Verbatim,           // the secret's bytes are the key
    WhsecBase64,        // Standard Webhooks: base64 after an optional "whsec_"
    HtmlEntities,       // WooCommerce: wp_specialchars_decode(..., ENT_QUOTES)
    Ed25519Hex,         // Discord: the raw public key, 64 hex digits
    EcPublicKey,        // SendGrid: base64 DER SubjectPublicKeyInfo (or PEM)
};

inline bool is_hmac(Algorithm algorithm)
{
    return algorithm == Algorithm::HmacSha1
           || algorithm == Algorithm::HmacSha256
           || algorithm == Algorithm::HmacSha512;
}

inline HashAlgorithm hmac_hash(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::HmacSha1:   return HashAlgorithm::Sha1;
    case Algorithm::HmacSha512: return HashAlgorithm::Sha512;
    default:                    return HashAlgorithm::Sha256;
    }
}

class Key {
public:
    Key() = default;
    ~Key();
    Key(const Key &) = delete;
    Key &operator=(const Key &) = delete;

    // nullptr on success, else why the secret cannot be a key (for the
    // configuration error; it never quotes the secret).
    const char *init(Algorithm algorithm, KeyFormat format,
                     std::string_view secret);

    Algorithm algorithm() const { return algorithm_; }
    const HmacKey &hmac() const { return hmac_; }

    // Token: whether value is the secret (constant time, any length).
    bool token_matches(std::string_view value) const;
    // Ed25519: over the whole message.  ECDSA: over its SHA-256 digest.
    // Not for two threads at once (an nginx worker has one): a public key
    // verifies with the one context it keeps.
    bool verify(const Bytes &signature, std::string_view message) const;

private:
    Algorithm  algorithm_ = Algorithm::HmacSha256;
    HmacKey    hmac_;
    Bytes      token_digest_;
    EVP_PKEY  *public_key_ = nullptr;
    // Set up for the key once, and per message started again (Ed25519)
    // or used as it is (ECDSA's digests): the setup looks the key's type
    // up by name among every algorithm OpenSSL knows, about 12,000
    // instructions inside nginx, which loads them all.
    EVP_MD_CTX   *verifier_ = nullptr;          // Ed25519
    EVP_PKEY_CTX *digest_verifier_ = nullptr;   // ECDSA
};

// An ECDSA signature as the sender's library reads DER (SendGrid's
// starkbank-ecdsa: lengths in long form and superfluous leading zeros
// allowed, nothing after the values), re-encoded canonically for OpenSSL,
// which verifies canonical DER only.  false if it is not one.
bool ecdsa_signature_canonical(const Bytes &der, Bytes &out);

// SHA-256 of bytes, for tokens and ECDSA messages.
Bytes sha256(std::string_view bytes);

}  // namespace webhook

#endif
