/*
 * esgx_proto: the enclave channel (docs/channel.md), the response header line, the one
 * table of invocation outcomes (code, channel status, HTTP status) and the tier names.
 *
 * The host (esgxd) and the enclave (esgx-enclave) talk over one SOCK_STREAM socketpair
 * with length-prefixed frames:
 *
 *   u32 LE  L           length of what follows (16 <= L <= ESGX_PROTO_MAX_FRAME)
 *   u8      version     ESGX_PROTO_VERSION (1)
 *   u8      type        ESGX_MSG_*
 *   u16 LE  flags       0
 *   u64 LE  id          request id chosen by the host, echoed in replies; 0 = unsolicited
 *   u32 LE  reserved    0
 *   payload             L - 16 bytes; integers LE; "bytes"/"str" = u32 LE length + bytes
 *
 * Decoding is zero-copy: esgx_msg fields of type esgx_bytes point into the frame buffer
 * that was decoded, so they live exactly as long as that buffer. Every length is checked
 * against the frame, every enum value against its range, and trailing bytes after the
 * last field are an error: a decoded message is always well-formed (it may still be
 * semantically untrusted: the enclave re-hashes content etc.).
 *
 * Errors: every fallible function is marked ESGX_MUST_CHECK and returns ESGX_OK (0) or
 * one of the negative codes below (values in esgx_common.h's ESGX_ERRORS; esgx_strerror
 * names them) and, when `err` is non-NULL, fills it with that code and a message naming
 * what was wrong. Each function's comment names its codes. The void functions, the
 * size and name functions (0 or a string, never an error code), the result-code lookups
 * and the 1/0 predicates esgx_proto_hash_text_valid / esgx_proto_name_valid cannot fail.
 *   ESGX_PROTO_E_ARG           bad argument: NULL, field over its limit, bad enum
 *   ESGX_PROTO_E_SHORT         frame or field truncated
 *   ESGX_PROTO_E_LENGTH        frame length outside 16..ESGX_PROTO_MAX_FRAME
 *   ESGX_PROTO_E_VERSION       unknown protocol version
 *   ESGX_PROTO_E_TYPE          unknown message type
 *   ESGX_PROTO_E_FORMAT        bad field value, nonzero flags/reserved, trailing bytes
 *   ESGX_PROTO_E_BUFFER        output buffer too small
 *   ESGX_PROTO_E_IO            read/write failed (errno in the message)
 *   ESGX_PROTO_E_CLOSED        peer closed the channel (EOF at a frame boundary)
 *   ESGX_PROTO_E_NOMEM         allocation failed
 *
 * Thread safety: encode/decode functions are pure. A reader (esgx_proto_reader) belongs
 * to one thread. esgx_proto_send may be called from several threads on the same fd only
 * if the caller serialises the calls (one mutex per fd): frames must not interleave.
 */
#ifndef ESGX_PROTO_H
#define ESGX_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

/* ---------------------------------------------------------------- constants */

#define ESGX_PROTO_VERSION 1
#define ESGX_PROTO_PREFIX_LEN 4                  /* the u32 frame length */
#define ESGX_PROTO_HEADER_LEN 16                 /* version .. reserved */
#define ESGX_PROTO_MIN_FRAME ESGX_PROTO_HEADER_LEN
#define ESGX_PROTO_MAX_FRAME (64u * 1024u * 1024u + 4096u)   /* max L */

/* Field limits enforced by both encode and decode. */
#define ESGX_PROTO_MAX_PLATFORM 32               /* HELLO platform name */
#define ESGX_PROTO_XPUB_LEN 111                  /* xpub text when a key exists */
#define ESGX_PROTO_MAX_FUNCTION 255              /* EXEC function name (1..255) */
#define ESGX_PROTO_MAX_CODE 64                   /* RESULT code */
#define ESGX_PROTO_MAX_MESSAGE 4096              /* RESULT message, KEY_STATUS error */
#define ESGX_PROTO_MAX_QUOTE 65536               /* ESGX_ATTEST_DOC_REPLY quote */
#define ESGX_PROTO_MAX_COLLATERAL (4u << 20)      /* COLLATERAL_REPLY collateral JSON */
#define ESGX_PROTO_MAX_LOGS 16384                /* RESULT logs (captured debug output) */

