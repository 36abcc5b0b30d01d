#!/usr/bin/env python3
"""fake_attestation.py: an imitation of Gramine's /dev/attestation that really quotes.

Makes DIR with what the gramine-sgx platform reads (attestation_type "dcap",
my_target_info, target_info, user_report_data, a 432-byte report with MRENCLAVE 0x11..
and MRSIGNER 0x22.., 16-byte sealing keys) and makes DIR/quote a FIFO. Like Gramine's
pseudo-file, each read of DIR/quote gets a fresh quote over the 64 bytes last written to
DIR/user_report_data: a loop waits for a reader, signs a quote for that report data with
a sim bundle (`esgx sim quote`), writes it and closes. So RA-TLS certificates (report
data = hash of a fresh key) and attestation documents work as on hardware, with the sim
bundle's PCK chain (FMSPC 53494D000001, PCK Platform CA) instead of Intel's.

Usage: fake_attestation.py --dir DIR --bundle SIMDIR --esgx PATH   (runs until killed)
"""
import argparse
import ctypes
import os
import select
import subprocess
import sys

MRENCLAVE = "11" * 32
MRSIGNER = "22" * 32


def setup(d):
    os.makedirs(d + "/keys")
    r = bytearray(432)
    r[48] = 0x05                                  # attributes: INIT | MODE64BIT
    r[64:96] = bytes.fromhex(MRENCLAVE)
    r[128:160] = bytes.fromhex(MRSIGNER)
    files = {"attestation_type": b"dcap", "my_target_info": os.urandom(512),
             "target_info": b"", "user_report_data": bytes(64), "report": bytes(r),
             "keys/_sgx_mrsigner": os.urandom(16), "keys/_sgx_mrenclave": os.urandom(16)}
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    os.mkfifo(os.path.join(d, "quote"))


def close_watch(path):
    """An inotify fd reporting IN_CLOSE_NOWRITE on path (a reader closing the FIFO)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(0)
    if fd < 0 or libc.inotify_add_watch(fd, path.encode(), 0x10) < 0:
        raise OSError(ctypes.get_errno(), "inotify")
    return fd


def serve(d, bundle, esgx):
    out = os.path.join(d, ".quote.bin")
    path = os.path.join(d, "quote")
    watch = close_watch(path)
    while True:
        # A FIFO delivers EOF only when every writer has closed, and opening it for
        # writing succeeds at once while the last reader still holds it: so after each
        # quote, wait (inotify) until that reader has closed before serving the next.
        with open(path, "wb", buffering=0) as fifo:   # waits for a reader
            with open(os.path.join(d, "user_report_data"), "rb") as f:
                rd = f.read(64)
            subprocess.run([esgx, "sim", "quote", "--bundle", bundle, "--mrenclave", MRENCLAVE,
                            "--mrsigner", MRSIGNER, "--report-data", rd.hex(), "--out", out],
                           check=True)
            try:
                fifo.write(open(out, "rb").read())
            except BrokenPipeError:
                pass
        select.select([watch], [], [], 30)
        os.read(watch, 4096)
        with open(os.path.join(d, "quotes.log"), "a") as f:
            f.write(rd.hex() + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--esgx", required=True)
    a = ap.parse_args()
    setup(a.dir)
    try:
        serve(a.dir, a.bundle, a.esgx)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
