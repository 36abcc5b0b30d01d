/*
 * fuzz_name_record.c: libFuzzer target for the two strict JSON parsers of lib/proto
 * (build with -DESGX_FUZZ=ON): name records and the response header line.
 * Properties: parsing arbitrary bytes never crashes; an accepted name record formats
 * to canonical JSON that parses back to the same record and formats to the same bytes;
 * an accepted header line formats (with its optional members) to a line that parses
 * back to the same header and tree.
 */
#include "esgx_crypto.h"
#include "esgx_proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void record(const uint8_t *data, size_t size)
{
    static esgx_name_record a, b;
    static char j1[ESGX_NAME_RECORD_JSON_MAX], j2[ESGX_NAME_RECORD_JSON_MAX];
    size_t l1, l2;
    if (esgx_name_record_parse((const char *)data, size, &a, NULL)) return;
    if (esgx_name_record_format(&a, j1, sizeof j1, &l1, NULL) ||
        esgx_name_record_parse(j1, l1, &b, NULL) || memcmp(&a, &b, sizeof a) ||
        esgx_name_record_format(&b, j2, sizeof j2, &l2, NULL) || l1 != l2 || memcmp(j1, j2, l1))
        abort();
}

static void header(const uint8_t *data, size_t size)
{
    esgx_proto_header h, g;
    size_t cap = size / 2 + 32;
    uint8_t *tree = malloc(cap), *tree2 = malloc(cap);
    if (!tree || !tree2) abort();
    if (esgx_proto_parse_header((const char *)data, size, &h, tree, cap, NULL) == 0) {
        esgx_msg_result r;
        memset(&r, 0, sizeof r);
        memcpy(r.output_hash, h.hash, 32);
        memcpy(r.input_hash, h.input_hash, 32);
        memcpy(r.signature, h.signature, 65);
        r.fuel_used = h.fuel_used;
        r.tree.ptr = tree;
        r.tree.len = h.tree_count * 32;
        esgx_proto_header_extra x = {.by_name = h.by_name, .name = h.name, .name_len = h.name_len,
                                     .seq = h.seq, .sealed = h.sealed};
        memcpy(x.owner, h.owner, 33);
        size_t need = esgx_proto_header_len_ex(&r, &x), len;
        char *line = malloc(need);
        if (!line || esgx_proto_format_header_ex(&r, &x, line, need, &len, NULL) ||
            esgx_proto_parse_header(line, len, &g, tree2, cap, NULL) || memcmp(&h, &g, sizeof h) ||
            memcmp(tree, tree2, h.tree_count * 32))
            abort();
        free(line);
    }
    free(tree);
    free(tree2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 16) return 0;
    record(data, size);
    header(data, size);
    return 0;
}