/* Message types. H = host -> enclave, E = enclave -> host. */
typedef enum esgx_msg_type {
    ESGX_MSG_HELLO = 1,        /* E, id 0, sent once at start */
    ESGX_MSG_INIT_KEY = 2,     /* H, empty payload: create the shared key; reply KEY_STATUS */
    ESGX_MSG_KEY_STATUS = 3,   /* E */
    ESGX_MSG_EXEC = 4,         /* H */
    ESGX_MSG_NEED_CONTENT = 5, /* E, same id as the EXEC */
    ESGX_MSG_RESULT = 6,       /* E, same id as the EXEC */
    ESGX_MSG_STATS = 7,        /* H, empty payload */
    ESGX_MSG_STATS_REPLY = 8,  /* E */
    ESGX_MSG_SHUTDOWN = 9,     /* H, empty payload: finish in-flight work, exit 0 */
    /* Added by the attestation work (additive; docs/channel.md "Changes"). */
    ESGX_MSG_ATTEST_DOC = 10,        /* H, empty payload: reply ESGX_ATTEST_DOC_REPLY */
    ESGX_MSG_ATTEST_DOC_REPLY = 11,  /* E, same id */
    /* Added by the PCCS work (additive): the enclave asks the host for collateral. */
    ESGX_MSG_COLLATERAL_REQ = 12,    /* E, id chosen by the enclave (nonzero) */
    ESGX_MSG_COLLATERAL_REPLY = 13,  /* H, same id as the COLLATERAL_REQ */
    /* Added by the admin MACs (additive): the host asks the enclave for a MAC only the
     * holder of the network key can make (docs/formats.md "Admin MACs"). */
    ESGX_MSG_MAC_REQ = 14,           /* H: reply ESGX_MSG_MAC_REPLY, same id */
    ESGX_MSG_MAC_REPLY = 15,         /* E, same id as the MAC_REQ */
} esgx_msg_type;

/* MAC_REQ kind: what the 32 bytes of data are. */
enum { ESGX_MAC_TOKEN = 1, ESGX_MAC_CONTENT = 2, ESGX_MAC_HELD = 3 };

/* COLLATERAL_REQ PCK CA type (the same values as lib/attest's ESGX_ATTEST_PCK_CA_*). */
enum { ESGX_PCK_CA_PROCESSOR = 0, ESGX_PCK_CA_PLATFORM = 1 };

/* COLLATERAL_REPLY status. */
enum { ESGX_COLLATERAL_OK = 0, ESGX_COLLATERAL_ERROR = 1 };

/* HELLO / KEY_STATUS state. */
enum { ESGX_STATE_NO_KEY = 0, ESGX_STATE_READY = 1 };

/* RESULT status. */
typedef enum esgx_result_status {
    ESGX_RESULT_OK = 0,
    ESGX_RESULT_TRAP = 1,         /* program trapped / ran out of fuel / hit a limit */
    ESGX_RESULT_BAD_REQUEST = 2,  /* hash_mismatch, invalid_module, decrypt_failed, ... */
    ESGX_RESULT_NOT_READY = 3,    /* no shared key */
    ESGX_RESULT_INTERNAL = 4,
} esgx_result_status;

/* The channel status of an outcome esgxd makes itself (never sent in a RESULT). */
#define ESGX_RESULT_HOST (-1)

/* HELLO tier: how the enclave runs functions (the values of lib/wasm's esgx_wasm_tier).
 * ESGX_TIER_UNKNOWN is what a HELLO without the field decodes to. */
enum { ESGX_TIER_UNKNOWN = 0, ESGX_TIER_INTERP = 1, ESGX_TIER_JIT = 2 };

/* ---------------------------------------------------------------- result codes */

/*
 * The one table of invocation outcomes, shared by the enclave (which sends them), esgxd
 * (which answers them over HTTP) and the CLI (which reads them back):
 *   X(ID, "code", channel status, HTTP status, remember)
 * "code" is the RESULT code on the channel and the "code" of the node's JSON error body;
 * the channel status is the RESULT status it travels with (ESGX_RESULT_HOST: esgxd makes
 * it, it is never on the channel); the HTTP status is what the node answers; remember = 1
 * marks a failure that depends on the module's bytes alone, which the enclave answers
 * again without the content for a while (src/enclave/executor.c). Codes not in the table
 * (the trap names of lib/wasm and lib/host: out_of_fuel, unreachable, proc_exit, limit,
 * ...) take the HTTP status of their channel status (esgx_proto_result_http_status).
 */
