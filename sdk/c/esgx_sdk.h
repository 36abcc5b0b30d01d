/*
 * esgx_sdk.h: the C guest SDK in one include: the fn0 host API (esgx_fn0.h), memory
 * and input (esgx_mem.h), hex (esgx_hex.h), SHA-256 (esgx_sha256.h) and flat JSON
 * (esgx_json.h). Header-only. Build a guest with:
 *
 *     clang-19 --target=wasm32 -O2 -ffreestanding -nostdlib -mbulk-memory \
 *              -Wl,--no-entry -Wl,--strip-all -I sdk -I sdk/c -o fn.wasm fn.c
 *
 * -ffreestanding: no hosted libc assumed; -nostdlib: link nothing but your code;
 * -mbulk-memory: memcpy/memset become memory.copy/memory.fill; --no-entry: the entry is
 * the export made by ESGX_MAIN, not _start; --strip-all: no names section.
 */
#ifndef ESGX_SDK_H
#define ESGX_SDK_H

#include "esgx_fn0.h"
#include "esgx_hex.h"
#include "esgx_json.h"
#include "esgx_mem.h"
#include "esgx_sha256.h"

#endif
