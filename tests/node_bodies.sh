#!/usr/bin/env bash
# node_bodies.sh: slow clients cannot hold the body budget (issue 20, finding 2), with
# real esgxd processes on loopback and a Python client on raw sockets, every wait bounded:
#   - six connections from six addresses declare bodies whose lengths add up to
#     --max-buffered and drip a byte every 2 s: a small invocation with a body still
#     gets 200 while they drip (the budget counts bytes that arrived, not declared
#     lengths; the old node answered it 503 busy), and the drippers, far below
#     --min-body-rate (default 1K/s over every 5 s), are dropped well before
#     --read-timeout (60 s here), while a body sent at 8 KiB/s for 8 s is answered 200
#   - --max-buffered-per-ip 1M: a second body from an address holding 800K is answered
#     429 too_many_requests when it ends, while another address's body of the same size
#     is taken, and the first address is served again once its body is done; a body
#     declared over the cap is answered 413 at once; behind --trusted-proxy the client
#     that X-Forwarded-For names is the one capped, not the proxy
. "$(dirname "$0")/node_lib.sh"
need python3
need wat2wasm

cat > "$T/cl.py" <<'EOF'
import json, socket, sys, threading, time

PORT = int(sys.argv[1])
K, M = 1024, 1 << 20

def conn(src="127.0.0.1"):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", PORT))
    return s

def head(length, close=False, xff=None):
    return (b"POST /services/3 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
            (b"Connection: close\r\n" if close else b"") +
            (b"X-Forwarded-For: %s\r\n" % xff.encode() if xff else b"") +
            b"Content-Length: %d\r\n\r\n" % length)

def answer(s, wait):
    """(status, raw) of what the server sent within wait seconds: status an int,
    'closed' (EOF or reset) or None (nothing yet)."""
    s.settimeout(wait)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            d = s.recv(65536)
            if not d:
                break
            data += d
        if data:   # the JSON body follows the headers (small)
            s.settimeout(1)
            try:
                data += s.recv(65536)
            except OSError:
                pass
    except socket.timeout:
        return None, data
    except OSError:
        return "closed", data
    if not data:
        return "closed", data
    try:
        return int(data.split(b" ", 2)[1]), data
    except (IndexError, ValueError):
        return "garbage", data

def slow_drip(h):
    t0 = time.time()
    drippers = []
    for i in range(6):   # 6 x 1M declared = --max-buffered 6M
        s = conn("127.0.0.%d" % (2 + i))
        s.sendall(head(M) + b"{")
        drippers.append(s)
    time.sleep(0.5)
    # a small invocation with a body, while the six hold their declared lengths
    body = json.dumps({"hash": h, "function": "main"}).encode()
    s = conn()
    s.sendall(head(len(body), True) + body)
    st, raw = answer(s, 10)
    print("small invocation while six bodies of 1M drip: %s" % st)
    assert st == 200, "want 200, got %s: %r" % (st, raw[:300])
    # a normal client: 64 KiB at 8 KiB/s for 8 s, across two rate windows
    res = {}
    def steady():
        inp = "a" * (64 * K - 100)
        b = json.dumps({"hash": h, "function": "main", "input": inp}).encode()
        c = conn("127.0.0.20")
        c.sendall(head(len(b), True))
        for i in range(0, len(b), 2 * K):
            c.sendall(b[i:i + 2 * K])
            time.sleep(0.25)
        res["steady"] = answer(c, 10)
    th = threading.Thread(target=steady)
    th.start()
    # the drippers: a byte every 2 s each until the node drops them
    closed = [None] * 6
    while time.time() - t0 < 25 and None in closed:
        for i, d in enumerate(drippers):
            if closed[i] is not None:
                continue
            try:
                d.sendall(b" ")
                st, _ = answer(d, 0.01)
            except OSError:
                st = "closed"
            if st == "closed":
                closed[i] = time.time() - t0
            elif st is not None:
                raise AssertionError("a dripper was answered %s" % st)
        time.sleep(2)
    th.join(30)
    print("drippers dropped after (s):", ["%.1f" % x if x else None for x in closed])
    assert None not in closed, "drippers still open after 25 s: %s" % closed
    assert max(closed) < 20, "drippers dropped late: %s" % closed
    st, raw = res.get("steady", (None, b""))
    print("64 KiB body at 8 KiB/s: %s" % st)
    assert st == 200, "the steady client got %s: %r" % (st, raw[:300])

