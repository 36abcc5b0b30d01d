/*
 * util.c: small helpers of lib/attest: hex, SHA-256, raw (r||s) ECDSA-P256 signatures
 * and raw (x||y) public keys over OpenSSL 3's EVP API, and Intel's ISO 8601 dates.
 *
 * Helpers that fail return ESGX_OK or ESGX_ATTEST_E_ARG (bad text) /
 * ESGX_ATTEST_E_INTERNAL (OpenSSL); esgx_attest_verify_raw is a predicate (1 valid, 0 not).
 *
 * Intel's formats carry ECDSA signatures as 64 raw bytes and public keys as 64 raw
 * bytes; OpenSSL wants DER signatures and encoded points, so the conversions live here
 * and nowhere else.
 */
#include "attest_int.h"
#include "esgx_crypto.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void esgx_attest_hex(const uint8_t *in, size_t len, char *out)
{
    esgx_crypto_hex_encode(in, len, out);
}

int esgx_attest_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t n)
{
    if (!hex || hex_len != 2 * n || esgx_crypto_hex_decode(hex, hex_len, out, n, NULL, NULL))
        return ESGX_ATTEST_E_ARG;
    return ESGX_OK;
}

void esgx_attest_sha256(const void *data, size_t len, uint8_t out[32])
{
    SHA256(data, len, out);
}

EVP_PKEY *esgx_attest_pkey_from_raw(const uint8_t xy[64])
{
    uint8_t pt[65];
    pt[0] = 0x04;
    memcpy(pt + 1, xy, 64);
    EVP_PKEY *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!bld || !ctx ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)) || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

int esgx_attest_pkey_to_raw(EVP_PKEY *key, uint8_t xy[64])
{
    uint8_t pt[65];
    size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
                                        sizeof pt, &n) != 1 || n != 65 || pt[0] != 4)
        return ESGX_ATTEST_E_INTERNAL;
    memcpy(xy, pt + 1, 64);
    return 0;
}

int esgx_attest_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    int ok = 0;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
    uint8_t *der = NULL;
    int der_len;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!s || !r || !ss || !md) {
        BN_free(r);
        BN_free(ss);
        goto out;
    }
    ECDSA_SIG_set0(s, r, ss);
    der_len = i2d_ECDSA_SIG(s, &der);
    if (der_len <= 0)
        goto out;
    if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestVerify(md, der, (size_t)der_len, msg, len) == 1)
        ok = 1;
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(md);
    return ok;
}

int esgx_attest_sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    int rc = ESGX_ATTEST_E_INTERNAL;
    uint8_t der[80];
    size_t der_len = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ECDSA_SIG *s = NULL;
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &der_len, msg, len) != 1)
        goto out;
    const uint8_t *p = der;
    if (!(s = d2i_ECDSA_SIG(NULL, &p, (long)der_len)))
        goto out;
    if (BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32) != 32)
        goto out;
    rc = 0;
out:
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(md);
    return rc;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int esgx_attest_parse_time(const char *s, int64_t *out)
{
    if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return ESGX_ATTEST_E_ARG;
    static const int digits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    for (size_t i = 0; i < sizeof digits / sizeof digits[0]; i++)
        if (s[digits[i]] < '0' || s[digits[i]] > '9')
            return ESGX_ATTEST_E_ARG;
    struct tm tm = {0};
    tm.tm_year = num(s, 4) - 1900;
    tm.tm_mon = num(s + 5, 2) - 1;
    tm.tm_mday = num(s + 8, 2);
    tm.tm_hour = num(s + 11, 2);
    tm.tm_min = num(s + 14, 2);
    tm.tm_sec = num(s + 17, 2);
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return ESGX_ATTEST_E_ARG;
    *out = (int64_t)timegm(&tm);
    return 0;
}

void esgx_attest_format_time(int64_t t, char out[21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
