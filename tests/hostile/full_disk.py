#!/usr/bin/env python3
"""A full disk is named as such: `run` and `plot` on a 512 KiB tmpfs (in a
private mount namespace: needs unshare and mount, else SKIP 77) fail with
exit 1, a message carrying the errno text, and no temporaries left."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from hostile import check, finish, fresh  # noqa: E402

exe, base = sys.argv[1], fresh(sys.argv[2])
mnt = fresh(os.path.join(base, "mnt"))
script = f"""
mount -t tmpfs -o size=512k tmpfs {mnt} || exit 77
{exe} run --pattern seq --size 16M --vcpus 1 --out {mnt}/r >/dev/null 2>{base}/run.err
echo $? >{base}/run.rc
ls -A {mnt}/r >{base}/run.left
{exe} run --pattern seq --size 1M --vcpus 1 --out {mnt}/s >/dev/null 2>&1 || exit 3
dd if=/dev/zero of={mnt}/fill bs=4k >/dev/null 2>&1
{exe} plot --format png --out {mnt}/s/plots {mnt}/s >/dev/null 2>{base}/plot.err
echo $? >{base}/plot.rc
ls -A {mnt}/s/plots >{base}/plot.left
"""
if not shutil.which("unshare"):
    print("no unshare: SKIP")
    sys.exit(77)
p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                   timeout=120)
if p.returncode == 77 or not os.path.exists(os.path.join(base, "run.rc")):
    print(f"cannot mount a tmpfs here ({p.stderr.strip()[:100]}): SKIP")
    sys.exit(77)


def read(name):
    with open(os.path.join(base, name)) as f:
        return f.read().strip()


check("run: exit 1", read("run.rc") == "1", read("run.rc"))
check("run: names ENOSPC", "No space left on device" in read("run.err"), read("run.err"))
check("run: no temporaries", read("run.left") == "", read("run.left"))
check("plot: exit 1", read("plot.rc") == "1", read("plot.rc"))
check("plot: names ENOSPC", "No space left on device" in read("plot.err"), read("plot.err"))
check("plot: one line", len(read("plot.err").splitlines()) == 1, read("plot.err"))
check("plot: no staging left", read("plot.left") == "", read("plot.left"))
finish("hostile full disk", 2)
