/*
 * json_fields.h: the strict member readers that name_record.c and header_line.c share
 * (defined in name_record.c). Not part of the public API.
 * Each returns 0 or ESGX_PROTO_E_FORMAT with "<what>: member '<name>' ..." in err.
 */
#ifndef ESGX_PROTO_JSON_FIELDS_H
#define ESGX_PROTO_JSON_FIELDS_H

#include <jansson.h>

#include "esgx_proto.h"

/* Member `name` of obj: a string of exactly 2*len lowercase hex characters, decoded
 * into out[0..len). */
int esgx_proto_json_hex(json_t *obj, const char *name, uint8_t *out, size_t len,
                        const char *what, esgx_err *err);

/* Member `name` of obj: an integer in min..2^63-1, into *out. */
int esgx_proto_json_u63(json_t *obj, const char *name, uint64_t min, uint64_t *out,
                        const char *what, esgx_err *err);

/* Refuses a member of obj that is not in the NULL-terminated list allowed. */
int esgx_proto_json_known(json_t *obj, const char *const *allowed, const char *what,
                          esgx_err *err);

/* Member `name` of obj, or NULL after ESGX_PROTO_E_FORMAT "member '<name>' is missing". */
json_t *esgx_proto_json_get(json_t *obj, const char *name, const char *what, esgx_err *err);

/* 1 if c is 0-9 or a-f. */
int esgx_proto_json_lower_hex(const char *s, size_t n);

#endif
