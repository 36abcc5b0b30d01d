#!/usr/bin/env bash
# node_limits.sh: esgxd against clients that try to exhaust it or confuse its framing,
# with real processes on loopback (esgxd on 127.0.0.1 port 0, a Python client on raw
# sockets), each part bounded in time and count:
#   --max-buffered: 16 unfinished 8 MiB bodies from 16 addresses against a cap of 64 MiB;
#     those that find the budget spent are discarded as they come and answered 503 busy
#     when they end, RSS stays bounded and goes back down after they close
#   --ip-connections: 100 idle connections from 127.0.0.2 with a limit of 10; the
#     excess is closed, 127.0.0.1 is still served, and 127.0.0.2 again once they close
#   --read-timeout: a stalled body, a trickled body and slow headers are cut off
#   a chunked body over the route's limit by more than 1 MiB of the whole gets 413
#   framing: two Content-Lengths, Content-Length with Transfer-Encoding, another
#     Transfer-Encoding, %00 in the path (which once cut "/functions/a%00b" to "a")
# The enclave is /bin/false (nothing here needs a function to run), but for the last node,
# which deploys a name (that needs the network key, so the real enclave when built).
. "$(dirname "$0")/node_lib.sh"
need python3

cat > "$T/cl.py" <<'EOF'
import socket, sys, time

PORT = int(sys.argv[1])

def conn(src="127.0.0.1"):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", PORT))
    return s

def answer(s, wait):
    """The status of what the server sent within wait seconds: an int, 'closed' or None."""
    s.settimeout(wait)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except socket.timeout:
        return None
    except OSError:
        return "closed"
    if not data:
        return "closed"
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return "garbage"

def whole(s, wait=5):
    s.settimeout(wait)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    return data

