"""Strict JSON for the test scripts: refuses what Python's json accepts but
JSON does not (NaN, Infinity, -Infinity) and duplicate object keys, so a
writer that emits either fails its test."""
import json


def _reject_constant(name):
    raise ValueError("non-standard JSON constant " + name)


def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise ValueError("duplicate keys " + ", ".join(sorted(dupes)))
    return dict(pairs)


def loads(text):
    return json.loads(text, parse_constant=_reject_constant,
                      object_pairs_hook=_unique_keys)


def load_file(path):
    with open(path) as f:
        return loads(f.read())
