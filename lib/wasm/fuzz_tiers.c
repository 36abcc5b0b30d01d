/*
 * fuzz_tiers.c: libFuzzer target fuzz_wasm_tiers (built only with ESGX_FUZZ=ON,
 * esgx_add_fuzzer in CMakeLists.txt; seeds from fuzz/make_tiers_corpus.sh, run with
 * scripts/fuzz.sh, docs/fuzzing.md).
 *
 * Each input is taken as a module binary and run on both tiers, the interpreter and
 * the compiler, by the differential check of tiers_diff.c (the same code as the ctest
 * wasm_tiers_diff): both must parse it alike and, once instantiated with the same
 * deterministic imports, agree on every export call (return code, trap kind, results
 * bit for bit, fuel left, host calls) and on the final memories, globals and tables.
 * A difference is printed and abort()s. Until the compiler lands
 * (esgx_wasm_jit_available() is 0) both sides run the interpreter.
 */
#include "tiers_diff.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char report[1024];
    if (esgx_tiers_diff_run(data, size, ESGX_TIERS_DIFF_FUEL, NULL, report, sizeof report)) {
        fprintf(stderr, "fuzz_wasm_tiers: the tiers differ: %s\n", report);
        abort();
    }
    return 0;
}
