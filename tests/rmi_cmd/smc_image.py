#!/usr/bin/env python3
"""`rme-bench rmi --smc-image`: the image holds every issued call of the
command file in order, byte for byte what the model got, with the NS page
of REALM_CREATE / REC_CREATE / REC_ENTER after its record and the page's
register zeroed (abi/smc_image.h); write errors and a missing file name
are refused.

Usage: smc_image.py DRIVER CASE_RMI WORKDIR"""
import os
import struct
import subprocess
import sys

driver, case, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL:", what, file=sys.stderr)


img = os.path.join(work, "case.smc")
p = subprocess.run([driver, "--abi", "2.0", "--follow", "tfrmm", "--smc-image", img, case],
                   capture_output=True, text=True)
check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
results = [l.split() for l in p.stdout.splitlines()]
data = open(img, "rb").read()
magic, version, n_calls, size, abi, _ = struct.unpack_from("<8sIIQII", data, 0)
check(magic == b"RMEBSMC1" and version == 1, f"header {magic!r} {version}")
check(size == len(data), f"size field {size}, file {len(data)} bytes")
check(abi == 0x20000, f"abi field 0x{abi:x}")
check(n_calls == len(results), f"{n_calls} calls, {len(results)} result lines")
FID = {"GRANULE_RANGE_DELEGATE": 0xC40001F1, "REALM_CREATE": 0xC4000158,
       "RTT_CREATE": 0xC400015D, "REALM_DESTROY": 0xC4000159}
off, lines = 32, open(case).read().splitlines()
for i in range(n_calls):
    fid, *rest = struct.unpack_from("<Q6QII", data, off)
    x, line, page_reg = rest[:6], rest[6], rest[7]
    off += 64
    name = results[i][1]
    check(int(results[i][0]) == line, f"call {i}: line {line}, result line {results[i][0]}")
    if name in FID:
        check(fid == FID[name], f"line {line} {name}: FID 0x{fid:x}")
    words = lines[line - 1].split("#")[0].split()
    plain = [int(w, 0) for w in words[1:] if "=" not in w]
    if name == "REALM_CREATE":
        check(page_reg == 2 and x[1] == 0, f"REALM_CREATE page_reg {page_reg}, X2 0x{x[1]:x}")
        page = data[off:off + 4096]
        # RmiRealmParams: s2sz at 0x8, rtt_base at 0x808 (written from the line's keys)
        check(page[0x8] == 40, f"params s2sz {page[0x8]}")
        check(struct.unpack_from("<Q", page, 0x808)[0] == 0x88002000, "params rtt_base")
    else:
        check(page_reg == 0, f"line {line} {name}: page_reg {page_reg}")
        check(list(x[:len(plain)]) == plain, f"line {line} {name}: X1.. {x[:len(plain)]}, file {plain}")
    off += 4096 if page_reg else 0
check(off == len(data), f"records end at {off} of {len(data)}")

# Refusals: no file name (2); a file that cannot be written (1).
p = subprocess.run([driver, "--abi", "2.0", case, "--smc-image"], capture_output=True, text=True)
check(p.returncode == 2 and "--smc-image needs a file" in p.stderr, f"no value: {p.returncode} {p.stderr!r}")
p = subprocess.run([driver, "--abi", "2.0", "--smc-image", os.path.join(work, "no", "such", "dir.smc"),
                    case], capture_output=True, text=True)
check(p.returncode == 1 and "cannot write the SMC image" in p.stderr,
      f"unwritable: {p.returncode} {p.stderr!r}")
if os.path.exists("/dev/full"):
    p = subprocess.run([driver, "--abi", "2.0", "--smc-image", "/dev/full", case],
                       capture_output=True, text=True)
    check(p.returncode == 1 and "cannot write the SMC image" in p.stderr,
          f"/dev/full: {p.returncode} {p.stderr!r}")
print(f"smc image: {n_calls} calls, {len(fails)} failure(s)")
sys.exit(1 if fails else 0)
