/*
 * tiers_diff.h (internal to lib/wasm): the differential check of the two execution
 * tiers, shared by the libFuzzer target fuzz_wasm_tiers (fuzz_tiers.c) and the test
 * driver esgx-tiers-diff (tiers_diff_main.c), so both compare in exactly one way.
 *
 * One module binary is parsed twice, with limits.tier INTERP and JIT and otherwise the
 * same small limits; both must accept it or both refuse it with the same code. Each
 * parse is then instantiated in its own store with every import satisfied the same
 * deterministic way (host functions whose results are a hash of their arguments and
 * that trap for some of them; memories, tables and globals made fresh as declared), the
 * start function runs, and every exported function is called in export order with
 * arguments derived from the input bytes and a fresh fuel budget per call (until the
 * calls have used 16 budgets in all, so that no input takes long). After the
 * instantiation and after each call the two sides must agree on the return code, the
 * trap kind, the results bit for bit (NaN payloads included; values of a type not known
 * here are compared as whole esgx_wasm_value payload bytes), the fuel left and the
 * host calls made (count and a hash of their arguments); at the end on every memory
 * (size and bytes), global (value) and table (size and elements).
 */
#ifndef ESGX_WASM_TIERS_DIFF_H
#define ESGX_WASM_TIERS_DIFF_H

#include <stddef.h>
#include <stdint.h>

#define ESGX_TIERS_DIFF_FUEL 2000000u   /* default fuel per call and for instantiation */

typedef struct esgx_tiers_diff_stats {
    uint64_t modules;        /* inputs checked */
    uint64_t accepted;       /* inputs both tiers parsed */
    uint64_t instantiated;   /* inputs both tiers instantiated */
    uint64_t calls;          /* export calls compared */
    uint64_t traps;          /* of which trapped (on both tiers) */
    int tier_a, tier_b;      /* esgx_wasm_tier the last accepted module ran on, per side */
} esgx_tiers_diff_stats;

/* Runs the check on data[0..size) with `fuel` per call (0 = ESGX_TIERS_DIFF_FUEL).
 * Returns 0 when the tiers agree (or when the input is refused by both: report then
 * holds the reason), 1 on the first difference, described in report (NUL-terminated,
 * at most cap bytes; empty when they agree on an accepted module). Also
 * returns 1 when the compiler is available but the JIT side did not get it. stats
 * (may be NULL) is added to. */
int esgx_tiers_diff_run(const uint8_t *data, size_t size, uint64_t fuel,
                        esgx_tiers_diff_stats *stats, char *report, size_t cap);

#endif
