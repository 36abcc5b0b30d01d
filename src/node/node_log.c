/*
 * node_log.c: esgxd's log lines on stderr, "esgxd: 2026-01-01T00:00:00.000Z LEVEL message".
 *
 * The level is the one process-wide setting of esgxd (an atomic, set once by main from
 * --log-level): every object writes to the same stderr, so passing a logger down
 * would add an argument to every function without giving anyone a second log.
 * Every message is written with its control characters escaped (\xNN): names,
 * paths and errors that came from a request can never forge a second log line.
 */
#include "node_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

/* The one process-wide setting: every object logs to the same stderr (node_log.h). */
static _Atomic int g_log_level = NODE_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void esgx_node_log_set_level(int level)
{
    atomic_store(&g_log_level, level);
}

void esgx_node_log(int level, const char *fmt, ...)
{
    if (level > atomic_load(&g_log_level)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char safe[4 * sizeof msg];
    esgx_escape_controls(msg, safe, sizeof safe);
    char when[40];
    esgx_node_log_stamp(when, sizeof when);
    fprintf(stderr, "esgxd: %s %s %s\n", when, level_names[level], safe);
}

void esgx_node_log_stamp(char *out, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%.19s.%03uZ", when, (unsigned)(ts.tv_nsec / 1000000 % 1000));
}


int esgx_node_log_level_parse(const char *name, int *level)
{
    for (int k = 0; k < 4; k++)
        if (!strcasecmp(name, level_names[k])) {
            *level = k;
            return ESGX_OK;
        }
    if (strcasecmp(name, "warning")) return ESGX_NODE_E_ARG;
    *level = NODE_LOG_WARN;
    return ESGX_OK;
}
