/*
 * cli_opts.c: the commands' option tables (cli.h, cli_parse_options): one loop that
 * matches each argument against a table of rows (name, kind, field offset, range), so
 * a command lists its options instead of writing its own strcmp chain, and every number
 * given as an option goes through the one parser esgx_parse_u64 (decimal only).
 * Every usage error is one line through cli_usage_error ("see 'esgx CMD --help'"), an
 * unknown option with the closest name of the table as its did-you-mean.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* The row for argument a (exact name or alias, or "name=value"); *eq gets the value
 * after '=' or NULL. */
static const cli_option *find_row(const cli_option *t, const char *a, const char **eq)
{
    *eq = NULL;
    for (; t->name; t++) {
        const char *names[2] = {t->name, t->alias};
        for (int k = 0; k < 2; k++) {
            if (!names[k]) continue;
            size_t n = strlen(names[k]);
            if (strncmp(a, names[k], n) != 0) continue;
            if (a[n] == 0) return t;
            if (a[n] == '=' && t->kind != CLI_OPT_FLAG) {
                *eq = a + n + 1;
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
    if (esgx_parse_u64(v, r->min, r->max, r->flags, (uint64_t *)field, &err) != 0) {
        cli_usage_error(cmd, "%s: %s", r->name, err.msg);
        return ESGX_CLI_E_USAGE;
    }
    return ESGX_OK;
}

/* "unknown option 'A'", with the table's closest name as a did-you-mean. */
static void unknown(const char *cmd, const cli_option *t, const char *a)
{
    char words[1024] = "--help", near[64], name[64];
    size_t used = strlen(words);
    for (; t->name; t++) {
        int n = snprintf(words + used, sizeof words - used, " %s%s%s", t->name,
                         t->alias ? " " : "", t->alias ? t->alias : "");
        if (n > 0 && (size_t)n < sizeof words - used) used += (size_t)n;
    }
    snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
    if (cli_suggest(name, words, near, sizeof near))
        cli_usage_error(cmd, "unknown option '%s'; did you mean '%s'?", a, near);
    else
        cli_usage_error(cmd, "unknown option '%s'", a);
}

int cli_parse_options(const char *cmd, const cli_option *table, void *opts, int argc,
                      char **argv, const char **pos, size_t max_pos, size_t *n_pos)
{
    *n_pos = 0;
    int opts_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq;
        int is_opt = !opts_done && a[0] == '-' && a[1];
        if (is_opt && !strcmp(a, "--")) {
            opts_done = 1;
            continue;
        }
        if (is_opt && (!strcmp(a, "--help") || !strcmp(a, "-h"))) return 1;
        const cli_option *r = is_opt ? find_row(table, a, &eq) : NULL;
        if (!r && is_opt) {
            unknown(cmd, table, a);
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
        if (r->kind == CLI_OPT_FLAG) {
            *(int *)((char *)opts + r->offset) = 1;
            continue;
        }
        if (!eq && i + 1 >= argc) {
            cli_usage_error(cmd, "%s needs a value", r->name);
            return ESGX_CLI_E_USAGE;
        }
        int rc = store(cmd, r, opts, eq ? eq : argv[++i]);
        if (rc != ESGX_OK) return rc;
    }
    return ESGX_OK;
}
