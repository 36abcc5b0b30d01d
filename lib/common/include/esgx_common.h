/*
 * esgx_common: what every part of esgx shares: the error convention and the one table
 * of error codes, the one parser for numbers given as text, the default limits of an
 * invocation, monotonic deadlines and sleeps, the one bounded file reader, and the one
 * scanner of raw JSON spans (for signed documents).
 *
 * Errors. Every fallible function returns an int: 0 (ESGX_OK) on success or a negative
 * code from the table below, and, when the caller passes a non-NULL esgx_err, fills it
 * with the same code and a human-readable message that names what was wrong. Each
 * library and program has its own range of codes (ESGX_ERRORS), so a code alone says
 * where it came from; esgx_strerror() names it. The struct is plain data: it can live
 * on the stack, is never allocated, and holds no secrets (callers must never put key
 * material in a message).
 */
#ifndef ESGX_COMMON_H
#define ESGX_COMMON_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Fallible functions are marked so that an ignored result is a compiler warning. */
#define ESGX_MUST_CHECK __attribute__((warn_unused_result))

#define ESGX_OK 0
#define ESGX_ERR_MSG_MAX 256

/* ---------------------------------------------------------------- error codes */

/*
 * The one table of error codes: X(NAME, value, "what it means"). Ranges:
 *   -1..-99 common, -100 lib/wasm, -200 lib/crypto, -300 lib/proto, -400 lib/attest,
 *   -500 lib/host, -600 esgxd (node), -650 esgxd's PCCS client, -700 enclave platform,
 *   -720 enclave keystore, -740 enclave key-sharing peer, -800 the esgx CLI.
 */
