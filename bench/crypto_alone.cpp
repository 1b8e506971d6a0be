// SPDX-License-Identifier: BSD-2-Clause
//
// The signature check alone, for bench/instructions.sh: the OpenSSL calls
// the core makes for one request, over the same signed message, counted by
// callgrind the way the nginx locations are (counters zeroed, COUNT
// checks, one dump), so that
//
//     overhead = (module location - plain location) - crypto alone
//
// is what the module adds besides the cryptography.
//
//   crypto_alone ALGORITHM KEY SIGNATURE COUNT PIECE...
//
// ALGORITHM  hmac-sha1, hmac-sha256, hmac-sha512 or ed25519
// KEY        hex: the HMAC key bytes (as the core keys them, after any
//            decoding) or the Ed25519 public key
// SIGNATURE  hex: the MAC or signature the request carried
// PIECE      =TEXT or @FILE; the signed message is their concatenation
//
// HMAC as src/hmac.cpp computes it: inner and outer states pre-computed
// from the key once (outside the count), then per check a copy of each,
// one update per piece as the core feeds them (what precedes the body
// joined into one, then the body), the inner digest into the outer
// state.  The comparison with the signature is the module's own work, as
// is the core's wiping of its states: neither is counted here (the MAC
// is compared once, after the count).  Ed25519 as src/key.cpp: a context
// set up for the key once (outside the count), then per check
// EVP_DigestVerifyInit without a key (started again) and EVP_DigestVerify
// over the message kept whole, its own comparison within.
//
// Exits non-zero unless the checks verified: a wrong piece or key shows.
// Outside valgrind the CALLGRIND_* requests do nothing.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string &why)
{
    std::fprintf(stderr, "crypto_alone: %s\n", why.c_str());
    std::exit(2);
}

std::string unhex(const std::string &hex)
{
    if (hex.size() % 2 != 0) {
        fail("odd number of hex digits");
    }
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

std::string piece(const char *arg)
{
    if (arg[0] == '=') {
        return arg + 1;
    }
    if (arg[0] != '@') {
        fail(std::string("a piece is =TEXT or @FILE, not ") + arg);
    }
    std::ifstream in(arg + 1, std::ios::binary);
    if (!in) {
        fail(std::string("cannot read ") + (arg + 1));
    }
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// One hash's plain-struct API, as src/hmac.cpp uses it.
template <typename Ctx, int (*Init)(Ctx *),
          int (*Update)(Ctx *, const void *, std::size_t),
          int (*Final)(unsigned char *, Ctx *),
          std::size_t Block, std::size_t Digest>
struct HmacCheck {
    Ctx inner{}, outer{};
    std::string expected;
    std::vector<std::string> pieces;

    void key(std::string k)
    {
        unsigned char block[Block] = {};
        if (k.size() > Block) {
            unsigned char d[Digest];
            Ctx c;
            Init(&c);
            Update(&c, k.data(), k.size());
            Final(d, &c);
            k.assign(reinterpret_cast<char *>(d), Digest);
        }
        std::memcpy(block, k.data(), k.size());
        unsigned char pad[Block];
        for (std::size_t i = 0; i < Block; i++) pad[i] = block[i] ^ 0x36;
        Init(&inner);
        Update(&inner, pad, Block);
        for (std::size_t i = 0; i < Block; i++) pad[i] = block[i] ^ 0x5c;
        Init(&outer);
        Update(&outer, pad, Block);
    }

    mutable unsigned char mac[Digest] = {};

    // The MAC alone: comparing it with the signature is the module's own
    // work (its cost is part of the overhead), made once after the count.
    __attribute__((noinline)) void once() const
    {
        Ctx in = inner, out = outer;
        unsigned char digest[Digest];

        for (const std::string &p : pieces) {
            if (!p.empty()) {
                Update(&in, p.data(), p.size());
            }
        }
        Final(digest, &in);
        Update(&out, digest, Digest);
        Final(mac, &out);
    }

    bool verified() const
    {
        return expected.size() == Digest
               && CRYPTO_memcmp(mac, expected.data(), Digest) == 0;
    }
};

using Sha1Check = HmacCheck<SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final,
                            SHA_CBLOCK, SHA_DIGEST_LENGTH>;
using Sha256Check = HmacCheck<SHA256_CTX, SHA256_Init, SHA256_Update,
                              SHA256_Final, SHA256_CBLOCK,
                              SHA256_DIGEST_LENGTH>;
using Sha512Check = HmacCheck<SHA512_CTX, SHA512_Init, SHA512_Update,
                              SHA512_Final, SHA512_CBLOCK,
                              SHA512_DIGEST_LENGTH>;

struct Ed25519Check {
    EVP_PKEY *key = nullptr;
    EVP_MD_CTX *verifier = nullptr;     // set up for the key once
    std::string signature, message;

    mutable bool ok = true;

    // A verification compares within itself: it is counted whole.
    __attribute__((noinline)) void once() const
    {
        ok = EVP_DigestVerifyInit(verifier, nullptr, nullptr, nullptr,
                                  nullptr) == 1
             && EVP_DigestVerify(verifier,
                    reinterpret_cast<const unsigned char *>(signature.data()),
                    signature.size(),
                    reinterpret_cast<const unsigned char *>(message.data()),
                    message.size()) == 1
             && ok;
    }

    bool verified() const { return ok; }
};

// A few checks first, so that one-time costs (OpenSSL's CPU detection,
// Ed25519's algorithm fetch) stay out of the count, as the nginx side's
// warm-up keeps them out of its own; then zero, COUNT checks, dump.
template <typename Check>
int run(const Check &c, long count)
{
    CALLGRIND_START_INSTRUMENTATION;
    for (int i = 0; i < 3; i++) {
        c.once();
    }
    CALLGRIND_ZERO_STATS;
    for (long i = 0; i < count; i++) {
        c.once();
    }
    CALLGRIND_DUMP_STATS_AT("crypto");
    CALLGRIND_STOP_INSTRUMENTATION;
    if (!c.verified()) {
        fail("the signature does not verify over these pieces");
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 6) {
        fail("usage: crypto_alone ALGORITHM KEY SIGNATURE COUNT PIECE...");
    }
    std::string algorithm = argv[1];
    std::string key = unhex(argv[2]);
    std::string signature = unhex(argv[3]);
    long count = std::atol(argv[4]);
    std::vector<std::string> pieces;
    for (int i = 5; i < argc; i++) {
        pieces.push_back(piece(argv[i]));
    }

    if (algorithm == "ed25519") {
        Ed25519Check c;
        c.key = EVP_PKEY_new_raw_public_key(
            EVP_PKEY_ED25519, nullptr,
            reinterpret_cast<const unsigned char *>(key.data()), key.size());
        c.verifier = EVP_MD_CTX_new();
        if (c.key == nullptr || c.verifier == nullptr
            || EVP_DigestVerifyInit(c.verifier, nullptr, nullptr, nullptr,
                                    c.key) != 1)
        {
            fail("not an Ed25519 public key");
        }
        c.signature = signature;
        for (const std::string &p : pieces) {
            c.message += p;
        }
        return run(c, count);
    }

    auto hmac = [&](auto c) {
        c.key(key);
        c.expected = signature;
        c.pieces = pieces;
        return run(c, count);
    };
    if (algorithm == "hmac-sha1") return hmac(Sha1Check{});
    if (algorithm == "hmac-sha256") return hmac(Sha256Check{});
    if (algorithm == "hmac-sha512") return hmac(Sha512Check{});
    fail("unknown algorithm " + algorithm);
}
