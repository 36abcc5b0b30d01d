/*
 * console.c: serves the web console built into esgxd (docs/console.md): GET / is
 * index.html, GET /console/FILE the other files of the bundle, by exact name (the table
 * of console_bundle.h, generated at build time; no file system, no directory).
 *
 * Every console file goes with Cache-Control: no-cache (a browser asks again, cheaply:
 * the ETag is the file's SHA-256 and a matching If-None-Match is answered 304),
 * X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and a strict
 * Content-Security-Policy: scripts and styles from this node only (no inline code), no
 * frames, forms or base URI, images from the node or data: URIs, and fetch() to this
 * node and to the members of its network, whose origins come from the network's view
 * (esgx_net_nodes_json) on each request, checked to be plain scheme://host[:port]
 * (esgx_console_origin) before they go into the header: a member URL is data from etcd,
 * never written into a header unchecked. HEAD is answered like GET without the body
 * (libmicrohttpd). With --no-console (or a build without it) the routes are 404
 * (http_request.c does not classify them). Requests are counted under route "console".
 */
#define _GNU_SOURCE
#include "console.h"
#include "http_internal.h"

#include <ctype.h>
#include <strings.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

const esgx_console_file *esgx_console_find(const char *name)
{
    for (size_t i = 0; i < esgx_console_n_files; i++)
        if (!strcmp(esgx_console_files[i].name, name)) return &esgx_console_files[i];
    return NULL;
}

const char *esgx_console_hash(void)
{
    return esgx_console_bundle_hash[0] ? esgx_console_bundle_hash : NULL;
}

int esgx_console_origin(const char *url, char *out, size_t cap)
{
    size_t k = 0, hl = 0;
    const char *p = url;
    if (cap) out[0] = 0;
    if (!url || cap < 16) return -1;
    if (!strncasecmp(p, "https://", 8)) memcpy(out, "https://", 8), k = 8, p += 8;
    else if (!strncasecmp(p, "http://", 7)) memcpy(out, "http://", 7), k = 7, p += 7;
    else return -1;
    int v6 = *p == '[';
    if (v6) out[k++] = *p++;
    for (; *p && (v6 ? isxdigit((unsigned char)*p) || *p == ':' || *p == '.'
                     : isalnum((unsigned char)*p) || *p == '.' || *p == '-'); p++, hl++) {
        if (k + 8 >= cap || hl >= 253) goto bad;
        out[k++] = (char)tolower((unsigned char)*p);
    }
    if (!hl || (v6 && *p++ != ']')) goto bad;
    if (v6) out[k++] = ']';
    if (*p == ':') {
        unsigned port = 0, digits = 0;
        for (p++; isdigit((unsigned char)*p) && digits < 6; p++, digits++)
            port = port * 10 + (unsigned)(*p - '0');
        if (!digits || digits > 5 || port < 1 || port > 65535) goto bad;
        k += (size_t)snprintf(out + k, cap - k, ":%u", port);
    }
    if (*p && *p != '/' && *p != '?' && *p != '#') goto bad;
    out[k] = 0;
    return 0;
bad:
    out[0] = 0;
    return -1;
}

char *esgx_console_csp(const char *nodes_json)
{
    static const char head[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'";
    static const char tail[] = "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    json_t *a = nodes_json ? json_loads(nodes_json, 0, NULL) : NULL;
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    size_t cap = sizeof head + sizeof tail + n * 300;
    char *s = malloc(cap);
    if (!s) {
        json_decref(a);
        return NULL;
    }
    size_t k = (size_t)snprintf(s, cap, "%s", head);
    for (size_t i = 0; i < n; i++) {
        char o[280], probe[284];
        const char *url = json_string_value(json_object_get(json_array_get(a, i), "url"));
        if (esgx_console_origin(url, o, sizeof o)) continue;
        snprintf(probe, sizeof probe, " %s", o);   /* each origin once */
        size_t pl = strlen(probe);
        const char *hit = strstr(s, probe);
        if (hit && (hit[pl] == ' ' || hit[pl] == 0)) continue;
        k += (size_t)snprintf(s + k, cap - k, "%s", probe);
    }
    snprintf(s + k, cap - k, "%s", tail);
    json_decref(a);
    return s;
}

enum MHD_Result esgx_http_route_console(struct MHD_Connection *c, hreq *h)
{
    const esgx_console_file *f = esgx_console_find(h->rt.name);
    if (!f) return esgx_http_reply_error(c, h, 404, "not_found", "no console file '%s'", h->rt.name);
    char etag[68];
    snprintf(etag, sizeof etag, "\"%s\"", f->sha256);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    unsigned status = inm && !strcmp(inm, etag) ? 304 : 200;
    char *nodes = h->srv->d.net ? esgx_net_nodes_json(h->srv->d.net) : NULL;
    char *csp = esgx_console_csp(nodes);
    free(nodes);
    if (!csp) return esgx_http_reply_error(c, h, 503, "busy", "out of memory");
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        status == 200 ? f->len : 0, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(csp);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    free(csp);
    enum MHD_Result r = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    esgx_metrics_request(h->srv->d.metrics, h->rt.route, status);
    return r;
}