def per_client():
    L = 800 * K
    a1 = conn("127.0.0.3")
    a1.sendall(head(L) + b"x" * (700 * K))   # holds 800K (its buffer)
    time.sleep(0.5)
    a2 = conn("127.0.0.3")
    a2.sendall(head(L) + b"x" * (300 * K))   # would pass 1M for 127.0.0.3
    b = conn("127.0.0.4")
    b.sendall(head(L, True) + b"x" * L)      # another address: taken (and not JSON)
    st, raw = answer(b, 5)
    print("800K from 127.0.0.4 while 127.0.0.3 holds 800K: %s" % st)
    assert st == 400, "want 400 (a body that is not JSON), got %s: %r" % (st, raw[:300])
    a2.sendall(b"x" * (L - 300 * K))
    st, raw = answer(a2, 5)
    print("a second 800K from 127.0.0.3: %s" % st)
    assert st == 429 and b'"code":"too_many_requests"' in raw, "want 429, got %r" % raw[:300]
    a1.sendall(b"x" * (L - 700 * K))
    st, raw = answer(a1, 5)
    assert st == 400, "the first body of 127.0.0.3 got %s: %r" % (st, raw[:300])
    a3 = conn("127.0.0.3")
    a3.sendall(head(L, True) + b"x" * L)
    st, raw = answer(a3, 5)
    print("800K from 127.0.0.3 once its first body is done: %s" % st)
    assert st == 400, "want 400, got %s: %r" % (st, raw[:300])
    big = conn("127.0.0.3")
    big.sendall(head(2 * M, True))
    st, raw = answer(big, 5)
    print("a body declared over the cap: %s" % st)
    assert st == 413 and b'max-buffered-per-ip' in raw, "want 413, got %r" % raw[:300]
    # behind the trusted proxy (127.0.0.1): the client X-Forwarded-For names is counted
    p1 = conn()
    p1.sendall(head(L, True, "10.1.1.1") + b"x" * (700 * K))
    time.sleep(0.5)
    p2 = conn()
    p2.sendall(head(L, True, "10.1.1.1") + b"x" * L)
    st2, raw2 = answer(p2, 5)
    p3 = conn()
    p3.sendall(head(L, True, "10.1.1.2") + b"x" * L)
    st3, raw3 = answer(p3, 5)
    p1.sendall(b"x" * (L - 700 * K))
    st1, raw1 = answer(p1, 5)
    print("through the proxy: 10.1.1.1 twice: %s then %s; 10.1.1.2: %s" % (st1, st2, st3))
    assert st2 == 429, "a second 800K of 10.1.1.1 got %r" % raw2[:300]
    assert st1 == 400 and st3 == 400, "%r %r" % (raw1[:300], raw3[:300])

if sys.argv[2] == "drip": slow_drip(sys.argv[3])
elif sys.argv[2] == "per_client": per_client()
EOF
cl() { timeout 90 python3 "$T/cl.py" "$PORT" "$@" || fail "$1"; }

# ---- slow bodies whose declared lengths fill --max-buffered; the default --min-body-rate
wat2wasm "$SRC/tests/guests/node_hello.wat" -o "$T/hello.wasm" || fail "wat2wasm"
start_node a --init --max-buffered 6M --read-timeout 60
TOKEN=$(cat "$T/a/admin.token")
req POST /content -H "Authorization: Bearer $TOKEN" --data-binary @"$T/hello.wasm"; expect 200
H=$(json hash < "$T/body")
cl drip "$H"
req POST /services/3 --data "{\"hash\":\"$H\",\"function\":\"main\"}"; expect 200
stop_node
ok "declared lengths hold nothing: a small call succeeds while six slow bodies drip; they are dropped"

# ---- one address cannot take more than --max-buffered-per-ip
start_node b --enclave /bin/false --max-buffered 6M --max-buffered-per-ip 1M \
    --trusted-proxy 127.0.0.1/32
cl per_client
stop_node
ok "--max-buffered-per-ip: one address is capped, the others are not"
echo "node_bodies: all ok"