#define ESGX_RESULT_CODES(X)                                                               \
    X(ESGX_RC_NO_KEY, "no_key", ESGX_RESULT_NOT_READY, 503, 0)                             \
    X(ESGX_RC_QUEUE_TIMEOUT, "queue_timeout", ESGX_RESULT_NOT_READY, 503, 0)               \
    X(ESGX_RC_BAD_REQUEST, "bad_request", ESGX_RESULT_BAD_REQUEST, 400, 0)                 \
    X(ESGX_RC_DUPLICATE_ID, "duplicate_id", ESGX_RESULT_BAD_REQUEST, 400, 0)               \
    X(ESGX_RC_INPUT_TOO_LARGE, "input_too_large", ESGX_RESULT_BAD_REQUEST, 413, 0)         \
    X(ESGX_RC_CONTENT_TOO_LARGE, "content_too_large", ESGX_RESULT_BAD_REQUEST, 413, 0)     \
    X(ESGX_RC_FUEL_TOO_LARGE, "fuel_too_large", ESGX_RESULT_BAD_REQUEST, 400, 0)           \
    X(ESGX_RC_HASH_MISMATCH, "hash_mismatch", ESGX_RESULT_BAD_REQUEST, 400, 0)             \
    X(ESGX_RC_DECRYPT_FAILED, "decrypt_failed", ESGX_RESULT_BAD_REQUEST, 400, 0)           \
    X(ESGX_RC_INVALID_MODULE, "invalid_module", ESGX_RESULT_BAD_REQUEST, 400, 1)           \
    X(ESGX_RC_UNSUPPORTED_IMPORT, "unsupported_import", ESGX_RESULT_BAD_REQUEST, 400, 1)   \
    X(ESGX_RC_NO_SUCH_FUNCTION, "no_such_function", ESGX_RESULT_BAD_REQUEST, 404, 0)       \
    X(ESGX_RC_BAD_SIGNATURE, "bad_signature", ESGX_RESULT_BAD_REQUEST, 400, 0)             \
    X(ESGX_RC_BAD_RECORD, "bad_record", ESGX_RESULT_BAD_REQUEST, 403, 0)                   \
    X(ESGX_RC_BAD_SEALED_INPUT, "bad_sealed_input", ESGX_RESULT_BAD_REQUEST, 400, 0)       \
    X(ESGX_RC_EXEC_TIMEOUT, "exec_timeout", ESGX_RESULT_INTERNAL, 504, 0)                  \
    X(ESGX_RC_INTERNAL, "internal", ESGX_RESULT_INTERNAL, 500, 0)                          \
    X(ESGX_RC_ENCLAVE_RESTARTING, "enclave_restarting", ESGX_RESULT_HOST, 503, 0)          \
    X(ESGX_RC_QUEUE_FULL, "queue_full", ESGX_RESULT_HOST, 503, 0)                          \
    X(ESGX_RC_SHUTTING_DOWN, "shutting_down", ESGX_RESULT_HOST, 503, 0)                    \
    X(ESGX_RC_UNKNOWN_HASH, "unknown_hash", ESGX_RESULT_HOST, 404, 0)                      \
    X(ESGX_RC_FETCH_FAILED, "fetch_failed", ESGX_RESULT_HOST, 502, 0)

typedef enum esgx_result_code {
#define ESGX_RC_ENUM_(id, code, status, http, remember) id,
    ESGX_RESULT_CODES(ESGX_RC_ENUM_)
#undef ESGX_RC_ENUM_
    ESGX_RC_COUNT
} esgx_result_code;

/* One row of the table. */
typedef struct esgx_result_code_info {
    const char *code;             /* "hash_mismatch" (static) */
    int status;                   /* esgx_result_status, or ESGX_RESULT_HOST */
    unsigned http;                /* the node's HTTP status */
    int remember;                 /* 1: the enclave remembers the module's failure */
} esgx_result_code_info;

/* ---------------------------------------------------------------- messages */

/* A byte string: a view (decode) or the caller's data (encode). ptr may be NULL iff
 * len == 0. "str" fields are esgx_bytes too: not NUL-terminated, and must not contain
 * a NUL byte (checked on encode and decode). */
