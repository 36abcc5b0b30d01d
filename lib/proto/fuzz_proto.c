/*
 * fuzz_proto.c: libFuzzer target for the channel decoder (build with -DESGX_FUZZ=ON).
 * Property: decoding arbitrary bytes never crashes, and every accepted frame encodes
 * back to exactly the same bytes. The input is also fed through esgx_proto_read over a
 * pipe, so the stream reader's buffering sees split and concatenated frames.
 */
#include "esgx_proto.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    esgx_msg m;
    if (esgx_proto_decode(data, size, &m, NULL) == 0) {
        size_t n = esgx_proto_encoded_size(&m);
        uint8_t *g = malloc(n ? n : 1);
        size_t len = 0;
        if (!n || esgx_proto_encode(&m, g, n, &len, NULL) || len != size ||
            memcmp(g, data, size) != 0)
            abort();
        free(g);
    }
    if (size > 60000) return 0; /* stays below the pipe buffer */
    int p[2];
    if (pipe(p)) return 0;
    if (write(p[1], data, size) != (ssize_t)size) abort();
    close(p[1]);
    esgx_proto_reader r;
    esgx_proto_reader_init(&r);
    while (esgx_proto_read(&r, p[0], &m, NULL) == 0) {}
    esgx_proto_reader_free(&r);
    close(p[0]);
    return 0;
}
