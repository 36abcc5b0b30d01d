/*
 * netkey.h: the network key a joining enclave is pinned to (--network-key; the threat it
 * answers is in docs/security.md (Joins)).
 *
 * A node that fetches the network key from peers accepts any key an attested enclave of
 * the same build and trust anchors offers; peers of *another* network built the same way
 * pass that check. The pin closes it: the operator gives the key printed by the network's
 * --init node, either as its xpub text (111 characters) or as its compressed public key
 * (66 hex characters), and the enclave compares every key it is offered (and the key it
 * unseals) with it before it seals or uses anything.
 */
#ifndef ESGX_NETKEY_H
#define ESGX_NETKEY_H

#include <stdint.h>

#include "esgx_common.h"
#include "esgx_crypto.h"

typedef struct esgx_netkey_pin {
    int set;                                /* a pin was given */
    uint8_t public_key[33];                 /* the pinned network public key */
    char xpub[ESGX_BIP32_TEXT_LEN + 1];     /* the pinned xpub text; "" if pinned by key */
} esgx_netkey_pin;

/* Parses text (an xpub, or 66 hex characters of a compressed secp256k1 public key) into
 * pin. An xprv is refused (it is the secret; the pin is public). Returns 0 or
 * ESGX_ENCLAVE_E_CONFIG with err saying what was expected. */
ESGX_MUST_CHECK
int esgx_netkey_pin_parse(const char *text, esgx_netkey_pin *pin, esgx_err *err);

/* 1 when the key (its xpub text and public key) is the pinned one: the same public key,
 * and, for an xpub pin, the same xpub text (chain code included); also 1 when no pin is
 * set. 0 otherwise. */
int esgx_netkey_pin_matches(const esgx_netkey_pin *pin, const char *xpub,
                            const uint8_t public_key[33]);

/* The public key as 66 lowercase hex characters and a NUL. */
void esgx_netkey_hex(const uint8_t public_key[33], char out[67]);

/* The xpub text and public key of an xprv (e.g. one a peer offered). Returns 0, or
 * ESGX_ENCLAVE_E_CONFIG when xprv is not a private extended key. Wipes what it parsed. */
ESGX_MUST_CHECK
int esgx_netkey_of_xprv(const char *xprv, char xpub[ESGX_BIP32_TEXT_LEN + 1],
                        uint8_t public_key[33], esgx_err *err);

#endif