typedef struct esgx_bytes {
    const uint8_t *ptr;
    size_t len;
} esgx_bytes;

/* HELLO: u8 state, str platform, bytes32 mrenclave, bytes32 mrsigner, str xpub,
 * bytes33 public_key, [u8 tier]. state READY requires a 111-byte xpub; state NO_KEY
 * requires an empty xpub and an all-zero public_key. platform is
 * 1..ESGX_PROTO_MAX_PLATFORM. tier (ESGX_TIER_INTERP or ESGX_TIER_JIT: the tier every
 * module runs on) is an optional trailing field: encoded only when not
 * ESGX_TIER_UNKNOWN (so a HELLO without it is the frame of before), and when present it
 * must be 1 or 2. */
typedef struct esgx_msg_hello {
    uint8_t state;
    esgx_bytes platform;
    uint8_t mrenclave[32];
    uint8_t mrsigner[32];
    esgx_bytes xpub;
    uint8_t public_key[33];
    uint8_t tier;
} esgx_msg_hello;

/* KEY_STATUS: u8 state, str xpub, bytes33 public_key, str error (empty if ok).
 * Same xpub/public_key rules as HELLO; error at most ESGX_PROTO_MAX_MESSAGE. */
typedef struct esgx_msg_key_status {
    uint8_t state;
    esgx_bytes xpub;
    uint8_t public_key[33];
    esgx_bytes error;
} esgx_msg_key_status;

/* EXEC: bytes32 module_hash, u8 decrypt (0/1), u64 fuel (0 = enclave default),
 * str function (1..255), bytes input, u8 has_content (0/1), [bytes content],
 * [u8 options], and when options has ESGX_EXEC_OPT_RECORD: str record_name (1..64),
 * bytes33 record_owner, u64 record_seq (>= 1), bytes33 record_network,
 * bytes65 record_signature.
 * has_content = 1 requires content (may be empty only if it really is empty: allowed,
 * the enclave will report invalid_module). options is an optional trailing byte,
 * encoded only when non-zero (so a plain frame is the frame of before; the old trailing
 * capture_logs byte 1 is options = ESGX_EXEC_OPT_LOGS), and when present it must be
 * non-zero with no unknown bit:
 *   ESGX_EXEC_OPT_LOGS    return the guest's debug output (debug_print, WASI fd 2) in
 *                         RESULT logs (capture_logs = 1)
 *   ESGX_EXEC_OPT_SEALED  input is a sealed input (docs/formats.md, "Sealed calls"):
 *                         the enclave opens it, runs the guest on the plaintext and
 *                         seals the output (sealed = 1)
 *   ESGX_EXEC_OPT_RECORD  a call by name: the signed name record of that name follows
 *                         (has_record = 1); module_hash and decrypt are the record's
 *                         hash and encrypted flag, and the enclave verifies the record
 *                         before it runs anything (docs/formats.md, "Name records"). */
enum {
    ESGX_EXEC_OPT_LOGS = 1,
    ESGX_EXEC_OPT_SEALED = 2,
    ESGX_EXEC_OPT_RECORD = 4,
};
typedef struct esgx_msg_exec {
    uint8_t module_hash[32];
    uint8_t decrypt;
    uint64_t fuel;
    esgx_bytes function;
    esgx_bytes input;
    uint8_t has_content;
    esgx_bytes content;
    uint8_t capture_logs;            /* 0/1: ESGX_EXEC_OPT_LOGS */
    uint8_t sealed;                  /* 0/1: ESGX_EXEC_OPT_SEALED */
    uint8_t has_record;              /* 0/1: ESGX_EXEC_OPT_RECORD, the fields below */
    esgx_bytes record_name;
    uint8_t record_owner[33];
    uint64_t record_seq;
    uint8_t record_network[33];
    uint8_t record_signature[65];
} esgx_msg_exec;

/* NEED_CONTENT: bytes32 module_hash. */
typedef struct esgx_msg_need_content {
    uint8_t module_hash[32];
} esgx_msg_need_content;

/* RESULT: u8 status (esgx_result_status), str code (0..64), str message (0..4096),
 * u64 fuel_used, and only if status == OK: bytes32 input_hash, bytes32 output_hash,
 * bytes65 signature, bytes tree, bytes output; then, for any status, the optional
 * trailing [bytes logs] (1..ESGX_PROTO_MAX_LOGS: the captured debug output of an EXEC
 * with capture_logs; encoded only when non-empty, so a RESULT without logs is the frame
 * of before, and when present it must be non-empty). tree.len must equal
 * esgx_proto_tree_len(output.len) (n*32 node hashes). A non-OK status requires a
 * non-empty code. */
