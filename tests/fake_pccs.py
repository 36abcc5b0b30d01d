#!/usr/bin/env python3
"""fake_pccs.py: a small fake PCCS (Intel PCS/PCCS API v4) for tests.

Serves one collateral file in the shape of vectors/dcap/*/full_collateral.json (or a sim
bundle's collateral.json), split into the documents and headers a real PCCS returns:

  GET /sgx/certification/v4/tcb?fmspc=HEX       tcb_info bytes (as in the file),
                                                header TCB-Info-Issuer-Chain
  GET /sgx/certification/v4/qe/identity         qe_identity bytes,
                                                header SGX-Enclave-Identity-Issuer-Chain
  GET /sgx/certification/v4/pckcrl?ca=X&encoding=pem
                                                pck_crl (PEM), header SGX-PCK-CRL-Issuer-Chain
  GET /sgx/certification/v4/rootcacrl           root CA CRL as hex-encoded DER

tcb_info / qe_identity are cut out of the file's text (their signatures cover the exact
bytes). Only the file's FMSPC is known (other FMSPCs: 404), and the PCK CRL only for the
CA that issued it (the CRL issuer's name says Processor or Platform; the other CA: 404).

Usage: fake_pccs.py --collateral FILE --dir DIR [--tls CERT KEY]
  --tls CERT KEY    serve https with this PEM certificate (chain) and key; a client that
                    refuses the certificate only ends its own connection (the TLS
                    handshake runs in the request's thread, not in the accept loop)
  The server exits when the process that started it does.
  DIR/port          written once listening (loopback, port chosen by the kernel)
  DIR/requests.log  one line per request: "<path and query>"
  DIR/mode          read at each request; lines "<doc> <action>" with doc one of tcb,
                    qe, pckcrl, rootcacrl or * and action one of
                      404 | 500       answer with that status
                      garbage         200 with a body that is not the document
                      noheader        200 without the issuer-chain header
                      big             200 with a 2 MiB body
                      hang            accept, then never answer (until killed)
                      der             (pckcrl/rootcacrl) the CRL as raw DER
                      pem             (rootcacrl) the CRL as PEM
                      oldheader       (tcb) the header spelled SGX-TCB-Info-Issuer-Chain
                      tamper          (tcb) the document with its nextUpdate a year later:
                                      still JSON of the right FMSPC, but Intel's
                                      signature no longer matches
"""
import argparse
import base64
import binascii
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/sgx/certification/v4"


def skip_ws(s, p):
    while p < len(s) and s[p] in " \t\r\n":
        p += 1
    return p


def skip_string(s, p):
    p += 1
    while p < len(s):
        if s[p] == "\\":
            p += 2
            continue
        if s[p] == '"':
            return p + 1
        p += 1
    raise ValueError("unterminated string")


def skip_value(s, p):
    if s[p] == '"':
        return skip_string(s, p)
    if s[p] in "{[":
        depth = 0
        while p < len(s):
            c = s[p]
            if c == '"':
                p = skip_string(s, p)
                continue
            if c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
                if depth == 0:
                    return p + 1
            p += 1
        raise ValueError("unterminated value")
    while p < len(s) and s[p] not in ",}] \t\r\n":
        p += 1
    return p


def member_span(s, key):
    """Span of the value of top-level member key in the JSON object text s."""
    p = skip_ws(s, 0)
    assert s[p] == "{"
    p += 1
    while True:
        p = skip_ws(s, p)
        ke = skip_string(s, p)
        k = json.loads(s[p:ke])
        p = skip_ws(s, ke)
        assert s[p] == ":"
        p = skip_ws(s, p + 1)
        ve = skip_value(s, p)
        if k == key:
            return p, ve
        p = skip_ws(s, ve)
        if s[p] != ",":
            raise KeyError(key)
        p += 1


def doc_text(raw, key):
    """The document as a PCCS body: the object's exact bytes, or a string's content."""
    a, b = member_span(raw, key)
    v = raw[a:b]
    return json.loads(v) if v.startswith('"') else v


def pem_der(pem):
    lines = [l.strip() for l in pem.replace("\r", "").split("\n")]
    body = "".join(l for l in lines if l and not l.startswith("-----"))
    return base64.b64decode(body)


