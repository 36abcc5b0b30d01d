/*
 * node_log.h: esgxd's own log lines on stderr (node_log.c), "esgxd: 2026-01-01T00:00:00.000Z
 * LEVEL message". Not to be confused with guest_logs.h, the functions' debug output that
 * GET /functions/NAME/logs serves.
 */
#ifndef ESGX_NODE_LOG_H
#define ESGX_NODE_LOG_H

#include <stddef.h>

#include "esgx_common.h"

enum { NODE_LOG_ERROR = 0, NODE_LOG_WARN, NODE_LOG_INFO, NODE_LOG_DEBUG };

/* Sets the level esgx_node_log prints up to (NODE_LOG_*; default NODE_LOG_INFO). The one
 * process-wide setting of esgxd: every object logs to the same stderr. */
void esgx_node_log_set_level(int level);

/* Sets *level to the NODE_LOG_* named by name (error, warn or warning, info, debug; any
 * case). Returns 0 or ESGX_NODE_E_ARG (unknown name; *level untouched). */
ESGX_MUST_CHECK int esgx_node_log_level_parse(const char *name, int *level);

/* Logs one line to stderr ("esgxd: 2026-01-01T00:00:00Z LEVEL message") if level is
 * enabled. Never pass secrets. */
void esgx_node_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes the current UTC time as "2026-01-01T00:00:00.000Z" into out (cap bytes,
 * NUL-terminated; 25 bytes hold it). */
void esgx_node_log_stamp(char *out, size_t cap);

#endif
