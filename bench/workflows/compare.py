#!/usr/bin/env python3
"""Compares `stagegate lint-workflows` with zizmor on a corpus of real public workflows.

    bench/workflows/compare.py [--corpus DIR] [--stagegate BIN] [--zizmor BIN] [--out FILE]

The corpus (sources.txt, rebuilt by gather.sh) lives outside the repo, one folder per repository
(or per historical version), each with its .github/workflows. zizmor runs pinned and offline
(`--offline --persona regular`). Both tools' findings are reduced to one unit per
(rule family, file, job) — a workflow-level finding has no job — and the table says, per
family, how many units both tools report, stagegate only, zizmor only, and how many of
zizmor's High-severity units stagegate reports. A sample of disagreements is printed to judge.
This is a benchmark, not a test: it measures, it asserts nothing.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import time

ZIZMOR_VERSION = "1.32.0"

# zizmor audit -> family
ZIZMOR_FAMILY = {
    "dangerous-triggers": "dangerous triggers",
    "excessive-permissions": "excessive permissions",
    "artipacked": "credential persistence",
    "cache-poisoning": "cache poisoning",
    "template-injection": "injection",
    "unpinned-uses": "pinning",
}

# stagegate rule -> family
STAGEGATE_FAMILY = {
    "SG-WF-013": "dangerous triggers",
    "SG-WF-014": "dangerous triggers",
    "SG-WF-015": "excessive permissions",
    "SG-WF-016": "excessive permissions",
    "SG-WF-017": "credential persistence",
    "SG-WF-018": "cache poisoning",
    "SG-WF-010": "injection",
    "SG-WF-019": "injection",
    "SG-WF-008": "pinning",
}

FAMILIES = list(dict.fromkeys(ZIZMOR_FAMILY.values()))

# zizmor reports a missing permissions block once for the workflow or once per job, stagegate once
# per job that inherits the default token: the same defect, so that family is compared per file.
PER_FILE = {"excessive permissions"}


def unit(family, file, job):
    return (family, file, "-" if family in PER_FILE else job)


def run(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p, time.perf_counter() - start


def stagegate_units(binary, corpus, folders):
    units, crashes, matrix, seconds, unreadable = {}, [], [], 0.0, 0
    for folder in folders:
        p, t = run([binary, "--format", "json", "lint-workflows", "--repo", os.path.join(corpus, folder)])
        seconds += t
        if p.returncode not in (0, 1) or "panicked" in p.stderr:
            crashes.append((folder, p.returncode, p.stderr.strip()[:200]))
            continue
        report = json.loads(p.stdout)
        unreadable += len(report["unreadable"])
        for f in report["findings"]:
            rule = f["rule"]
            if rule["matrix"]:
                matrix.append((folder, rule["id"]))
            family = STAGEGATE_FAMILY.get(rule["id"])
            if family is None or f["suppressed"]:
                continue
            key = unit(family, f"{folder}/{f['file']}", f["job"] or "-")
            units.setdefault(key, []).append((rule["id"], rule["severity"], f["line"], f["message"]))
    return units, crashes, matrix, seconds, unreadable


def zizmor_units(binary, corpus, folders):
    units, seconds, failures = {}, 0.0, []
    for folder in folders:
        p, t = run([binary, "--offline", "--persona", "regular", "--format", "json", "--no-progress",
                    os.path.join(corpus, folder)])
        seconds += t
        try:
            findings = json.loads(p.stdout or "[]")
        except json.JSONDecodeError:
            failures.append((folder, p.returncode, p.stderr.strip()[-200:]))
            continue
        for f in findings:
            family = ZIZMOR_FAMILY.get(f["ident"])
            if family is None:
                continue
            primary = next(l for l in f["locations"] if l["symbolic"]["kind"] == "Primary")
            path = primary["symbolic"]["key"]["Local"]["verbatim_path"]
            rel = os.path.relpath(path, os.path.join(corpus, folder))
            route = primary["symbolic"]["route"]["route"]
            job = route[1]["Key"] if len(route) > 1 and route[0].get("Key") == "jobs" else "-"
            severity = f["determinations"]["severity"]
            line = primary["concrete"]["location"]["start_point"]["row"] + 1
            key = unit(family, f"{folder}/{rel}", job)
            units.setdefault(key, []).append((f["ident"], severity, line, primary["symbolic"]["annotation"]))
    return units, seconds, failures


class Tee:
    """Writes what is printed to the terminal and to a file."""

    def __init__(self, path):
        self.file = open(path, "w", encoding="utf-8")
        self.terminal = sys.__stdout__

    def write(self, text):
        self.terminal.write(text)
        self.file.write(text)

    def flush(self):
        self.terminal.flush()
        self.file.flush()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/work/corpus-workflows")
    ap.add_argument("--stagegate", default=os.path.join(here, "../../target/release/stagegate"))
    ap.add_argument("--zizmor", default="/work/venv-zizmor/bin/zizmor")
    ap.add_argument("--sample", type=int, default=4)
    ap.add_argument("--out", help="also write the report (Markdown) to this file")
    args = ap.parse_args()
    if args.out:
        sys.stdout = Tee(args.out)

    version = subprocess.run([args.zizmor, "--version"], capture_output=True, text=True).stdout.strip()
    if ZIZMOR_VERSION not in version:
        sys.exit(f"zizmor {ZIZMOR_VERSION} is pinned; {args.zizmor} is {version or 'missing'}")
    folders = sorted(d for d in os.listdir(args.corpus) if os.path.isdir(os.path.join(args.corpus, d, ".github")))
    files = sum(len(os.listdir(os.path.join(args.corpus, d, ".github/workflows"))) for d in folders)

    sg, crashes, matrix, sg_seconds, unreadable = stagegate_units(args.stagegate, args.corpus, folders)
    zz, zz_seconds, zz_failures = zizmor_units(args.zizmor, args.corpus, folders)

    repos = {d.split("+", 1)[1].rsplit("+", 1)[0] if d.startswith("history+") else d for d in folders}
    print(f"corpus: {files} workflow files in {len(folders)} folders from {len(repos)} repositories")
    print(f"stagegate: {sg_seconds:.2f} s, {len(crashes)} crashes, {unreadable} unreadable files, "
          f"{len(matrix)} LLD-matrix findings (no folder declares the matrix)")
    print(f"{version}: {zz_seconds:.2f} s, {len(zz_failures)} folders it could not read")
    print()
    print("| family | both | stagegate only | zizmor only | zizmor High | of those, stagegate |")
    print("|---|---:|---:|---:|---:|---:|")
    totals = collections.Counter()
    for family in FAMILIES:
        s = {k for k in sg if k[0] == family}
        z = {k for k in zz if k[0] == family}
        high = {k for k in z if any(sev == "High" for _, sev, _, _ in zz[k])}
        row = (len(s & z), len(s - z), len(z - s), len(high), len(high & s))
        totals.update(dict(zip(["both", "sg", "zz", "high", "hit"], row)))
        print(f"| {family} | " + " | ".join(str(x) for x in row) + " |")
    print(f"| all | {totals['both']} | {totals['sg']} | {totals['zz']} | {totals['high']} | {totals['hit']} |")
    print()
    for family in FAMILIES:
        s = {k for k in sg if k[0] == family}
        z = {k for k in zz if k[0] == family}
        for side, keys, source in (("zizmor only", sorted(z - s), zz), ("stagegate only", sorted(s - z), sg)):
            for k in keys[: args.sample]:
                what = "; ".join(f"{r} {sev} line {line}: {msg[:90]}" for r, sev, line, msg in source[k][:2])
                print(f"{family} / {side}: {k[1]} job {k[2]}: {what}")
    for c in crashes + zz_failures:
        print("failure:", c)


if __name__ == "__main__":
    main()