typedef struct esgx_msg_result {
    uint8_t status;
    esgx_bytes code;
    esgx_bytes message;
    uint64_t fuel_used;
    uint8_t input_hash[32];
    uint8_t output_hash[32];
    uint8_t signature[65];
    esgx_bytes tree;
    esgx_bytes output;
    esgx_bytes logs;
} esgx_msg_result;

/* STATS_REPLY: five u64 counters for /metrics, then the optional trailing
 * [u64 jit_refused]: functions the compiler tier refused to compile (they run on the
 * interpreter). It is encoded only when non-zero (so a reply without it is the frame of
 * before), and when present it must be non-zero. */
typedef struct esgx_msg_stats_reply {
    uint64_t executions;
    uint64_t traps;
    uint64_t cache_entries;
    uint64_t cache_hits;
    uint64_t cache_misses;
    uint64_t jit_refused;
} esgx_msg_stats_reply;

/* ESGX_ATTEST_DOC_REPLY: u8 state, str xpub, bytes33 public_key, bytes quote
 * (0..ESGX_PROTO_MAX_QUOTE; empty when the enclave has no key or cannot quote; its
 * report data is SHA-256(xpub text) || 32 zero bytes), str error (0..4096: why there is
 * no quote). Same xpub/public_key rules as HELLO; state NO_KEY requires an empty quote. */
typedef struct esgx_msg_attest_doc {
    uint8_t state;
    esgx_bytes xpub;
    uint8_t public_key[33];
    esgx_bytes quote;
    esgx_bytes error;
} esgx_msg_attest_doc;

/* COLLATERAL_REQ: bytes6 fmspc, bytes2 pce_id, u8 ca (ESGX_PCK_CA_*), from the PCK
 * certificate of a quote the enclave must verify. The id is nonzero. */
typedef struct esgx_msg_collateral_req {
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    uint8_t ca;
} esgx_msg_collateral_req;

/* COLLATERAL_REPLY: u8 status (ESGX_COLLATERAL_*), bytes collateral
 * (0..ESGX_PROTO_MAX_COLLATERAL; the collateral JSON, byte for byte), str error
 * (0..4096). OK requires a non-empty collateral and an empty error; ERROR requires an
 * empty collateral and a non-empty error. */
typedef struct esgx_msg_collateral_reply {
    uint8_t status;
    esgx_bytes collateral;
    esgx_bytes error;
} esgx_msg_collateral_reply;

/* MAC_REQ: u8 kind (ESGX_MAC_TOKEN: data is SHA-256 of the admin token's text;
 * ESGX_MAC_CONTENT: data is a content hash; ESGX_MAC_HELD: data is SHA-256 of a
 * content hash and a node id, docs/formats.md "Admin MACs"), bytes32 data. */
typedef struct esgx_msg_mac_req {
    uint8_t kind;
    uint8_t data[32];
} esgx_msg_mac_req;

/* MAC_REPLY: u8 state (ESGX_STATE_NO_KEY: the enclave has no network key yet, mac all
 * zeros; ESGX_STATE_READY), bytes32 mac (token_mac, content_mac or held_mac of the request). */
typedef struct esgx_msg_mac_reply {
    uint8_t state;
    uint8_t mac[32];
} esgx_msg_mac_reply;

/* Any message. type selects the union member; INIT_KEY, STATS and SHUTDOWN have no
 * payload and use no member. */
typedef struct esgx_msg {
    uint8_t type;            /* esgx_msg_type */
    uint64_t id;
    union {
        esgx_msg_hello hello;
        esgx_msg_key_status key_status;
        esgx_msg_exec exec;
        esgx_msg_need_content need_content;
        esgx_msg_result result;
        esgx_msg_stats_reply stats;
        esgx_msg_attest_doc attest_doc;
        esgx_msg_collateral_req collateral_req;
        esgx_msg_collateral_reply collateral_reply;
        esgx_msg_mac_req mac_req;
        esgx_msg_mac_reply mac_reply;
    } u;
} esgx_msg;

