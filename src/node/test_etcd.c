/*
 * test_etcd.c: the etcd client (etcd.c) against a real etcd server started on
 * loopback: reads, lists, writes, transactions that must not race, deletes, leases
 * that expire, a watch that sees puts and deletes in order, fail-over from a dead
 * endpoint, and the error when no endpoint answers. Then the network's function
 * registry on it (network.c): deploys decided in etcd transactions (names.c), and
 * esgx_net_record_ok, which authorises a hash only for a functions/ entry whose record
 * verifies against the network key (not one whose hash was replaced, nor another
 * name's record copied over it, nor an unsigned entry). Then hung members (sockets
 * that accept and never answer, like a SIGSTOPped etcd): a call ends at its one
 * deadline however many members hang, and fails over to a live one within its share.
 * Skips (77) without etcd.
 */
#include "etcd.h"
#include "esgx_proto.h"
#include "esgx_test.h"
#include "network.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len)) {
        perror("free_port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* A member that hangs: a listening socket nobody accepts from (the kernel completes the
 * connection, no answer comes). Its port into *port; the fd (close it after). */
static int hung_member(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 64) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        perror("hung_member");
        exit(1);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* Three hung members: one deadline for the call (old client: one timeout per member);
 * a hung member before a live one costs its share, then the live one answers. */
static void test_hung(const char *good)
{
    unsigned p[3];
    int fd[3];
    for (int i = 0; i < 3; i++) fd[i] = hung_member(&p[i]);
    char eps[256];
    snprintf(eps, sizeof eps, "http://127.0.0.1:%u,http://127.0.0.1:%u,http://127.0.0.1:%u",
             p[0], p[1], p[2]);
    esgx_err err;
    esgx_etcd *e;
    esgx_etcd_kv kv;
    CHECK_RC(esgx_etcd_new(eps, "/t/", 1500, &e, &err), ESGX_OK);
    uint64_t t0 = esgx_monotonic_ms();
    CHECK_RC(esgx_etcd_get(e, "x", &kv, &err), ESGX_NODE_E_ETCD);
    uint64_t took = esgx_monotonic_ms() - t0;
    CHECK(took >= 1300 && took < 2500, "3 hung members, deadline 1500 ms: took %llu ms",
          (unsigned long long)took);
    CHECK(strstr(err.msg, "etcd unreachable (3 endpoints, 1500 ms)"), "%s", err.msg);
    t0 = esgx_monotonic_ms();
    CHECK_RC(esgx_etcd_get_within(e, "x", 300, &kv, &err), ESGX_NODE_E_ETCD);
    took = esgx_monotonic_ms() - t0;
    CHECK(took < 1000, "get_within 300 ms took %llu ms", (unsigned long long)took);
    CHECK(esgx_etcd_last_ok_ms(e) == 0);
    CHECK(esgx_etcd_requests(e) == 2);
    esgx_etcd_free(e);
    /* hung first, then the live member: answered after about a share (1000 ms of 2000) */
    snprintf(eps, sizeof eps, "http://127.0.0.1:%u,%s", p[0], good);
    CHECK_RC(esgx_etcd_new(eps, "/t/", 2000, &e, &err), ESGX_OK);
    t0 = esgx_monotonic_ms();
    CHECK_RC(esgx_etcd_get(e, "absent", &kv, &err), ESGX_NODE_E_NOTFOUND);
    took = esgx_monotonic_ms() - t0;
    CHECK(took >= 800 && took < 1800, "hung then live: took %llu ms", (unsigned long long)took);
    CHECK(esgx_etcd_last_ok_ms(e) >= t0);
    t0 = esgx_monotonic_ms();   /* the live member answered last: tried first now */
    CHECK_RC(esgx_etcd_get(e, "absent", &kv, &err), ESGX_NODE_E_NOTFOUND);
    CHECK(esgx_monotonic_ms() - t0 < 500);
    esgx_etcd_free(e);
    for (int i = 0; i < 3; i++) close(fd[i]);
}

