#!/usr/bin/env python3
"""drip_server.py: an HTTP server on 127.0.0.1 that answers every GET slowly on purpose
(tests/net_fetch.sh): the fake peer or origin that sends a 200, a large Content-Length,
then one byte every 0.5 s (2 bytes/s), as long as the client stays (120 s at most).

usage: drip_server.py LOG_FILE PORT_FILE

Listens on a port the kernel picks (written to PORT_FILE once listening); appends to
LOG_FILE one line per request when it starts ("start PATH") and when the client went
away or the drip ended ("end PATH SECONDS"). Runs until killed.
"""
import http.server
import os
import sys
import threading
import time

LOG = sys.argv[1]
LOCK = threading.Lock()


def log(line):
    with LOCK, open(LOG, "a") as f:
        f.write(line + "\n")


class Drip(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):   # LOG_FILE is the log
        pass

    def do_GET(self):
        t0 = time.monotonic()
        log("start %s %.3f" % (self.path, t0))
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.flush()
            while time.monotonic() - t0 < 120:
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass
        log("end %s %.1f" % (self.path, time.monotonic() - t0))
        self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Drip)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
