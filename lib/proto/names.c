/*
 * names.c: the text forms of the HTTP API shared by esgxd and the CLI (esgx_proto.h):
 * content hashes (64 lowercase hex characters, as b3sum prints them) and function
 * names (1..64 of [A-Za-z0-9._-], safe in URLs and file names).
 */
#include "esgx_proto.h"

#include "esgx_crypto.h"

int esgx_proto_hash_text_valid(const char *s, size_t n)
{
    if (!s || n != 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

int esgx_proto_name_valid(const char *s, size_t n)
{
    return esgx_name_valid(s, n);   /* one rule, kept with the name records in lib/crypto */
}
