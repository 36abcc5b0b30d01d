/*
 * cli_opts.c: the one option parser of the esgx commands (cli.h, cli_parse_options):
 * one loop that matches each argument against the command's table of rows (name,
 * kind, field offset, range), so a command lists its options instead of writing its
 * own strcmp chain, and every number given as an option goes through the one parser
 * esgx_parse_u64 (decimal only). The table is found by the command's path in
 * cli_spec.c, the same table that completion and did-you-mean read. Every usage error
 * is one line through cli_usage_error ("see 'esgx CMD --help'"), an unknown option with
 * the closest name of the table as its did-you-mean (cli_unknown_option).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Whether kind takes a value. */
static int takes_value(cli_opt_kind kind)
{
    return kind == CLI_OPT_STRING || kind == CLI_OPT_U64 || kind == CLI_OPT_LIST;
}

/* The row for argument a (exact name or alias, "name=value", or a one-letter alias with
 * its value glued on: "-l32"); *val gets the value found in a, or NULL. */
static const cli_option *find_row(const cli_option *t, const char *a, const char **val)
{
    *val = NULL;
    for (; t->name; t++) {
        const char *names[2] = {t->name, t->alias};
        for (int k = 0; k < 2; k++) {
            if (!names[k]) continue;
            size_t n = strlen(names[k]);
            if (strncmp(a, names[k], n) != 0) continue;
            if (a[n] == 0) return t;
            if (!takes_value(t->kind)) continue;
            if (a[n] == '=') {
                *val = a + n + 1;
                return t;
            }
            if (n == 2 && names[k][1] != '-') {   /* -l32 */
                *val = a + n;
                return t;
            }
        }
    }
    return NULL;
}

/* Stores value v of row r into opts. */
static int store(const char *cmd, const cli_option *r, void *opts, const char *v)
{
    char *field = (char *)opts + r->offset;
    if (r->kind == CLI_OPT_STRING) {
        *(const char **)field = v;
        return ESGX_OK;
    }
    if (r->kind == CLI_OPT_LIST) {
        cli_list *l = (cli_list *)field;
        if (l->n == CLI_LIST_MAX) {
            cli_usage_error(cmd, "at most %d %s values", CLI_LIST_MAX, r->name);
            return ESGX_CLI_E_USAGE;
        }
        l->v[l->n++] = v;
        return ESGX_OK;
    }
    if (r->word && strcmp(v, r->word) == 0) {
        *(uint64_t *)field = r->word_value;
        return ESGX_OK;
    }
    esgx_err err;
    if (v[0] == '-' && v[1] >= '0' && v[1] <= '9') {   /* "-5": a number, just not one we take */
        if (r->wants) cli_usage_error(cmd, "%s wants %s: '%.40s' is negative", r->name, r->wants, v);
        else cli_usage_error(cmd, "%s: '%.40s' is negative (%llu to %llu)", r->name, v,
                             (unsigned long long)r->min, (unsigned long long)r->max);
        return ESGX_CLI_E_USAGE;
    }
    if (esgx_parse_u64(v, r->min, r->max, r->flags, (uint64_t *)field, &err) != 0) {
        if (r->wants)
            cli_usage_error(cmd, "%s wants %s: %s", r->name, r->wants, err.msg);
        else
            cli_usage_error(cmd, "%s: %s", r->name, err.msg);
        return ESGX_CLI_E_USAGE;
    }
    return ESGX_OK;
}

int cli_parse_options(const char *cmd, void *opts, int argc, char **argv, const char **pos,
                      size_t max_pos, size_t *n_pos)
{
    static const cli_option none[] = {CLI_OPT_END};
    const cli_spec *spec = cli_spec_find(cmd);
    const cli_option *table = spec && spec->options ? spec->options : none;
    *n_pos = 0;
    int opts_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        int is_opt = !opts_done && a[0] == '-' && a[1];
        if (is_opt && !strcmp(a, "--")) {
            opts_done = 1;
            continue;
        }
        if (is_opt && (!strcmp(a, "--help") || !strcmp(a, "-h"))) return 1;
        const cli_option *r = is_opt ? find_row(table, a, &val) : NULL;
        if (!r && is_opt) {
            cli_unknown_option(cmd, a);
            return ESGX_CLI_E_USAGE;
        }
        if (!r) {
            if (*n_pos == max_pos) {
                cli_usage_error(cmd, "unexpected argument '%s'", a);
                return ESGX_CLI_E_USAGE;
            }
            pos[(*n_pos)++] = a;
            continue;
        }
        if (!takes_value(r->kind)) {
            *(int *)((char *)opts + r->offset) = r->kind == CLI_OPT_FLAG;
            continue;
        }
        if (!val && i + 1 >= argc) {
            cli_usage_error(cmd, "%s needs a value", a);   /* as typed: -l or --length */
            return ESGX_CLI_E_USAGE;
        }
        int rc = store(cmd, r, opts, val ? val : argv[++i]);
        if (rc != ESGX_OK) return rc;
    }
    return ESGX_OK;
}