static pid_t start_etcd(const char *dir, unsigned client, unsigned peer)
{
    char cu[64], pu[64], cluster[96];
    snprintf(cu, sizeof cu, "http://127.0.0.1:%u", client);
    snprintf(pu, sizeof pu, "http://127.0.0.1:%u", peer);
    snprintf(cluster, sizeof cluster, "t=%s", pu);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("etcd", "etcd", "--name", "t", "--data-dir", dir, "--listen-client-urls", cu,
               "--advertise-client-urls", cu, "--listen-peer-urls", pu,
               "--initial-advertise-peer-urls", pu, "--initial-cluster", cluster, (char *)NULL);
        _exit(127);
    }
    return pid;
}

typedef struct watch_log {
    esgx_etcd *e;
    int64_t from;
    char seen[1024];
    int events;
    int rc;
    _Atomic int stop;
} watch_log;

static int on_event(void *arg, int del, const esgx_etcd_kv *kv)
{
    watch_log *w = arg;
    size_t n = strlen(w->seen);
    snprintf(w->seen + n, sizeof w->seen - n, "%s %s=%s;", del ? "DEL" : "PUT", kv->key,
             (const char *)kv->value);
    return ++w->events == 3;
}

static void *watcher(void *arg)
{
    watch_log *w = arg;
    esgx_err err;
    w->rc = esgx_etcd_watch(w->e, "w/", w->from, on_event, w, &w->stop, NULL, &err);
    if (w->rc) fprintf(stderr, "watch: %s\n", err.msg);
    return NULL;
}

