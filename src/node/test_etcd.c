/*
 * test_etcd.c: the etcd client (etcd.c) against a real etcd server started on
 * loopback: reads, lists, writes, transactions that must not race, deletes, leases
 * that expire, a watch that sees puts and deletes in order, fail-over from a dead
 * endpoint, and the error when no endpoint answers. Skips (77) without etcd.
 */
#include "etcd.h"
#include "esgx_test.h"

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