def rss(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return -1

def buffered(pid, check_rss):
    N, MB = 16, 8 << 20
    base = rss(pid)
    head = (b"POST /services/3 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % MB)
    chunk = b"a" * (1 << 20)
    socks = []
    for i in range(N):   # one after another, each from its own address: all but one byte
        s = conn("127.0.0.%d" % (10 + i))
        s.settimeout(20)
        s.sendall(head)
        for _ in range(7):
            s.sendall(chunk)
        s.sendall(chunk[:-1])
        socks.append(s)
    time.sleep(0.5)
    peak = rss(pid)
    print("RSS %d MiB before, %d MiB with %d unfinished 8 MiB bodies" % (base, peak, N))
    assert not check_rss or peak - base < 64 + 48, "RSS grew by %d MiB" % (peak - base)
    for s in socks:   # the last byte: held bodies are parsed (400), refused ones 503
        s.sendall(b"a")
    st = [answer(s, 5) for s in socks]
    busy, taken = st.count(503), st.count(400)
    print("503 answers: %d, bodies taken: %d" % (busy, taken))
    assert busy >= N - 8 and taken >= 1 and busy + taken == N, "got %s" % st
    for s in socks:
        s.close()
    time.sleep(1)
    after = rss(pid)
    print("RSS %d MiB after they closed" % after)
    assert not check_rss or after - base < 24, "RSS stayed %d MiB over the start" % (after - base)
    s = conn()   # and the node takes bodies again
    s.sendall(b"POST /services/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
              b"Content-Length: 2\r\n\r\n{}")
    assert answer(s, 5) == 400

def per_ip():
    socks = [conn("127.0.0.2") for _ in range(100)]
    time.sleep(1)
    st = [answer(s, 0.05) for s in socks]
    closed = sum(1 for x in st if x == "closed")
    print("idle connections from 127.0.0.2 closed by the node: %d of 100" % closed)
    assert closed >= 90, "want >= 90 closed, got %s" % st
    s = conn()
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer(s, 5) in (200, 503), "127.0.0.1 locked out"
    s = conn("127.0.0.2")
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer(s, 5) == "closed", "an 11th connection from 127.0.0.2 was served"
    for s in socks:
        s.close()
    time.sleep(0.5)
    s = conn("127.0.0.2")
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer(s, 5) in (200, 503), "127.0.0.2 not served after closing"

def read_timeout():
    head = b"POST /services/3 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
    s = conn()                      # stalled body: cut off at the timeout (2 s)
    s.sendall(head + b"0123456789")
    t0 = time.time()
    st = answer(s, 6)
    print("stalled body: %s after %.1f s" % (st, time.time() - t0))
    assert st == "closed" and time.time() - t0 < 5
    s = conn()                      # trickled body: one byte every 0.3 s
    s.sendall(head)
    t0, st = time.time(), None
    while time.time() - t0 < 6 and st is None:
        try:
            s.sendall(b"x")
        except OSError:
            st = "closed"
            break
        st = answer(s, 0.3)
    print("trickled body: %s after %.1f s" % (st, time.time() - t0))
    assert st == "closed" and time.time() - t0 < 5
    s = conn()                      # headers sent slowly: 408 once they are complete
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    time.sleep(2.5)
    s.sendall(b"Connection: close\r\n\r\n")
    body = whole(s)
    print("slow headers:", body[:12])
    assert body.startswith(b"HTTP/1.1 408") and b'"code":"request_timeout"' in body

def framing(token):
    def one(raw):
        s = conn()
        s.sendall(raw)
        return whole(s)
    r = one(b"POST /functions/f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Content-Length: 5\r\nConnection: close\r\n\r\nabcde")
    assert r.startswith(b"HTTP/1.1 400") and b'"code":"ambiguous_length"' in r, r
    r = one(b"POST /functions/f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 400") and b'"code":"ambiguous_length"' in r, r
    r = one(b"POST /functions/f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
            b"Connection: close\r\n\r\nabc")
    assert r.startswith(b"HTTP/1.1 400") and b'"code":"bad_transfer_encoding"' in r, r
    r = one(b"DELETE /functions/a%00b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            token.encode() + b"\r\nConnection: close\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 400") and b'"code":"bad_path"' in r, r
    r = one(b"GET /health%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 400") and b'"code":"bad_path"' in r, r
    r = one(b"POST /functions/f HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
            b"Content-Length: 1\r\nConnection: close\r\n\r\nx")   # the same twice is one
    assert b'"code":"unknown_function"' in r, r

what = sys.argv[2]
if what == "buffered": buffered(int(sys.argv[3]), sys.argv[4] == "1")
elif what == "per_ip": per_ip()
elif what == "read_timeout": read_timeout()
elif what == "framing": framing(sys.argv[3])
EOF
cl() { timeout 60 python3 "$T/cl.py" "$PORT" "$@" || fail "$1"; }
NOENC=(--enclave /bin/false)

# ---- --max-buffered: 16 unfinished 8 MiB bodies against a cap of 64 MiB (no minimum
# rate: the bodies wait, complete but for a byte, while the others are sent)
start_node a "${NOENC[@]}" --max-buffered 64M --ip-connections 200 --read-timeout 60 \
    --min-body-rate 0
# RSS is not checked in a sanitizer build (its allocator keeps freed memory in
# quarantine, and the parsed bodies pass through it)
case "$BUILD" in *asan*) check_rss=0; echo "note: RSS not checked in a sanitizer build" ;;
                 *) check_rss=1 ;; esac
cl buffered "$NODE_PID" "$check_rss"
stop_node
ok "--max-buffered: 503 busy beyond the cap, RSS bounded and given back"

# ---- --ip-connections: 100 idle connections from one address, limit 10
start_node b "${NOENC[@]}" --ip-connections 10
cl per_ip
stop_node
ok "--ip-connections: one address cannot lock the others out"

# ---- --read-timeout 2: stalled, trickled, slow headers
start_node c "${NOENC[@]}" --read-timeout 2
cl read_timeout
stop_node
ok "--read-timeout: slow requests are cut off"

# ---- a chunked body over the limit gets 413, even when the whole is > limit + 1 MiB
# (with the real enclave when built: deploying a name needs the network key)
if [ -x "$ENCLAVE" ]; then start_node d --init --max-content 2M
else start_node d "${NOENC[@]}" --max-content 2M; fi
TOK=$(cat "$T/d/admin.token")
head -c $((2 * 1024 * 1024 + 512 * 1024)) /dev/zero > "$T/big"
req POST /content -H "Authorization: Bearer $TOK" -H 'Transfer-Encoding: chunked' \
    --data-binary @"$T/big"; expect 413 too_large
head -c $((2 * 1024 * 1024)) /dev/urandom > "$T/fits"
req POST /content -H "Authorization: Bearer $TOK" -H 'Transfer-Encoding: chunked' \
    --data-binary @"$T/fits"; expect 200
ok "chunked body over the limit: 413"

# ---- framing and %00
H=$(json hash < "$T/body")
if [ -x "$ENCLAVE" ]; then
    req PUT /functions/a -H "Authorization: Bearer $TOK" -d "$(deploy_body a "$H")"; expect 201
fi
cl framing "$TOK"
if [ -x "$ENCLAVE" ]; then
    req GET /functions -H "Authorization: Bearer $TOK"; expect 200
    grep -q '"name":"a"' "$T/body" || fail "DELETE /functions/a%00b deleted a"
fi
stop_node
ok "ambiguous framing and %00 in the path: 400"
echo "node_limits: all ok"
