/*
 * wasi_printf: a plain C program for wasm32-wasi. stdout is the function's output,
 * stdin its input, stderr the node's debug log.
 */
#include <stdio.h>

int main(void)
{
    char line[256];
    size_t n = fread(line, 1, sizeof line - 1, stdin);
    line[n] = '\0';
    printf("Hello from WASI printf! You sent %zu bytes: \"%s\"\n", n, line);
    fprintf(stderr, "debug: handled %zu bytes\n", n);
    return 0;
}