/* ---------------------------------------------------------------- encode / decode */

/* Name of a message type ("HELLO", ...) or "UNKNOWN". Never NULL. */
const char *esgx_proto_type_name(int type);

/* Total encoded size of msg in bytes, including the 4-byte length prefix; 0 if msg
 * is invalid (unknown type or a field over its limit). */
size_t esgx_proto_encoded_size(const esgx_msg *msg);

/* Encodes msg (prefix + header + payload) into buf (capacity cap). *out_len gets the
 * number of bytes written (= esgx_proto_encoded_size(msg)). Validates every field by
 * the same rules as decode: ESGX_PROTO_E_ARG / ESGX_PROTO_E_TYPE / ESGX_PROTO_E_FORMAT for an invalid
 * message, ESGX_PROTO_E_BUFFER if cap is too small, ESGX_PROTO_E_LENGTH if over the max frame. */
ESGX_MUST_CHECK
int esgx_proto_encode(const esgx_msg *msg, uint8_t *buf, size_t cap, size_t *out_len,
                      esgx_err *err);

/* Checks the 4-byte length prefix at p: returns 0 and sets *frame_len to L + 4 (the
 * whole frame) or ESGX_PROTO_E_LENGTH if L is outside 16..ESGX_PROTO_MAX_FRAME. */
ESGX_MUST_CHECK
int esgx_proto_frame_len(const uint8_t prefix[ESGX_PROTO_PREFIX_LEN], size_t *frame_len,
                         esgx_err *err);

/* Decodes one whole frame frame[0..len) (prefix included; len must equal L + 4,
 * ESGX_PROTO_E_SHORT / ESGX_PROTO_E_FORMAT otherwise) into *out. esgx_bytes fields of *out point
 * into frame. Errors: ESGX_PROTO_E_LENGTH, ESGX_PROTO_E_VERSION, ESGX_PROTO_E_TYPE, ESGX_PROTO_E_SHORT
 * (a field runs past the end), ESGX_PROTO_E_FORMAT (nonzero flags/reserved, bad enum value,
 * bad lengths, NUL in a str, trailing bytes). On error *out is unspecified. */
ESGX_MUST_CHECK
int esgx_proto_decode(const uint8_t *frame, size_t len, esgx_msg *out, esgx_err *err);

/* Number of bytes of the RESULT tree field for an output of output_len bytes:
 * 32 * (2*blocks - 1), blocks = max(1, ceil(output_len / 256 KiB)). */
size_t esgx_proto_tree_len(uint64_t output_len);

/* ---------------------------------------------------------------- stream I/O */

/* Buffered frame reader for one fd (blocking). Zero-initialise or call
 * esgx_proto_reader_init; free with esgx_proto_reader_free. */
typedef struct esgx_proto_reader {
    uint8_t *buf;            /* heap buffer, grows up to one max frame + read chunk */
    size_t cap;
    size_t start;            /* first unconsumed byte */
    size_t end;              /* one past the last byte read */
} esgx_proto_reader;

/* Initialises an empty reader (no allocation yet). */
void esgx_proto_reader_init(esgx_proto_reader *r);

/* Frees the reader's buffer (wiped first: frames may carry plaintext data). */
void esgx_proto_reader_free(esgx_proto_reader *r);

/* Reads (blocking, retrying EINTR) until one whole frame is buffered, then decodes it
 * into *out. Views in *out stay valid until the next call on r or reader_free.
 * Several frames may arrive in one read(); later calls return them without a syscall.
 * Returns 0, ESGX_PROTO_E_CLOSED at EOF on a frame boundary, ESGX_PROTO_E_IO on a read error or
 * EOF inside a frame, ESGX_PROTO_E_NOMEM, or a decode error (then the stream is out of sync
 * and the caller must close the channel). */
ESGX_MUST_CHECK
int esgx_proto_read(esgx_proto_reader *r, int fd, esgx_msg *out, esgx_err *err);

/* Encodes msg and writes it fully to fd (blocking; retries EINTR and short writes;
 * uses MSG_NOSIGNAL when fd is a socket so a dead peer gives ESGX_PROTO_E_IO, not SIGPIPE).
 * Large payloads (EXEC content/input, RESULT output) are written from the caller's
 * memory without an extra copy. Returns 0, an encode error, or ESGX_PROTO_E_IO. The caller
 * serialises concurrent sends on one fd. */
