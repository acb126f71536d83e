#!/usr/bin/env python3
"""Bad input to the instruction-accounting scripts, without QEMU:
- scripts/qemu/insn-qemu.sh on a QEMU without plugin support: one line
  naming its version and what is missing, exit 2;
- scripts/qemu/insn-stages.py on kallsyms that lack some stage functions:
  the missing stages named, ranges for the others (end = next symbol),
  exit 0; on a file without addresses (kallsyms read as non-root): exit 2.

Usage: test_tools.py SOURCE_DIR WORKDIR
"""
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, failures  # noqa: E402


def main(argv):
    src, work = argv[1], argv[2]
    os.makedirs(work, exist_ok=True)
    fake = os.path.join(work, "qemu-system-aarch64")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\necho 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)'\n")
    os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
    p = subprocess.run(["bash", os.path.join(src, "scripts/qemu/insn-qemu.sh"), fake],
                       capture_output=True, text=True)
    err = p.stderr.strip()
    check(p.returncode == 2, f"insn-qemu.sh on QEMU 7.2 without plugins: exit {p.returncode}")
    check(len(err.splitlines()) == 1 and "7.2.22" in err and "plugin" in err,
          f"one line naming the version and what is missing: {err!r}")

    ksyms = os.path.join(work, "kallsyms")
    with open(ksyms, "w") as f:
        f.write("ffff800008064d20 T handle_exit\n"
                "ffff800008064e80 T handle_exit_early\n"
                "ffff800008064f70 t other_function\n"
                "ffff80000805eaf4 T kvm_handle_guest_abort\n"
                "ffff80000805f7e0 T next_one\n"
                "ffff80000808c070 T kvm_pgtable_stage2_map.constprop.0\n"
                "ffff80000808c210 d some_data\n"
                "ffff80000808c300 T after_map\n")
    out = os.path.join(work, "stages.txt")
    p = subprocess.run([sys.executable, os.path.join(src, "scripts/qemu/insn-stages.py"),
                        "ranges", ksyms, out], capture_output=True, text=True)
    check(p.returncode == 0, f"insn-stages.py with missing stages: exit {p.returncode}")
    text = open(out).read() if os.path.exists(out) else ""
    check("range exit_decode ffff800008064d20 ffff800008064e80 handle_exit\n" in text,
          "a range ends at the next symbol")
    check("range abort_dispatch ffff80000805eaf4 ffff80000805f7e0" in text, "abort_dispatch range")
    check("range s2_map ffff80000808c070 ffff80000808c300" in text,
          "a gcc clone (.constprop) counts; data symbols do not end text ranges")
    for stage in ["memslot_lookup", "page_pin", "rec_enter", "data_create"]:
        check(f"missing {stage}\n" in text and stage in p.stderr, f"missing stage {stage} named")
    zeros = os.path.join(work, "kallsyms-zeros")
    with open(zeros, "w") as f:
        f.write("0000000000000000 T handle_exit\n0000000000000000 T kvm_handle_guest_abort\n")
    p = subprocess.run([sys.executable, os.path.join(src, "scripts/qemu/insn-stages.py"),
                        "ranges", zeros, out], capture_output=True, text=True)
    check(p.returncode == 2 and "non-root" in p.stderr, "kallsyms without addresses: exit 2")
    print("test_tools:", "ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
