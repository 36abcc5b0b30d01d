/*
 * cli_rust.h: the Rust toolchain `esgx build` runs a cargo build line with (cli_rust.c):
 * the first folder (PATH order, then /usr/bin) whose cargo and rustc build for the
 * target, and a Cargo.lock that toolchain's cargo reads.
 */
#ifndef ESGX_CLI_RUST_H
#define ESGX_CLI_RUST_H

#include <stddef.h>

#include "esgx_common.h"

/* A toolchain found by cli_rust_choose. */
typedef struct cli_rust_toolchain {
    char dir[4096];     /* the folder holding both (a PATH entry as written, or /usr/bin) */
    char cargo[4200];   /* dir/cargo */
    char rustc[4200];   /* dir/rustc */
    int cargo_minor;    /* 65 for cargo 1.65 */
} cli_rust_toolchain;

/* 1 when the shell line build runs cargo (the word cargo as a command), else 0. */
int cli_rust_uses_cargo(const char *build);

/* The target of a cargo line: the word after --target (or --target=) in build, else
 * wasm32-unknown-unknown. Written into out (cap bytes). */
void cli_rust_target(const char *build, char *out, size_t cap);

/* Finds the first folder (each absolute PATH entry in order, then /usr/bin; the same
 * real folder asked once) holding cargo and rustc where rustc's target-libdir for target
 * holds a libstd-*.rlib and `cargo --version` answers. Fills t. Returns 0, or
 * ESGX_CLI_E_FAILED with err naming each folder tried and why it was passed over, and
 * exactly what to install (Debian's packages, or rustup's target). */
int cli_rust_choose(const char *target, cli_rust_toolchain *t, esgx_err *err);

/* Makes project_dir/Cargo.lock one that t's cargo reads: a version 4 lock with no git
 * sources is rewritten as version 3 when cargo is older than 1.78, any other lock newer
 * than it reads is removed (cargo writes it again). note (note_cap bytes) gets a line
 * saying what was done, or "" when nothing was. Returns 0 (also when there is no lock),
 * or ESGX_CLI_E_FAILED with err when the file could not be read or written. */
int cli_rust_fix_lock(const char *project_dir, const cli_rust_toolchain *t, char *note,
                      size_t note_cap, esgx_err *err);

#endif