#define ESGX_ERRORS(X)                                                                   \
    X(ESGX_E_ARG, -1, "bad argument")                                                   \
    X(ESGX_E_PARSE, -2, "text is not a number in the accepted range")                   \
    X(ESGX_E_NOMEM, -3, "out of memory")                                                \
    X(ESGX_E_IO, -4, "file could not be read or written")                               \
    X(ESGX_E_TOO_BIG, -5, "file larger than its limit")                                 \
    X(ESGX_E_JSON, -6, "JSON text has no such member or is malformed")                  \
    X(ESGX_WASM_E_ARG, -101, "wasm: bad argument from the embedder")                    \
    X(ESGX_WASM_E_MALFORMED, -102, "wasm: module is malformed")                         \
    X(ESGX_WASM_E_INVALID, -103, "wasm: module does not validate")                      \
    X(ESGX_WASM_E_UNSUPPORTED, -104, "wasm: feature not supported")                     \
    X(ESGX_WASM_E_LIMIT, -105, "wasm: a configured limit was exceeded")                 \
    X(ESGX_WASM_E_UNLINKABLE, -106, "wasm: imports missing or of the wrong type")       \
    X(ESGX_WASM_E_TRAP, -107, "wasm: execution trapped")                                \
    X(ESGX_WASM_E_NOMEM, -108, "wasm: out of memory")                                   \
    X(ESGX_WASM_E_NOT_FOUND, -109, "wasm: no such export")                              \
    X(ESGX_CRYPTO_E_ARG, -201, "crypto: bad argument")                                  \
    X(ESGX_CRYPTO_E_BUFFER, -202, "crypto: output buffer too small")                    \
    X(ESGX_CRYPTO_E_BASE58, -203, "crypto: bad base58 text")                            \
    X(ESGX_CRYPTO_E_CHECKSUM, -204, "crypto: base58check checksum mismatch")            \
    X(ESGX_CRYPTO_E_VERSION, -205, "crypto: unknown extended key version")              \
    X(ESGX_CRYPTO_E_KEY, -206, "crypto: invalid key")                                   \
    X(ESGX_CRYPTO_E_PATH, -207, "crypto: bad derivation path")                          \
    X(ESGX_CRYPTO_E_DERIVE, -208, "crypto: derivation failed")                          \
    X(ESGX_CRYPTO_E_SHORT, -209, "crypto: ciphertext too short")                        \
    X(ESGX_CRYPTO_E_AUTH, -210, "crypto: authentication failed")                        \
    X(ESGX_CRYPTO_E_SIGNATURE, -211, "crypto: bad signature")                           \
    X(ESGX_CRYPTO_E_HEADER, -212, "crypto: approved-wasm header malformed")             \
    X(ESGX_CRYPTO_E_NOT_APPROVED, -213, "crypto: module not approved")                  \
    X(ESGX_CRYPTO_E_INTERNAL, -214, "crypto: internal failure")                         \
    X(ESGX_PROTO_E_ARG, -301, "proto: bad argument")                                    \
    X(ESGX_PROTO_E_SHORT, -302, "proto: frame or field truncated")                      \
    X(ESGX_PROTO_E_LENGTH, -303, "proto: frame length out of range")                    \
    X(ESGX_PROTO_E_VERSION, -304, "proto: unknown protocol version")                    \
    X(ESGX_PROTO_E_TYPE, -305, "proto: unknown message type")                           \
    X(ESGX_PROTO_E_FORMAT, -306, "proto: bad field value")                              \
    X(ESGX_PROTO_E_BUFFER, -307, "proto: output buffer too small")                      \
    X(ESGX_PROTO_E_IO, -308, "proto: read or write failed")                             \
    X(ESGX_PROTO_E_CLOSED, -309, "proto: peer closed the channel")                      \
    X(ESGX_PROTO_E_NOMEM, -310, "proto: out of memory")                                 \
    X(ESGX_ATTEST_E_ARG, -401, "attest: bad argument")                                  \
    X(ESGX_ATTEST_E_FORMAT, -402, "attest: quote malformed")                            \
    X(ESGX_ATTEST_E_CERT, -403, "attest: certificate malformed or chain failed")        \
    X(ESGX_ATTEST_E_CRL, -404, "attest: CRL malformed, expired or revoking")            \
    X(ESGX_ATTEST_E_COLLATERAL, -405, "attest: collateral malformed")                   \
    X(ESGX_ATTEST_E_SIGNATURE, -406, "attest: a signature failed")                      \
    X(ESGX_ATTEST_E_EXPIRED, -407, "attest: collateral not valid at that time")         \
    X(ESGX_ATTEST_E_MISMATCH, -408, "attest: identity mismatch")                        \
    X(ESGX_ATTEST_E_TCB, -409, "attest: no TCB level matches")                          \
    X(ESGX_ATTEST_E_POLICY, -410, "attest: refused by the policy")                      \
    X(ESGX_ATTEST_E_IO, -411, "attest: file read or write failed")                      \
    X(ESGX_ATTEST_E_INTERNAL, -412, "attest: internal failure")                         \
    X(ESGX_HOST_E_ARG, -501, "host: bad argument")                                      \
    X(ESGX_HOST_E_MODULE, -502, "host: module cannot run")                              \
    X(ESGX_HOST_E_NOMEM, -503, "host: out of memory")                                   \
    X(ESGX_HOST_E_TRAP, -504, "host: the guest trapped or exited non-zero")             \
    X(ESGX_HOST_E_IMPORT, -505, "host: an import is not in the guest ABI")              \
    X(ESGX_HOST_E_ENTRY, -506, "host: no such exported function")                       \
    X(ESGX_HOST_E_SIGNATURE, -507, "host: the entry has a type the call cannot use")    \
    X(ESGX_HOST_E_LIMIT, -508, "host: instantiation exceeds a configured limit")        \
    X(ESGX_HOST_E_INTERNAL, -509, "host: internal failure")                             \
    X(ESGX_NODE_E_ARG, -601, "node: bad argument")                                      \
    X(ESGX_NODE_E_IO, -602, "node: file system error")                                  \
    X(ESGX_NODE_E_NOTFOUND, -603, "node: no such content or function")                  \
    X(ESGX_NODE_E_DB, -604, "node: registry database error")                            \
    X(ESGX_NODE_E_DOWN, -605, "node: enclave not running")                              \
    X(ESGX_NODE_E_NOMEM, -606, "node: out of memory")                                   \
    X(ESGX_NODE_E_TIMEOUT, -607, "node: the enclave did not answer in time")            \
    X(ESGX_NODE_E_FATAL, -608, "node: the enclave refused its configuration")           \
    X(ESGX_NODE_E_USAGE, -609, "node: bad command line")                                \
    X(ESGX_NODE_E_FETCH, -620, "node: HTTP transfer failed")                            \
    X(ESGX_NODE_E_TOO_BIG, -621, "node: answer over its size limit")                    \
    X(ESGX_NODE_E_ABORTED, -622, "node: transfer stopped")                              \
    X(ESGX_NODE_E_ETCD, -623, "node: etcd unreachable or refused the request")          \
    X(ESGX_NODE_E_CONFLICT, -624, "node: etcd compare failed (changed meanwhile)")      \
    X(ESGX_NODE_E_MISMATCH, -625, "node: content does not match its hash")              \
    X(ESGX_PCCS_E_ARG, -651, "pccs: bad argument or configuration")                     \
    X(ESGX_PCCS_E_FETCH, -652, "pccs: fetch failed")                                    \
    X(ESGX_PCCS_E_BODY, -653, "pccs: response malformed or oversized")                  \
    X(ESGX_PCCS_E_IO, -654, "pccs: cache directory error")                              \
    X(ESGX_PCCS_E_NOMEM, -655, "pccs: out of memory")                                   \
    X(ESGX_PLAT_E_ARG, -701, "platform: bad argument")                                  \
    X(ESGX_PLAT_E_IO, -702, "platform: file could not be read or written")              \
    X(ESGX_PLAT_E_CORRUPT, -703, "platform: file malformed")                            \
    X(ESGX_PLAT_E_UNSUPPORTED, -704, "platform: operation not offered")                 \
    X(ESGX_PLAT_E_INTERNAL, -705, "platform: internal failure")                         \
    X(ESGX_KS_E_ARG, -721, "keystore: bad argument")                                    \
    X(ESGX_KS_E_NOKEY, -722, "keystore: no sealed key")                                 \
    X(ESGX_KS_E_EXISTS, -723, "keystore: a sealed key already exists")                  \
    X(ESGX_KS_E_IO, -724, "keystore: read or write failed")                             \
    X(ESGX_KS_E_TORN, -725, "keystore: sealed key file truncated")                      \
    X(ESGX_KS_E_FOREIGN, -726, "keystore: sealed by another enclave or machine")        \
    X(ESGX_KS_E_CORRUPT, -727, "keystore: sealed key file corrupt")                     \
    X(ESGX_KS_E_CRYPTO, -728, "keystore: crypto failure")                               \
    X(ESGX_PEER_E_ARG, -741, "peer: bad configuration")                                 \
    X(ESGX_PEER_E_ATTEST, -742, "peer: cannot make the RA-TLS certificate")             \
    X(ESGX_PEER_E_IO, -743, "peer: cannot listen or start a thread")                    \
    X(ESGX_ENCLAVE_E_USAGE, -761, "enclave: bad command line")                          \
    X(ESGX_ENCLAVE_E_CONFIG, -762, "enclave: configuration refused")                    \
    X(ESGX_ENCLAVE_E_IO, -763, "enclave: file could not be read")                       \
    X(ESGX_ENCLAVE_E_NOMEM, -764, "enclave: out of memory")                             \
    X(ESGX_ENCLAVE_E_THREAD, -765, "enclave: cannot initialise a lock or thread")       \
    X(ESGX_CLI_E_USAGE, -801, "cli: usage error")                                       \
    X(ESGX_CLI_E_IO, -802, "cli: file or network error")                                \
    X(ESGX_CLI_E_FAILED, -803, "cli: operation failed")