ESGX_MUST_CHECK
int esgx_proto_send(int fd, const esgx_msg *msg, esgx_err *err);

/* ---------------------------------------------------------------- response header */

/* Writes the response header line of docs/http-api.md for an OK RESULT:
 *   {"hash":"<hex output_hash>","tree":"<hex tree>","input_hash":"<hex>",
 *    "fuel_used":<decimal>,"signature":"<hex 65 bytes>"}\r\n
 * (one line, no spaces, keys in this order, ending with CR LF) into out (capacity cap,
 * NUL added but not counted). *out_len gets the length without the NUL.
 * esgx_proto_header_len(result) gives the exact size needed including the NUL.
 * ESGX_PROTO_E_ARG if result->status != OK, ESGX_PROTO_E_BUFFER if cap is too small. */
size_t esgx_proto_header_len(const esgx_msg_result *result);
ESGX_MUST_CHECK
int esgx_proto_format_header(const esgx_msg_result *result, char *out, size_t cap,
                             size_t *out_len, esgx_err *err);

/* ---------------------------------------------------------------- outcomes and tiers */

/* The row of id (ESGX_RC_*), or NULL when id is not in the table. */
const esgx_result_code_info *esgx_proto_result_code(int id);

/* The id (ESGX_RC_*) whose code is exactly s[0..n), or -1 when it is not in the table
 * (a trap name, or anything else). s may be NULL (then -1). */
int esgx_proto_result_code_find(const char *s, size_t n);

/* The HTTP status esgxd answers a RESULT of channel status `status` and code s[0..n)
 * with: the table's status for a code of the table sent with its own channel status,
 * else 200 (OK), 422 (TRAP), 400 (BAD_REQUEST), 503 (NOT_READY) or 500 (INTERNAL and
 * anything else). */
unsigned esgx_proto_result_http_status(int status, const char *s, size_t n);

/* "interp" or "jit" for ESGX_TIER_INTERP / ESGX_TIER_JIT, else NULL. */
const char *esgx_proto_tier_name(int tier);

/* Parses "interp" or "jit" into *tier (ESGX_TIER_*): the same words lib/wasm takes, for
 * a program that does not link lib/wasm (esgxd passes the tier on to the enclave).
 * Returns 0 or ESGX_PROTO_E_ARG ("tier 'TEXT' is not 'interp' or 'jit'"; *tier
 * untouched). */
ESGX_MUST_CHECK int esgx_proto_tier_parse(const char *text, int *tier, esgx_err *err);

/* Text forms of the HTTP API (docs/http-api.md), checked the same way by the node and
 * the CLI. 1 if s[0..n) is a content hash (exactly 64 lowercase hex characters), else
 * 0; 1 if it is a function name (1..64 characters of [A-Za-z0-9._-]), else 0. */
int esgx_proto_hash_text_valid(const char *s, size_t n);
int esgx_proto_name_valid(const char *s, size_t n);

/* ---------------------------------------------------------------- by-name and sealed answers */

/* The header line of an answer to a call by name and/or a sealed call gains members
 * after "fuel_used" and before "signature" (docs/formats.md "Header line"):
 *   ...,"fuel_used":N,"name":"pay","owner":"<66 hex>","seq":3,"sealed":true,"signature":...
 * (name, owner and seq together for a call by name; sealed for a sealed call; both
 * groups in this order; absent otherwise, so a plain answer by hash is unchanged). */
typedef struct esgx_proto_header_extra {
    int by_name;                 /* 1: write name, owner and seq */
    const char *name;            /* 1..64 bytes, esgx_proto_name_valid */
    size_t name_len;
    uint8_t owner[33];           /* the name record's owner (compressed public key) */
    uint64_t seq;                /* the name record's seq, 1..2^63-1 */
    int sealed;                  /* 1: write "sealed":true */
} esgx_proto_header_extra;

/* esgx_proto_header_len / esgx_proto_format_header with the optional members of extra
 * (NULL, or by_name and sealed both 0: exactly the plain header line). The size given
 * by esgx_proto_header_len_ex includes the NUL. format returns 0, ESGX_PROTO_E_ARG
 * (NULL, status not OK, bad tree, extra->by_name with an invalid name or seq 0 or over
 * 2^63-1) or ESGX_PROTO_E_BUFFER. */
