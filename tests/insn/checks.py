"""What the instruction-accounting test scripts share: failures are
collected (each printed as it happens) and the profile CSV's data lines
are compared without the provenance comments."""
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def data_lines(text):
    """A profile CSV's lines that the counts determine: the rows and the
    call-count and differential-check comments, not the provenance ones
    (revision and command line of the run)."""
    return [l for l in text.splitlines()
            if not l.startswith("# ") or " RMI calls" in l or "model vs SMC" in l]
