#!/usr/bin/env python3
"""recording_proxy.py: an HTTP proxy on 127.0.0.1 that records everything it relays
(tests/seal_e2e.sh): what a proxy, a load balancer or anyone on the path between a client
and a node sees.

usage: recording_proxy.py UPSTREAM_URL RECORD_FILE PORT_FILE

Listens on a port the kernel picks (written to PORT_FILE once listening) and forwards
every request (method, path, headers, body) to UPSTREAM_URL; appends to RECORD_FILE, for
each exchange, the request line, its headers and body, then the status, headers and
body of the answer, as raw bytes. Runs until killed.
"""
import http.client
import http.server
import os
import sys
import threading
import urllib.parse

UP = urllib.parse.urlsplit(sys.argv[1])
RECORD = sys.argv[2]
LOCK = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):   # the record is the log
        pass

    def relay(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        c = http.client.HTTPConnection(UP.hostname, UP.port, timeout=120)
        c.request(self.command, self.path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        with LOCK, open(RECORD, "ab") as f:
            f.write(b"=== REQUEST %s %s\n" % (self.command.encode(), self.path.encode()))
            f.write(str(self.headers).encode() + b"\n")
            f.write(body + b"\n=== RESPONSE %d\n" % r.status)
            f.write(str(r.msg).encode() + b"\n" + data + b"\n")
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        c.close()

    do_GET = do_POST = do_PUT = do_DELETE = relay


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Relay)
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
srv.serve_forever()