size_t esgx_proto_header_len_ex(const esgx_msg_result *result,
                                const esgx_proto_header_extra *extra);
ESGX_MUST_CHECK
int esgx_proto_format_header_ex(const esgx_msg_result *result,
                                const esgx_proto_header_extra *extra, char *out, size_t cap,
                                size_t *out_len, esgx_err *err);

/* A parsed header line. */
typedef struct esgx_proto_header {
    uint8_t hash[32];            /* the output hash */
    size_t tree_count;           /* node hashes in "tree" (>= 1) */
    uint8_t input_hash[32];
    uint64_t fuel_used;          /* 0..2^63-1 */
    int by_name;                 /* 1 if name, owner and seq were present */
    char name[65];               /* name_len bytes and a NUL */
    size_t name_len;
    uint8_t owner[33];
    uint64_t seq;
    int sealed;                  /* 1 if "sealed":true was present */
    uint8_t signature[65];
} esgx_proto_header;

/* Parses a header line line[0..len) (its trailing CR LF may be included) into *out and
 * the tree's node hashes into tree (capacity tree_cap bytes; tree may be NULL with
 * tree_cap 0 to only count them). Strict: a JSON object (duplicate members refused)
 * with exactly the members of esgx_proto_format_header_ex, each of its type and
 * length, hex in lowercase; name, owner and seq all or none; sealed only as true.
 * Member order is not checked. Nothing is verified (hashes, signature): that is the
 * client's check. Returns 0, ESGX_PROTO_E_ARG (NULL), ESGX_PROTO_E_FORMAT (a message
 * naming the member: "header line: member 'tree' is not ...", "unknown member 'x'",
 * "member 'seq' is missing", ...) or ESGX_PROTO_E_BUFFER (tree non-NULL and shorter
 * than tree_count * 32 bytes). On error *out is unspecified. */
ESGX_MUST_CHECK
int esgx_proto_parse_header(const char *line, size_t len, esgx_proto_header *out,
                            uint8_t *tree, size_t tree_cap, esgx_err *err);

/* ---------------------------------------------------------------- name records (JSON) */

/* The JSON form of a name record (struct esgx_name_record of esgx_crypto.h), what nodes
 * store and serve byte for byte (docs/formats.md "Name records"): members in this
 * order, no spaces, lowercase hex, "transfers" left out when there are none:
 *   {"name":"pay","network":"<66 hex>","hash":"<64 hex>","encrypted":false,"seq":3,
 *    "owner":"<66 hex>","signature":"<130 hex>","transfers":[{"seq":2,"from":"<66 hex>",
 *    "to":"<66 hex>","signature":"<130 hex>"}]}
 * Neither function checks signatures or keys: esgx_name_record_verify and
 * esgx_name_record_owner_chain do. */
struct esgx_name_record;

/* Bytes enough for the JSON of any record (64 transfers, longest name), NUL included. */
#define ESGX_NAME_RECORD_JSON_MAX 21184

/* Parses json[0..len) into *rec (every field set, unused transfers zeroed). Strict:
 * one JSON object, duplicate or unknown members refused, every member of its type and
 * length (hex in lowercase), name valid (esgx_proto_name_valid), seq 1..2^63-1 (also
 * in transfers), at most 64 transfers ("transfers":[] is taken as none). Member order
 * is not checked. Returns 0, ESGX_PROTO_E_ARG (NULL) or ESGX_PROTO_E_FORMAT with a
 * message naming the member ("name record: member 'owner' is not 66 lowercase hex
 * characters", "name record: transfers[2]: member 'seq' is missing", ...). */
ESGX_MUST_CHECK
int esgx_name_record_parse(const char *json, size_t len, struct esgx_name_record *rec,
                           esgx_err *err);

/* Writes the canonical JSON of rec into buf (capacity cap, NUL added but not counted
 * in *len). Returns 0, ESGX_PROTO_E_ARG (NULL, invalid name, seq out of range,
 * encrypted not 0/1, over 64 transfers, a transfer seq out of range) or
 * ESGX_PROTO_E_BUFFER (cap too small; ESGX_NAME_RECORD_JSON_MAX always suffices). */
ESGX_MUST_CHECK
int esgx_name_record_format(const struct esgx_name_record *rec, char *buf, size_t cap,
                            size_t *len, esgx_err *err);

#endif
