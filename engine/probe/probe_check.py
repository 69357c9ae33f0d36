#!/usr/bin/env python3
"""One selective-build check: runs engine_probe on a model and checks the
outcome against the build's op selection (meson test, see meson.build).

    probe_check.py PROBE SCHEMA SELECTED MODEL

SELECTED is the build's selection, comma-separated ("(all)" for every op).
A model whose ops were all selected must load and run; a model that needs
an op the build left out must fail with an error that names each missing op
and says it was not selected at build time.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import select_ops  # noqa: E402


def main(probe, schema, selected, model):
    by_code = {v: k for k, v in select_ops.read_schema_ops(schema).items()}
    needed = select_ops.model_ops(model, by_code)
    missing = set() if selected == "(all)" else needed - set(selected.split(","))
    run = subprocess.run([probe, model], capture_output=True, text=True, timeout=300)
    name = os.path.basename(model)
    if not missing:
        if run.returncode != 0:
            print(f"FAIL: {name} uses only selected ops but did not run:\n{run.stderr}")
            return 1
        print(f"ok: {run.stdout.strip()}")
        return 0
    problems = []
    if run.returncode != 1:
        problems.append(f"exit status {run.returncode}, expected 1")
    if "not selected at build time" not in run.stderr:
        problems.append("the error does not say 'not selected at build time'")
    for op in sorted(missing):
        if op not in run.stderr:
            problems.append(f"the error does not name {op}")
    if problems:
        print(f"FAIL: {name} needs {', '.join(sorted(missing))} (not selected): " + "; ".join(problems))
        print(run.stdout + run.stderr)
        return 1
    print(f"ok: {name} needs {', '.join(sorted(missing))}, refused with: {run.stderr.strip()}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
