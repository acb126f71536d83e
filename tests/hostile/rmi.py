#!/usr/bin/env python3
"""`rme-bench rmi` holds one line at a time: peak memory does not grow
with the command file (30k REALM_CREATE lines, each with a parameter
page, from a file and from a pipe), and command files that are not
regular (FIFO, /dev/zero) or have no line ends are refused (exit 2)."""
import os
import resource
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from hostile import check, finish, fresh, refused, run  # noqa: E402

exe, base = sys.argv[1], fresh(sys.argv[2])
LINES = 30000
path = os.path.join(base, "many.rmi")
with open(path, "w") as f:
    f.write("REALM_CREATE 0x80000000 s2sz=40\n" * LINES)


# A sanitizer build keeps freed memory in quarantine: turn that off, or
# the peak says how much was freed, not how much was held.
ENV = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0")


def peak_mib(argv, **kw):
    """Peak RSS of one child (fork a fresh Python child so RUSAGE_CHILDREN is its own)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, **kw)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        os.write(w, f"{p.returncode} {rss}".encode())
        os._exit(0)
    os.close(w)
    out = os.read(r, 64).decode().split()
    os.waitpid(pid, 0)
    return int(out[0]), int(out[1])


rc_small, small = peak_mib([exe, "rmi", os.devnull])
rc, big = peak_mib([exe, "rmi", path])
check("30k lines run", rc == 0, f"exit {rc}")
# One 4 KiB page per line held at once would be 120 MiB here.
check("file: memory does not grow with the file", big - small < 48,
      f"peak {big} MiB vs {small} MiB for an empty file")
with open(path) as f:
    rc, piped = peak_mib([exe, "rmi", "-"], stdin=f)
check("pipe: memory does not grow with the file", rc == 0 and piped - small < 48,
      f"exit {rc}, peak {piped} MiB vs {small} MiB")
fifo = os.path.join(base, "fifo")
os.mkfifo(fifo)
refused("rmi of a FIFO", [exe, "rmi", fifo], "FIFO", timeout=10)
refused("rmi of /dev/zero", [exe, "rmi", "/dev/zero"], "character device", timeout=10)
sparse = os.path.join(base, "sparse.rmi")
with open(sparse, "w") as f:
    f.truncate(1 << 29)
refused("rmi of a sparse file", [exe, "rmi", sparse], "NUL", timeout=10)
finish("hostile rmi", 6)
