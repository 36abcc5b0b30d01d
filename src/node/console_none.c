/*
 * console_none.c: the console table of a build without the console (-DESGX_CONSOLE=OFF):
 * no files, so every console route answers 404 and `esgxd --version` says
 * "console none" (console_bundle.h).
 */
#include "console_bundle.h"

const esgx_console_file esgx_console_files[1] = {{"", "", (const unsigned char *)"", 0, ""}};
const size_t esgx_console_n_files = 0;
const char esgx_console_bundle_hash[] = "";