static void test_kv(esgx_etcd *e)
{
    esgx_err err;
    esgx_etcd_kv kv;
    CHECK_RC(esgx_etcd_get(e, "nothing", &kv, &err), ESGX_NODE_E_NOTFOUND);
    CHECK_RC(esgx_etcd_put(e, "functions/hello", "abc\0def", 7, 0, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_get(e, "functions/hello", &kv, &err), ESGX_OK);
    CHECK(kv.value_len == 7 && !memcmp(kv.value, "abc\0def", 7) && !strcmp(kv.key, "functions/hello"));
    int64_t rev = kv.mod_rev;
    esgx_etcd_kv_clear(&kv);
    /* create only if absent: refused for an existing key, accepted for a new one */
    CHECK_RC(esgx_etcd_put_if(e, "functions/hello", "x", 1, 0, 0, &err), ESGX_NODE_E_CONFLICT);
    CHECK(strstr(err.msg, "changed meanwhile"), "%s", err.msg);
    CHECK_RC(esgx_etcd_put_if(e, "functions/other", "o", 1, 0, 0, &err), ESGX_OK);
    /* compare-and-swap on the mod revision */
    CHECK_RC(esgx_etcd_put_if(e, "functions/hello", "v2", 2, rev, 0, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_put_if(e, "functions/hello", "v3", 2, rev, 0, &err), ESGX_NODE_E_CONFLICT);
    CHECK_RC(esgx_etcd_get(e, "functions/hello", &kv, &err), ESGX_OK);
    CHECK(kv.value_len == 2 && !memcmp(kv.value, "v2", 2));
    CHECK_RC(esgx_etcd_delete(e, "functions/hello", rev, 0, &err), ESGX_NODE_E_CONFLICT);
    CHECK_RC(esgx_etcd_delete(e, "functions/hello", kv.mod_rev, 0, &err), ESGX_OK);
    esgx_etcd_kv_clear(&kv);
    CHECK_RC(esgx_etcd_delete(e, "functions/hello", 0, 0, &err), ESGX_NODE_E_NOTFOUND);
    /* lists are in key order and stay inside the prefix */
    for (int i = 0; i < 5; i++) {
        char k[32], v[8];
        snprintf(k, sizeof k, "list/%d", 4 - i);
        snprintf(v, sizeof v, "%d", i);
        CHECK_RC(esgx_etcd_put(e, k, v, strlen(v), 0, &err), ESGX_OK);
    }
    CHECK_RC(esgx_etcd_put(e, "listx", "no", 2, 0, &err), ESGX_OK);
    esgx_etcd_kv *kvs;
    size_t n;
    int64_t lrev = 0;
    CHECK_RC(esgx_etcd_list(e, "list/", 0, &kvs, &n, &lrev, &err), ESGX_OK);
    CHECK_EQ_INT(n, 5);
    CHECK(n == 5 && !strcmp(kvs[0].key, "list/0") && !strcmp(kvs[4].key, "list/4"));
    CHECK(lrev > 0);
    esgx_etcd_kvs_free(kvs, n);
    CHECK_RC(esgx_etcd_list(e, "list/", 2, &kvs, &n, NULL, &err), ESGX_OK);
    CHECK_EQ_INT(n, 2);
    esgx_etcd_kvs_free(kvs, n);
    CHECK_RC(esgx_etcd_delete(e, "list/", 0, 1, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_list(e, "list/", 0, &kvs, &n, NULL, &err), ESGX_OK);
    CHECK_EQ_INT(n, 0);
    esgx_etcd_kvs_free(kvs, n);
}

static void test_lease(esgx_etcd *e)
{
    esgx_err err;
    int64_t id = 0;
    esgx_etcd_kv kv;
    CHECK_RC(esgx_etcd_lease_grant(e, 2, &id, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_put(e, "members/a", "{}", 2, id, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_get(e, "members/a", &kv, &err), ESGX_OK);
    CHECK(kv.lease == id);
    esgx_etcd_kv_clear(&kv);
    CHECK_RC(esgx_etcd_lease_keepalive(e, id, &err), ESGX_OK);
    sleep(4);   /* TTL 2 s, no keepalive: the lease and its key go */
    CHECK_RC(esgx_etcd_get(e, "members/a", &kv, &err), ESGX_NODE_E_NOTFOUND);
    CHECK_RC(esgx_etcd_lease_keepalive(e, id, &err), ESGX_NODE_E_NOTFOUND);
    CHECK_RC(esgx_etcd_lease_grant(e, 30, &id, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_put(e, "members/b", "{}", 2, id, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_lease_revoke(e, id, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_get(e, "members/b", &kv, &err), ESGX_NODE_E_NOTFOUND);
}

static void test_watch(esgx_etcd *e)
{
    esgx_err err;
    esgx_etcd_kv *kvs;
    size_t n;
    watch_log w = {.e = e};
    CHECK_RC(esgx_etcd_list(e, "w/", 0, &kvs, &n, &w.from, &err), ESGX_OK);
    esgx_etcd_kvs_free(kvs, n);
    /* a change between the list and the watch is not missed: start at from + 1 */
    CHECK_RC(esgx_etcd_put(e, "w/one", "1", 1, 0, &err), ESGX_OK);
    w.from += 1;
    pthread_t t;
    pthread_create(&t, NULL, watcher, &w);
    usleep(200000);
    CHECK_RC(esgx_etcd_put(e, "w/two", "2", 1, 0, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_put(e, "other", "x", 1, 0, &err), ESGX_OK);
    CHECK_RC(esgx_etcd_delete(e, "w/one", 0, 0, &err), ESGX_OK);
    pthread_join(t, NULL);
    CHECK_RC(w.rc, ESGX_OK);
    CHECK(!strcmp(w.seen, "PUT w/one=1;PUT w/two=2;DEL w/one=;"), "%s", w.seen);
    /* a stop flag ends a quiet watch */
    watch_log q = {.e = e, .stop = 0};
    pthread_create(&t, NULL, watcher, &q);
    usleep(300000);
    q.stop = 1;
    pthread_join(t, NULL);
    CHECK_RC(q.rc, ESGX_NODE_E_ABORTED);
}

/* ---------------------------------------------------------------- names on etcd */

static uint8_t g_netkey[33];
static int net_key(void *arg, uint8_t key[33])
{
    (void)arg;
    memcpy(key, g_netkey, 33);
    return 0;
}
static int store_has(void *arg, const uint8_t h[32]) { (void)arg, (void)h; return 0; }
static int store_put(void *arg, const uint8_t *d, size_t n, const uint8_t h[32], esgx_err *err)
{
    (void)arg, (void)d, (void)n, (void)h, (void)err;
    return 0;
}
static void store_each(void *arg, int (*fn)(void *, const uint8_t[32], uint64_t), void *fa)
{
    (void)arg, (void)fn, (void)fa;
}

static void put_value(esgx_etcd *e, const char *name, const char *record)
{
    static char val[ESGX_NAME_RECORD_JSON_MAX + 64];
    char key[96];
    snprintf(key, sizeof key, "functions/%s", name);
    snprintf(val, sizeof val, "{\"record\":%s,\"created\":1,\"updated\":1}", record);
    CHECK_RC(esgx_etcd_put(e, key, val, strlen(val), 0, NULL), ESGX_OK);
}

/* esgx_net_record_ok(hash) once the view has caught up (it is asked until it says
 * want or 3 s pass). */
static int record_ok_settles(esgx_net *n, const uint8_t hash[32], int want)
{
    int got = !want;
    for (int i = 0; i < 60 && got != want; i++) {
        got = esgx_net_record_ok(n, hash);
        if (got != want) esgx_sleep_ms(50);
    }
    return got;
}

static void test_names(const char *endpoint, esgx_etcd *e)
{
    uint8_t skn[32], ska[32];
    memset(skn, 0x33, 32);
    memset(ska, 0x11, 32);
    CHECK_RC(esgx_ec_pubkey_from_seckey(skn, g_netkey, NULL), ESGX_OK);
    esgx_net_config cfg = {.etcd = endpoint, .prefix = "/t/", .node_id = "n1",
                           .advertise = "http://127.0.0.1:1", .network_key = net_key};
    esgx_net_store st = {.has = store_has, .put = store_put, .each = store_each};
    esgx_net *n = NULL;
    esgx_err err;
    CHECK_RC(esgx_net_start(&cfg, &st, &n, &err), ESGX_OK);
    if (!n) return;
    static esgx_name_record pay, other;
    memset(&pay, 0, sizeof pay);
    snprintf(pay.name, sizeof pay.name, "pay");
    pay.name_len = 3;
    memcpy(pay.network, g_netkey, 33);
    memset(pay.module_hash, 0xaa, 32);
    pay.seq = 1;
    other = pay;
    snprintf(other.name, sizeof other.name, "other");
    other.name_len = 5;
    memset(other.module_hash, 0xbb, 32);
    CHECK_RC(esgx_name_record_sign(&pay, ska, NULL), ESGX_OK);
    CHECK_RC(esgx_name_record_sign(&other, ska, NULL), ESGX_OK);
    /* a deploy through the registry: decided and written in one transaction */
    esgx_names_deploy d = {.rec = &pay, .network = g_netkey};
    int replaced = 1;
    CHECK_RC(esgx_net_fn_update(n, "pay", esgx_names_deploy_decide, &d, &replaced, &err), ESGX_OK);
    CHECK(!replaced, "a new name");
    CHECK(record_ok_settles(n, pay.module_hash, 1), "a deployed record authorises its hash");
    CHECK(!esgx_net_record_ok(n, other.module_hash), "no record names the other hash");
    esgx_net_fn f;
    CHECK_RC(esgx_net_fn_get(n, "pay", &f, &err), ESGX_OK);
    CHECK(f.seq == 1 && f.record && f.hash[0] == 'a', "the entry read back: seq %llu",
          (unsigned long long)f.seq);
    esgx_fn_entry_clear(&f);
    /* the same seq again: refused in the decision, nothing written */
    memset(&d.p, 0, sizeof d.p);
    CHECK(esgx_net_fn_update(n, "pay", esgx_names_deploy_decide, &d, &replaced, &err) &&
          d.p.status == 409 && !strcmp(d.p.code, "stale_seq"), "stale seq refused");
    /* etcd writers: pay's record pointed at the other hash does not authorise it ... */
    static char json[ESGX_NAME_RECORD_JSON_MAX];
    size_t len;
    static esgx_name_record forged;
    forged = pay;
    memcpy(forged.module_hash, other.module_hash, 32);
    CHECK_RC(esgx_name_record_format(&forged, json, sizeof json, &len, NULL), ESGX_OK);
    put_value(e, "pay", json);
    CHECK(!record_ok_settles(n, pay.module_hash, 0), "the replaced record still counts");
    CHECK(!esgx_net_record_ok(n, other.module_hash), "a forged record authorises its hash");
    /* ... nor does other's record copied over pay, nor an unsigned entry of before */
    CHECK_RC(esgx_name_record_format(&other, json, sizeof json, &len, NULL), ESGX_OK);
    put_value(e, "pay", json);
    esgx_sleep_ms(300);
    CHECK(!esgx_net_record_ok(n, other.module_hash), "another name's record counts for pay");
    char legacy[160];
    snprintf(legacy, sizeof legacy, "{\"hash\":\"%s\",\"encrypted\":false}",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    CHECK_RC(esgx_etcd_put(e, "functions/old", legacy, strlen(legacy), 0, NULL), ESGX_OK);
    esgx_sleep_ms(300);
    CHECK(!esgx_net_record_ok(n, other.module_hash), "an unsigned entry authorises its hash");
    /* other's record under its own name does */
    put_value(e, "other", json);
    CHECK(record_ok_settles(n, other.module_hash, 1), "other's record under its own name");
    esgx_net_stop(n);
}

int main(void)
{
    if (system("command -v etcd >/dev/null 2>&1") != 0) {
        printf("SKIP: etcd not installed (Debian etcd-server)\n");
        return 77;
    }
    char dir[] = "/tmp/esgx-etcd-test-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    unsigned cport = free_port(), pport = free_port(), dead = free_port();
    pid_t pid = start_etcd(dir, cport, pport);
    char eps[160], good[64], none[64];
    snprintf(good, sizeof good, "http://127.0.0.1:%u", cport);
    snprintf(none, sizeof none, "http://127.0.0.1:%u", dead);
    /* the dead endpoint first: every call must fail over to the live one */
    snprintf(eps, sizeof eps, "%s,%s", none, good);
    esgx_err err;
    esgx_etcd *e = NULL, *off = NULL;
    CHECK_RC(esgx_etcd_new("", "/t/", 0, &e, &err), ESGX_NODE_E_ARG);
    CHECK_RC(esgx_etcd_new("ftp://x", "/t/", 0, &e, &err), ESGX_NODE_E_ARG);
    CHECK(strstr(err.msg, "'ftp://x' is not an http"), "%s", err.msg);
    CHECK_RC(esgx_etcd_new(good, "t/", 0, &e, &err), ESGX_NODE_E_ARG);
    CHECK_RC(esgx_etcd_new(eps, "/t/", 2000, &e, &err), ESGX_OK);
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        esgx_etcd_kv kv;
        up = esgx_etcd_get(e, "probe", &kv, &err) == ESGX_NODE_E_NOTFOUND;
        if (!up) usleep(100000);
    }
    CHECK(up, "etcd did not come up: %s", err.msg);
    if (up) {
        test_kv(e);
        test_watch(e);
        test_lease(e);
        test_names(good, e);
        test_hung(good);
    }
    /* no endpoint answers: a clear error naming the cause, quickly */
    CHECK_RC(esgx_etcd_new(none, "/t/", 1000, &off, &err), ESGX_OK);
    esgx_etcd_kv kv;
    uint64_t t0 = esgx_monotonic_ms();
    CHECK_RC(esgx_etcd_get(off, "x", &kv, &err), ESGX_NODE_E_ETCD);
    CHECK(strstr(err.msg, "etcd unreachable") && strstr(err.msg, none), "%s", err.msg);
    CHECK(esgx_monotonic_ms() - t0 < 3000);
    esgx_etcd_free(off);
    esgx_etcd_free(e);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
    return ESGX_TEST_SUMMARY("node_etcd");
}
