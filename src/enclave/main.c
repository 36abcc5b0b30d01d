/*
 * main.c: the esgx-enclave process: the order of its steps and its one cleanup path.
 *
 * The host (esgxd) starts us with one end of a socketpair (--channel-fd; docs/channel.md).
 * main parses the command line (options.c), then runs the steps below in order; the
 * first that fails gives the exit status (78 = configuration error, fatal for the host;
 * 1 = failure, the host restarts us), and every step's resources are released by one
 * teardown whatever step was reached. The last step is the frame loop (channel.c); its
 * result is the exit status after SHUTDOWN, EOF or a channel error.
 *
 * The process's state is one `enclave` object (enclave.h) passed down to every
 * function and handed to callbacks through their void *arg. It has static storage
 * duration only so that a peer thread that esgx_peer_stop leaves behind (stuck in a
 * connection; the process is about to exit) never touches a dead stack frame; no
 * function reaches it except through the pointer passed down.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "enclave.h"

void enclave_log(const enclave *E, int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    if (level > E->opt.log_level || level < LOG_ERROR) return;
    char msg[2048], safe[4 * sizeof msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    esgx_escape_controls(msg, safe, sizeof safe);   /* one message, one line */
    fprintf(stderr, "esgx-enclave: %s: %s\n", names[level], safe);
}

/* Step: the locks of the channel and of the collateral wait. */
static int locks_start(enclave *E)
{
    if (enclave_channel_init(E) != 0 || enclave_collateral_init(E) != 0) {
        enclave_log(E, LOG_ERROR, "cannot initialise the enclave's locks");
        return ENCLAVE_EXIT_FAILURE;
    }
    return 0;
}

/* Step: one line naming who we are, then HELLO. */
static int announce(enclave *E)
{
    char hex[65];
    esgx_crypto_hex_encode(E->trust.plat->mrenclave, 32, hex);
    enclave_log(E, LOG_INFO, "platform %s, mrenclave %s, %s, %u workers", E->trust.plat->name,
                hex, E->trust.ks.ready ? "shared key ready" : "no shared key", E->opt.workers);
    return enclave_send_hello(E);
}

/* Each returns 0 to go on or the process exit status. */
static int (*const STEPS[])(enclave *E) = {
    locks_start,             /* channel and collateral-wait locks */
    enclave_platform_start,  /* trust.c: sim or gramine-sgx, from the environment */
    enclave_trust_start,     /* trust.c: RA-TLS verifier (roots, collateral, policy) */
    enclave_key_start,       /* trust.c: --init check, or unseal the shared key */
    enclave_exec_start,      /* exec_bridge.c: the executor, with the key if unsealed */
    announce,                /* HELLO */
    enclave_peers_start,     /* trust.c: after HELLO, so KEY_STATUS (id 0) follows it */
    enclave_workers_start,   /* channel.c: the worker pool */
    enclave_channel_run,     /* channel.c: the frame loop until SHUTDOWN or EOF */
};

/* The one cleanup path: releases what the steps set up, in reverse order; each part
 * is safe when its step never ran. */
static void teardown(enclave *E)
{
    enclave_collateral_closed(E);   /* waiters on a peer thread fail at once */
    enclave_peers_stop(E);          /* before the executor: a fetch may publish a key */
    enclave_workers_stop(E);        /* every queued job finishes and is answered */
    enclave_exec_stop(E);
    enclave_trust_stop(E);          /* wipes the key, closes the platform */
    /* The locks are not destroyed: a peer thread left running may still hold them. */
}

int main(int argc, char **argv)
{
    static enclave E;
    int rc = enclave_options_parse(argc, argv, &E.opt);
    if (rc == 1) return 0;                    /* --help */
    if (rc != 0) return ENCLAVE_EXIT_CONFIG;
    /* No core dumps or ptrace by non-root: the process holds the shared key. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    int exit_code = 0;
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0] && exit_code == 0; i++)
        exit_code = STEPS[i](&E);
    teardown(&E);
    return exit_code;
}