class State:
    def __init__(self, path, d):
        self.dir = d
        raw = open(path, encoding="utf-8").read()
        coll = json.loads(raw)
        self.tcb = doc_text(raw, "tcb_info").encode()
        self.qe = doc_text(raw, "qe_identity").encode()
        tcb_doc = json.loads(self.tcb)
        self.fmspc = tcb_doc["tcbInfo"]["fmspc"].upper()
        self.tcb_chain = coll["tcb_info_issuer_chain"]
        self.qe_chain = coll["qe_identity_issuer_chain"]
        self.pck_chain = coll["pck_crl_issuer_chain"]
        self.pck_crl = coll["pck_crl"]
        self.root_crl = coll["root_ca_crl"]
        der = pem_der(self.pck_crl)
        self.ca = "processor" if b"Processor" in der else "platform"
        self.lock = threading.Lock()

    def mode(self, doc):
        try:
            lines = open(os.path.join(self.dir, "mode")).read().splitlines()
        except OSError:
            return None
        for l in lines:
            parts = l.split()
            if len(parts) == 2 and parts[0] in (doc, "*"):
                return parts[1]
        return None

    def log(self, line):
        with self.lock:
            with open(os.path.join(self.dir, "requests.log"), "a") as f:
                f.write(line + "\n")


def make_handler(st):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, status, body, headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:   # the client gave up (size limit, timeout)
                pass

        def do_GET(self):
            st.log(self.path)
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            path = u.path
            if not path.startswith(PREFIX):
                return self.send(404, b"not found")
            path = path[len(PREFIX):]
            docs = {"/tcb": "tcb", "/qe/identity": "qe", "/pckcrl": "pckcrl",
                    "/rootcacrl": "rootcacrl"}
            doc = docs.get(path)
            if not doc:
                return self.send(404, b"not found")
            mode = st.mode(doc)
            if mode == "hang":
                time.sleep(3600)
                return
            if mode in ("404", "500"):
                return self.send(int(mode), b"")
            if mode == "big":
                return self.send(200, b"A" * (2 << 20))
            if doc == "tcb":
                if q.get("fmspc", [""])[0].upper() != st.fmspc:
                    return self.send(404, b"")
                name = "SGX-TCB-Info-Issuer-Chain" if mode == "oldheader" else "TCB-Info-Issuer-Chain"
                body, hdr = st.tcb, (name, st.tcb_chain)
            elif doc == "qe":
                body, hdr = st.qe, ("SGX-Enclave-Identity-Issuer-Chain", st.qe_chain)
            elif doc == "pckcrl":
                if q.get("ca", [""])[0].lower() != st.ca:
                    return self.send(404, b"")
                body = pem_der(st.pck_crl) if mode == "der" else st.pck_crl.encode()
                hdr = ("SGX-PCK-CRL-Issuer-Chain", st.pck_chain)
            else:
                if mode == "pem":
                    body = st.root_crl.encode()
                elif mode == "der":
                    body = pem_der(st.root_crl)
                else:
                    body = binascii.hexlify(pem_der(st.root_crl))
                hdr = None
            if mode == "tamper" and doc == "tcb":
                body = re.sub(rb'("nextUpdate"\s*:\s*")(\d{4})',
                              lambda m: m.group(1) + str(int(m.group(2)) + 1).encode(), body,
                              count=1)
            if mode == "garbage":
                body = b"<html>this is not it</html>"
            headers = []
            if hdr and mode != "noheader":
                headers.append((hdr[0], urllib.parse.quote(hdr[1], safe="")))
            self.send(200, body, headers)

    return H


class TLSServer(ThreadingHTTPServer):
    """ThreadingHTTPServer whose connections are wrapped in TLS in their own thread."""

    def __init__(self, addr, handler, ctx):
        super().__init__(addr, handler)
        self.ctx = ctx

    def finish_request(self, request, client_address):
        try:
            conn = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):   # the client refused the certificate
            return
        try:
            super().finish_request(conn, client_address)
        finally:
            conn.close()


def exit_with_parent(parent):
    """Ends the process when the test that started it is gone (even killed)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    parent = os.getppid()
    ap = argparse.ArgumentParser()
    ap.add_argument("--collateral", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    st = State(a.collateral, a.dir)
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv = TLSServer(("127.0.0.1", 0), make_handler(st), ctx)
    else:
        srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(st))
    srv.daemon_threads = True
    tmp = os.path.join(a.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, os.path.join(a.dir, "port"))
    threading.Thread(target=exit_with_parent, args=(parent,), daemon=True).start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