enum esgx_code {
#define ESGX_CODE_ENUM_(name, value, text) name = value,
    ESGX_ERRORS(ESGX_CODE_ENUM_)
#undef ESGX_CODE_ENUM_
};

/* The name and meaning of code, e.g. "ESGX_WASM_E_TRAP (wasm: execution trapped)";
 * "ESGX_OK (success)" for 0 and "unknown error code" for a code not in the table.
 * The string is static. */
const char *esgx_strerror(int code);

/* ---------------------------------------------------------------- errors */

typedef struct esgx_err {
    int code;                    /* 0 or a negative code from ESGX_ERRORS */
    char msg[ESGX_ERR_MSG_MAX];  /* NUL-terminated, empty when code == 0 */
} esgx_err;

/* Sets err (if non-NULL) to code and a printf-style message; returns code so that
 * callers can write `return esgx_err_set(err, E, "...")`. */
int esgx_err_set(esgx_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err (if non-NULL) to ESGX_OK with an empty message. */
void esgx_err_clear(esgx_err *err);

/* Prepends "prefix: " to the message already in err (if non-NULL); keeps the code. */
void esgx_err_prefix(esgx_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- numbers */

/* Flags of esgx_parse_u64. */
#define ESGX_PARSE_SIZE 1u   /* accept a K, M or G suffix (powers of 1024), optionally
                                followed by "B" or "iB": "64K", "8MiB", "1G" */

/*
 * The one parser of whole numbers given as text (options, headers, config files).
 * Accepts decimal digits only: no sign, no space, no base prefix; leading zeros are
 * decimal ("010" is 10). With ESGX_PARSE_SIZE a size suffix multiplies the number.
 * The value must lie in [min, max].
 * Returns ESGX_OK and sets *out, or ESGX_E_PARSE with a message that quotes the text
 * and names the accepted range ("'12x' is not a whole number", "'0' is out of range
 * 1..1000"); *out is then untouched. text NULL is ESGX_E_PARSE too.
 */
ESGX_MUST_CHECK int esgx_parse_u64(const char *text, uint64_t min, uint64_t max,
                                   unsigned flags, uint64_t *out, esgx_err *err);

/* ---------------------------------------------------------------- limits */

/* The default limits of one invocation, used by the node, the enclave and the CLI
 * (docs/formats.md#limits). Each is a ceiling the operator may lower or raise. */
#define ESGX_DEFAULT_MAX_CONTENT (16ull << 20)   /* bytes of an uploaded module */
#define ESGX_DEFAULT_MAX_INPUT (8ull << 20)      /* bytes of a request's input */
#define ESGX_DEFAULT_MAX_OUTPUT (16ull << 20)    /* bytes a guest may write */
#define ESGX_DEFAULT_FUEL 1000000000ull          /* fuel of one invocation (10^9) */
#define ESGX_DEFAULT_MEMORY_PAGES 1024u          /* 64 KiB pages of linear memory */
#define ESGX_DEFAULT_CALL_DEPTH 10000u           /* wasm frames */
#define ESGX_DEFAULT_TABLE_ELEMS 100000u         /* elements per table */

/* ---------------------------------------------------------------- time */

/* Milliseconds on CLOCK_MONOTONIC (never jumps with the wall clock). */
uint64_t esgx_monotonic_ms(void);

/* The CLOCK_MONOTONIC time ms milliseconds from now, for pthread_cond_timedwait on a
 * condition variable made by esgx_cond_init_monotonic. */
struct timespec esgx_deadline_after_ms(uint64_t ms);

/* Initialises c to time its waits on CLOCK_MONOTONIC. Returns 0 or an errno value. */
ESGX_MUST_CHECK int esgx_cond_init_monotonic(pthread_cond_t *c);

/* Sleeps ms milliseconds (resumed across signals). */
void esgx_sleep_ms(unsigned ms);

/* Joins thread t (its result is dropped) if it ends within timeout_ms milliseconds
 * (CLOCK_MONOTONIC). Returns 0 (joined), ETIMEDOUT (still running: t is not joined and
 * may be joined later), or another errno value of pthread_tryjoin_np. Unlike
 * pthread_clockjoin_np, ThreadSanitizer sees this join (lib/common/thread.c). */
ESGX_MUST_CHECK int esgx_thread_join_ms(pthread_t t, uint64_t timeout_ms);

/* ---------------------------------------------------------------- files */

/*
 * The one bounded file reader. Reads the whole of path ("-" = standard input) into a
 * fresh buffer of at most max bytes, plus a NUL after the last byte (so text can be used
 * as a C string; binary users ignore it). On success *data (free() it) and *len are set.
 * Returns ESGX_OK, ESGX_E_ARG (NULL argument), ESGX_E_IO (cannot open or read: the
 * message names the path and the system's reason), ESGX_E_TOO_BIG (more than max bytes:
 * the message names the path and the limit; nothing beyond max + 1 bytes is read) or
 * ESGX_E_NOMEM. *data and *len are untouched on failure.
 */
ESGX_MUST_CHECK int esgx_file_read(const char *path, size_t max, uint8_t **data,
                                   size_t *len, esgx_err *err);

/* ---------------------------------------------------------------- raw JSON spans */

/*
 * The one scanner of raw JSON spans, for documents whose signature covers the exact
 * bytes of one member (Intel's tcbInfo / enclaveIdentity, our attestation document's
 * collateral). s[0..n) must hold a JSON object already accepted by a strict parser
 * (jansson with duplicate keys refused): the scanner checks structure, not grammar.
 * Finds the member of that top-level object whose key is exactly key (compared as raw
 * bytes, no unescaping) and sets [*start, *end) to its value's bytes (for a string value,
 * the quotes included). Returns ESGX_OK, or ESGX_E_JSON (not an object, truncated, or no
 * such member) with *start and *end untouched. err may be NULL.
 */
ESGX_MUST_CHECK int esgx_json_member_span(const char *s, size_t n, const char *key,
                                          size_t *start, size_t *end, esgx_err *err);

/* The one escaper of text from outside before it is logged. Copies in[0..n) to out
 * (cap bytes, cap >= 1; always NUL-terminated, truncated to fit, never inside an
 * escape) with every control character (below 0x20, NUL included, and 0x7f) and every
 * byte of `also` (NULL = none; e.g. "\"\\" for a quoted field) written as \xNN, so
 * such text cannot start a new log line, move the cursor or end a field early.
 * Returns the length written (without the NUL); *used (if non-NULL) gets how many
 * input bytes went out, so a caller can stream a long input through a small buffer. */
size_t esgx_escape_bytes(const void *in, size_t n, const char *also, char *out, size_t cap,
                         size_t *used);

/* esgx_escape_bytes of the NUL-terminated text in, nothing else escaped. */
size_t esgx_escape_controls(const char *in, char *out, size_t cap);

#endif
