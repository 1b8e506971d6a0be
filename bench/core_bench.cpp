// SPDX-License-Identifier: BSD-2-Clause
//
// Microbenchmark of the verification core alone: one full Novu check
// (create, headers, begin, update, finish, destroy) per iteration, as the
// nginx glue drives it, over bodies of the sizes given on the command line.
//
//   core_bench [SECONDS] SIZE...
//
// Prints one line per size and kind of secret (core-keyed: a literal secret
// keyed when the configuration loads; core: keyed per request, as secrets
// with variables are): microseconds per verification and MB/s, in
// process CPU time (as `openssl speed` counts by default), so that other
// load on the machine does not inflate the figures.  Every
// iteration must verify (the signature is computed with OpenSSL's one-shot
// EVP_Q_mac), so a broken core cannot look fast.

#include "webhook_signature.h"

#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

const std::string kSecret = "whsec_bench_0123456789abcdef";

ws_bytes_t bytes(const std::string &s)
{
    return {reinterpret_cast<const unsigned char *>(s.data()), s.size()};
}

std::string hex_hmac(const std::string &message)
{
    unsigned char mac[32];
    size_t len = 0;

    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr,
                  kSecret.data(), kSecret.size(),
                  reinterpret_cast<const unsigned char *>(message.data()),
                  message.size(), mac, sizeof(mac), &len) == nullptr)
    {
        std::fprintf(stderr, "core_bench: EVP_Q_mac failed\n");
        std::exit(1);
    }

    std::string hex;
    char digit[3];
    for (size_t i = 0; i < len; i++) {
        std::snprintf(digit, sizeof(digit), "%02x", mac[i]);
        hex += digit;
    }
    return hex;
}

int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(
               system_clock::now().time_since_epoch()).count();
}

// One verification exactly as the glue runs it for an in-memory body: with
// key, the secret keyed when the configuration loaded; without, keyed here.
ws_result_e verify_once(const std::string &header, const std::string &body,
                        int64_t now, ws_key_t *key)
{
    static const std::string name = "Novu-Signature";
    ws_bytes_t secret = bytes(kSecret);

    ws_check_t *check = ws_check_create(WS_SCHEME_NOVU);
    if (check == nullptr) {
        return WS_RESULT_ERROR;
    }

    ws_check_add_header(check, bytes(name), bytes(header));

    ws_result_e result = ws_check_headers(check, now, 300000);
    if (result == WS_RESULT_OK) {
        ws_secret_t prepared = {secret, key};
        result = ws_check_begin_secrets(check, &prepared, 1);
    }
    if (result == WS_RESULT_OK) {
        result = ws_check_update(check, body.data(), body.size());
    }
    if (result == WS_RESULT_OK) {
        result = ws_check_finish(check);
    }

    ws_check_destroy(check);
    return result;
}

double cpu_seconds()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

void bench_size(size_t size, double seconds, ws_key_t *key)
{
    std::string body(size, 'x');
    for (size_t i = 0; i < size; i++) {
        body[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7919) % 36];
    }

    int64_t now = now_ms();
    std::string timestamp = std::to_string(now);
    // Novu signs an empty body as "{}"
    std::string header = "t=" + timestamp + ",v1="
                         + hex_hmac(timestamp + "." + (size ? body : "{}"));

    const double start = cpu_seconds();
    unsigned long long iterations = 0;
    double elapsed = 0;

    // Batches keep the clock reads out of the measured cost.
    do {
        for (int i = 0; i < 64; i++) {
            if (verify_once(header, body, now, key) != WS_RESULT_OK) {
                std::fprintf(stderr, "core_bench: a valid request did not "
                             "verify at %zu bytes\n", size);
                std::exit(1);
            }
        }
        iterations += 64;
        elapsed = cpu_seconds() - start;
    } while (elapsed < seconds);

    double us = elapsed * 1e6 / static_cast<double>(iterations);
    double mbps = static_cast<double>(size) / us;   // bytes/µs == MB/s

    std::printf("%s %zu bytes: %.3f us/verification, %.1f MB/s "
                "(%llu iterations)\n", key != nullptr ? "core-keyed" : "core",
                size, us, mbps, iterations);
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: core_bench SECONDS SIZE...\n");
        return 2;
    }

    double seconds = std::atof(argv[1]);
    ws_key_t *key = ws_key_create(bytes(kSecret));
    if (key == nullptr) {
        std::fprintf(stderr, "core_bench: ws_key_create failed\n");
        return 1;
    }

    // a literal secret (keyed once) and one from a variable (keyed per check)
    for (ws_key_t *k : {key, static_cast<ws_key_t *>(nullptr)}) {
        for (int i = 2; i < argc; i++) {
            bench_size(static_cast<size_t>(std::strtoull(argv[i], nullptr, 10)),
                       seconds, k);
        }
    }
    ws_key_destroy(key);
    return 0;
}
