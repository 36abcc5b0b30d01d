/*
 * test_exec_env.h: the setting of the executor's tests (test_executor.c,
 * test_exec_trust.c): a temp folder, the sim platform, a fresh shared key in a key store,
 * and an executor that holds it. Test programs only.
 */
#ifndef ESGX_TEST_EXEC_ENV_H
#define ESGX_TEST_EXEC_ENV_H

#include <stdio.h>
#include <stdlib.h>

#include "executor.h"
#include "keystore.h"
#include "platform.h"
#include "test_util.h"

typedef struct t_exec_env {
    char tmp[256];
    esgx_platform *plat;
    esgx_keystore ks;
    executor *ex;
} t_exec_env;

/* Opens e (tag names the temp folder; debug is exec_config.debug). Returns 0, 77 when
 * wat2wasm is missing (the tests assemble their guests: skip), or 1 (message printed). */
static inline int t_exec_env_open(t_exec_env *e, const char *tag, int debug)
{
    if (system("wat2wasm --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "wat2wasm not found: skipping\n");
        return 77;
    }
    t_tmpdir(e->tmp, sizeof e->tmp, tag);
    esgx_err err;
    exec_config cfg;
    esgx_exec_config_default(&cfg);
    cfg.debug = debug;
    if (esgx_platform_sim_open(e->tmp, NULL, &e->plat, &err) != 0 ||
        esgx_keystore_create(&e->ks, e->plat, e->tmp, &err) != 0 ||
        esgx_executor_new(&cfg, e->plat, &e->ex, &err) != 0 ||
        esgx_executor_set_key(e->ex, &e->ks.shared, e->ks.xpub, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static inline void t_exec_env_close(t_exec_env *e)
{
    esgx_executor_free(e->ex);
    esgx_keystore_wipe(&e->ks);
    esgx_platform_close(e->plat);
    t_rmdir(e->tmp);
}

#endif
