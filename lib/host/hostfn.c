/*
 * hostfn.c: what the fn0, WASI and `esgx` host functions share: import lookup by module
 * (fn0, wasi_snapshot_preview1, wasi_unstable, esgx), name and exact type, fuel charging
 * (prices in host_internal.h), the bounded output buffer, and
 * the guest debug log.
 */
#include "host_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int type_equal(const hostfn_def *d, const esgx_wasm_functype *t)
{
    if (!t || t->n_params != d->n_params || t->n_results != d->n_results) return 0;
    for (uint32_t i = 0; i < t->n_params; i++)
        if (t->params[i] != d->params[i]) return 0;
    for (uint32_t i = 0; i < t->n_results; i++)
        if (t->results[i] != d->results[i]) return 0;
    return 1;
}

static int name_eq(const char *a, size_t a_len, const char *b)
{
    return strlen(b) == a_len && memcmp(a, b, a_len) == 0;
}

const hostfn_def *esgx_host_fn_lookup(const char *module, size_t module_len, const char *name,
                                size_t name_len, const esgx_wasm_functype *type, int *name_known,
                                const hostfn_def **expected)
{
    const hostfn_def *table = NULL;
    size_t count = 0;
    if (name_known) *name_known = 0;
    if (expected) *expected = NULL;
    if (name_eq(module, module_len, "fn0")) {
        table = esgx_host_fn_fn0_table;
        count = esgx_host_fn_fn0_count;
    } else if (name_eq(module, module_len, "wasi_snapshot_preview1")) {
        table = esgx_host_fn_wasi_table;
        count = esgx_host_fn_wasi_count;
    } else if (name_eq(module, module_len, "esgx")) {
        table = esgx_host_fn_ec_table;
        count = esgx_host_fn_ec_count;
    } else if (name_eq(module, module_len, "wasi_unstable")) {
        table = esgx_host_fn_wasi_unstable_table;
        count = esgx_host_fn_wasi_unstable_count;
    }
    for (size_t i = 0; i < count; i++) {
        if (!table[i].fn || !name_eq(name, name_len, table[i].name)) continue;
        if (type_equal(&table[i], type)) return &table[i];
        if (name_known) *name_known = 1;
        if (expected && !*expected) *expected = &table[i];
    }
    return NULL;
}

guest_state *esgx_host_fn_state(esgx_wasm_ctx *ctx)
{
    return esgx_wasm_store_user(esgx_wasm_ctx_store(ctx));
}

int esgx_host_fn_charge(esgx_wasm_ctx *ctx, uint64_t fuel)
{
    if (esgx_wasm_ctx_fuel_charge(ctx, fuel) != 0) {
        esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_OUT_OF_FUEL, "out of fuel");
        return ESGX_HOST_E_TRAP;
    }
    return 0;
}

uint64_t esgx_host_fn_copy_cost(uint64_t bytes)
{
    return HOSTFN_FUEL_CALL + hostfn_per_64b(HOSTFN_FUEL_COPY_PER_64B, bytes);
}

int esgx_host_fn_output_append(esgx_wasm_ctx *ctx, guest_state *gs, const uint8_t *p, size_t n)
{
    if (n == 0) return 0;
    if (n > gs->max_output || gs->out_len > gs->max_output - n) {
        gs->trap_code = "output_too_large";
        esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_LIMIT, "output limit exceeded (%llu bytes)",
                      (unsigned long long)gs->max_output);
        return ESGX_HOST_E_TRAP;
    }
    size_t need = gs->out_len + n;
    if (need > gs->out_cap) {
        size_t cap = gs->out_cap ? gs->out_cap : 4096;
        while (cap < need) cap *= 2;
        if (cap > gs->max_output) cap = (size_t)gs->max_output;
        uint8_t *nb = realloc(gs->out, cap);
        if (!nb) {
            gs->trap_code = "output_too_large";
            esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_LIMIT, "out of memory for %zu bytes of output", need);
            return ESGX_HOST_E_TRAP;
        }
        gs->out = nb;
        gs->out_cap = cap;
    }
    memcpy(gs->out + gs->out_len, p, n);
    gs->out_len += n;
    return 0;
}

/* Appends p[0..n) to the capture buffer, and a newline if line; once capture_max would
 * be passed, the buffer ends with ESGX_HOST_LOGS_CUT (counted in capture_max) and the rest
 * is dropped. Allocation failure drops the bytes too (the capture is best effort). */
static void capture(guest_state *gs, const uint8_t *p, size_t n, int line)
{
    static const char cut[] = ESGX_HOST_LOGS_CUT;
    size_t cut_len = sizeof cut - 1;
    if (gs->cap_cut || gs->capture_max <= cut_len) return;
    if (!gs->cap) {
        gs->cap = malloc(gs->capture_max);
        if (!gs->cap) return;
    }
    size_t room = gs->capture_max - cut_len - gs->cap_len;   /* cap_len <= max - cut */
    size_t want = n + (line ? 1 : 0);
    if (want > room) {
        memcpy(gs->cap + gs->cap_len, p, room);
        memcpy(gs->cap + gs->cap_len + room, cut, cut_len);
        gs->cap_len += room + cut_len;
        gs->cap_cut = 1;
        return;
    }
    if (n) memcpy(gs->cap + gs->cap_len, p, n);
    if (line) gs->cap[gs->cap_len + n] = '\n';
    gs->cap_len += want;
}

void esgx_host_fn_debug_log(guest_state *gs, const char *what, const uint8_t *p, size_t n)
{
    if (gs->capture_max) {
        int line = strcmp(what, "debug") == 0;
        size_t k = n;
        while (line && k && p[k - 1] == '\n') k--;
        capture(gs, p, k, line);
    }
    if (!gs->debug || gs->debug_logged >= HOSTFN_DEBUG_LOG_MAX) return;
    char hash8[17];
    esgx_crypto_hex_encode(gs->module_hash, 8, hash8);
    size_t room = HOSTFN_DEBUG_LOG_MAX - gs->debug_logged;
    if (n > room) n = room;
    gs->debug_logged += n;
    while (n && p[n - 1] == '\n') n--;
    char buf[4096];
    flockfile(stderr);
    fprintf(stderr, "[guest %s %s] ", hash8, what);
    while (n) {   /* one line per print: no raw control bytes */
        size_t used;
        fwrite(buf, 1, esgx_escape_bytes(p, n, NULL, buf, sizeof buf, &used), stderr);
        p += used;
        n -= used;
    }
    putc_unlocked('\n', stderr);
    if (gs->debug_logged >= HOSTFN_DEBUG_LOG_MAX)
        fprintf(stderr, "[guest %s] debug log limit reached (%u bytes per invocation); "
                "the rest is dropped\n", hash8, (unsigned)HOSTFN_DEBUG_LOG_MAX);
    funlockfile(stderr);
}
