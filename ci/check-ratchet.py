#!/usr/bin/env python3
"""Conformance ratchet: every case id listed in the pass list must still pass.

Usage: check-ratchet.py PASS_LIST RESULTS_JSON [--suggest]

PASS_LIST     one case id per line; blank lines and '#' comments ignored.
              The list only ever grows: add ids once they pass, never
              remove one to make CI green.
RESULTS_JSON  the file written by the conformance runner's --json option:
              {"counts": {...}, "results": [{"id": ..., "outcome": ...}, ...]}
--suggest     also print the ids that pass but are not listed yet.

A listed case passes when its outcome is "exact" (byte-identical output) or
"expected-failure-ok" (both kustomize and compose rejected the input).
Prints one summary line; exits 1 if a listed case regressed or is missing.
"""
import json
import sys

PASSING = ("exact", "expected-failure-ok")


def read_pass_list(path):
    ids = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if line:
                ids.append(line)
    return ids


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    suggest = "--suggest" in argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    claimed = read_pass_list(args[0])
    with open(args[1], encoding="utf-8") as fh:
        report = json.load(fh)
    outcomes = {r["id"]: r["outcome"] for r in report.get("results", [])}

    regressed = []
    for case_id in claimed:
        outcome = outcomes.get(case_id, "missing")
        if outcome not in PASSING:
            regressed.append((case_id, outcome))

    claimed_set = set(claimed)
    passing = sorted(i for i, o in outcomes.items() if o in PASSING)
    unclaimed = [i for i in passing if i not in claimed_set]

    for case_id, outcome in regressed:
        print("ratchet: REGRESSED %-20s %s" % (outcome, case_id))
    if suggest:
        for case_id in unclaimed:
            print("ratchet: passing, not yet listed: %s" % case_id)

    status = "FAILED" if regressed else "ok"
    print(
        "ratchet %s: %d/%d listed cases pass; %d of %d corpus cases pass, %d not yet listed"
        % (status, len(claimed) - len(regressed), len(claimed), len(passing), len(outcomes), len(unclaimed))
    )
    return 1 if regressed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
