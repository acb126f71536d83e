#!/usr/bin/env python3
"""Boots the aarch64 payload image under qemu-system-aarch64 (TCG, the
`virt` machine stands in for the VMM: PL011 console, PSCI) with a parameter
page written by the VMM's own code, waits for PSCI SYSTEM_OFF, dumps the
result slot over QMP and decodes it with the VMM's decoder.

Checks, per case: the guest booted at EL1 with its MMU on, ran as a normal
VM (no RSI under TCG without an RMM), printed "rmeb-guest: ok", powered
off, and left exactly one timed sample per expected stage-2 fault.

usage: qemu_payload_test.py QEMU IMAGE TOOL WORKDIR
"""
import json
import os
import socket
import subprocess
import sys
import time

MIB = 1 << 20
# pattern, vCPUs, bytes per vCPU, backing page; one boot with -virtualization
# (entered at EL2, PSCI by SMC) among them.
CASES = [
    ("seq", 2, 2 * MIB, 4096, False),
    ("rand", 1, 1 * MIB, 4096, True),
    ("fold", 2, 4 * MIB, 2 * MIB, False),
    ("mixed", 2, 2 * MIB, 4096, False),
]
TIMEOUT_S = 60


def qmp(sock_file, cmd, **args):
    msg = {"execute": cmd}
    if args:
        msg["arguments"] = args
    sock_file.write(json.dumps(msg) + "\n")
    sock_file.flush()
    while True:
        reply = json.loads(sock_file.readline())
        if "return" in reply or "error" in reply:
            if "error" in reply:
                raise RuntimeError(f"QMP {cmd}: {reply['error']}")
            return reply["return"]


def run_case(qemu, image, tool, work, case):
    pattern, vcpus, size, page, el2 = case
    name = f"{pattern}-{vcpus}v-{size // MIB}M-{page // 1024}K" + ("-el2" if el2 else "")
    params = os.path.join(work, name + ".params")
    dump = os.path.join(work, name + ".results")
    console = os.path.join(work, name + ".console")
    sock_path = os.path.join(work, name + ".qmp")
    for p in (dump, console, sock_path):
        if os.path.exists(p):
            os.unlink(p)
    out = subprocess.run([tool, "params", pattern, str(vcpus), str(size), str(page), params],
                         check=True, capture_output=True, text=True).stdout.split()
    results_ipa, results_size = int(out[0], 16), int(out[1])
    machine = "virt,virtualization=on" if el2 else "virt"
    proc = subprocess.Popen([
        qemu, "-M", machine, "-cpu", "max", "-smp", str(vcpus), "-m", "256",
        "-nodefaults", "-display", "none", "-serial", "file:" + console,
        "-kernel", image, "-no-shutdown", "-no-reboot",
        "-device", f"loader,file={params},addr=0x40010000,force-raw=on",
        "-qmp", f"unix:{sock_path},server=on,wait=off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + TIMEOUT_S
        s = socket.socket(socket.AF_UNIX)
        while True:  # the socket file appears before QEMU listens on it
            try:
                s.connect(sock_path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("QEMU did not start: " + proc.stderr.read())
                time.sleep(0.05)
        f = s.makefile("rw")
        json.loads(f.readline())  # greeting
        qmp(f, "qmp_capabilities")
        while qmp(f, "query-status")["status"] != "shutdown":
            if time.time() > deadline:
                raise RuntimeError(f"guest did not power off within {TIMEOUT_S} s")
            time.sleep(0.1)
        qmp(f, "pmemsave", val=results_ipa, size=results_size, filename=dump)
        qmp(f, "quit")
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = open(console, errors="replace").read()
    problems = [want for want in ("booted at EL1, MMU on", "normal VM (no RSI)",
                                  "parameters from the VMM", "rmeb-guest: ok")
                if want not in text]
    dec = subprocess.run([tool, "collect", pattern, str(vcpus), str(size), str(page), dump],
                         capture_output=True, text=True)
    if dec.returncode:
        problems.append("decoding the result slot failed: " + dec.stderr.strip())
    print(f"{name}: {dec.stdout.strip()}")
    if problems:
        print(f"{name}: FAILED: {problems}\n--- guest console ---\n{text}", file=sys.stderr)
    return not problems


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    qemu, image, tool, work = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    ok = all([run_case(qemu, image, tool, work, c) for c in CASES])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
