#!/usr/bin/env python3
"""Coverage of the planted health effect by sprout's difference-in-differences.

For each synthetic world and seed: `sprout synth`, `sprout ingest`,
`sprout measures`, then for each comparison pool the 12-month GP
difference-in-differences against the effect among that pool's matched cases.

The matched cases' effect: synth plants a relative reduction e on every rate
after an accepted referral, so a matched case's counterfactual rate after
referral is its observed rate / (1 - e) and the effect among the matched is
-(e / (1 - e)) x their mean rate after (`case_after_rate`). It differs from
truth.json's average over everyone treated because exact matching leaves out
the heaviest users.

A row counts as covered when the 95% interval contains that effect, and as
flagged when the published table does not call the estimate robust
(`robust` = "no", a check failed, or "unchecked", the declined design too
uncertain to check it). The claim checked: in every seed, covered or flagged.

Usage: scripts/coverage/health.py SPROUT_BINARY [--seeds 20] [--people 20000]
       [--worlds mild,ramp240,hidden,mnar] [--jobs 2] [--work DIR]
       [--measure-args "--match-on trajectory"] [--verbose]
"""
import argparse
import csv
import json
import os
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

WORLDS = {
    "mild": [],
    "ramp240": ["--ramp-days", "240"],
    "hidden": ["--hidden-need", "0.5"],
    "hidden25": ["--hidden-need", "0.25"],
    "rundown60": ["--run-down-days", "60"],
    "mnar": ["--attrition-mnar", "1.0"],
    "harsh": ["--ramp-days", "240", "--hidden-need", "0.5", "--attrition-mnar", "1.0"],
}


def run(binary, world, seed, people, work, measure_args):
    d = os.path.join(work, f"{world}-{seed}")
    if not os.path.exists(os.path.join(d, "wh")):
        os.makedirs(d, exist_ok=True)
        subprocess.run([binary, "synth", "--people", str(people), "--seed", str(seed),
                        "--out", os.path.join(d, "data"), "-q", *WORLDS[world]], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([binary, "ingest", os.path.join(d, "data"), "-w", os.path.join(d, "wh"), "-q"],
                       check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(d, "m")
    if os.path.exists(out):
        subprocess.run(["rm", "-rf", out], check=True)
    subprocess.run([binary, "measures", "-w", os.path.join(d, "wh"), "--period", "2024/25",
                    "--out", out, "-q", *measure_args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    truth = json.load(open(os.path.join(d, "data", "truth.json")))
    e = truth["health_events"]["relative_effect"]["gp_appointment"]
    sides = {r["side"]: r["washout_days"] for r in csv.DictReader(open(os.path.join(out, "health_washout.csv")))}
    washout = f"{sides['before']}/{sides['after']}"
    rows = []
    for r in csv.DictReader(open(os.path.join(out, "health_difference_in_differences.csv"))):
        if r["setting"] != "gp_appointment" or r["window_months"] != "12":
            continue
        effect = -(e / (1 - e)) * float(r["case_after_rate"])
        lo, hi, did = float(r["did_lower"]), float(r["did_upper"]), float(r["did"])
        rows.append({
            "world": world, "seed": seed, "pool": r["pool"], "washout": washout,
            "sets": int(r["sets"]), "effect": effect, "did": did, "lower": lo, "upper": hi,
            "covered": lo <= effect <= hi, "robust": r.get("robust", ""),
            "flagged": r.get("robust", "") in ("no", "unchecked"),
            "why": r.get("robust_basis", ""),
        })
    return rows


def main():
    a = argparse.ArgumentParser()
    a.add_argument("binary")
    a.add_argument("--seeds", type=int, default=20)
    a.add_argument("--people", type=int, default=20000)
    a.add_argument("--worlds", default="mild,ramp240,hidden,mnar")
    a.add_argument("--jobs", type=int, default=2)
    a.add_argument("--work", default=None)
    a.add_argument("--verbose", action="store_true")
    a.add_argument("--measure-args", default="", help="extra arguments to sprout measures, e.g. \"--match-on trajectory\"")
    args = a.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="sprout-coverage-")
    jobs = [(w, s) for w in args.worlds.split(",") for s in range(1, args.seeds + 1)]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda j: run(os.path.abspath(args.binary), j[0], j[1], args.people,
                                              work, shlex.split(args.measure_args)), jobs))
    rows = [r for rs in results for r in rs]
    if args.verbose:
        for r in rows:
            print(f"{r['world']:9} seed {r['seed']:2} {r['pool']:14} washouts {r['washout']:>7} "
                  f"sets {r['sets']:5} effect {r['effect']:+.2f} did {r['did']:+.2f} "
                  f"[{r['lower']:+.2f}, {r['upper']:+.2f}] "
                  f"{'covered' if r['covered'] else 'MISSED '} robust: {r['robust']}")
    print("| world | pool | seeds | covered | not robust | unchecked | robust | missed while robust | mean bias | mean width |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failures = 0
    for w in args.worlds.split(","):
        for p in ["never_referred", "declined"]:
            rs = [r for r in rows if r["world"] == w and r["pool"] == p]
            if not rs:
                continue
            silent = sum(1 for r in rs if not r["covered"] and not r["flagged"])
            if p == "never_referred":
                failures += silent
            bias = sum(r["did"] - r["effect"] for r in rs) / len(rs)
            width = sum(r["upper"] - r["lower"] for r in rs) / len(rs)
            said = {v: sum(r["robust"] == v for r in rs) for v in ("no", "unchecked", "yes")}
            print(f"| {w} | {p} | {len(rs)} | {sum(r['covered'] for r in rs)} | {said['no']} | "
                  f"{said['unchecked']} | {said['yes']} | {silent} | {bias:+.2f} | {width:.2f} |")
    print(f"work folder: {work}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
