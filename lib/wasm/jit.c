/*
 * jit.c: the compiler tier (placeholder until the x86-64 code generator lands).
 */
#include "wasm_exec.h"

int esgx_wasm_jit_available(void)
{
    return 0;
}
