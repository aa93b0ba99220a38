#!/usr/bin/env python3
"""The measure queries at tier L on a Ballista cluster, beside the local run.

    python3 benches/scale/cluster.py        # about 10 minutes once the release build and tier L's extracts exist

1. Builds sprout with the cargo feature `cluster` (`cargo build --release
   --locked --features cluster`).
2. Makes tier L's extracts as `run.py` does (kept in target/scale/L).
3. Runs the same evaluation twice, one after the other: on this machine
   (`--target-partitions 2`), and with `--cluster standalone:2 --partitions 2`
   (a Ballista scheduler and two executors inside sprout, talking gRPC on
   loopback and exchanging shuffle files, one task slot each), each with
   `--timings`.
4. Checks that the published tables are byte-identical, and writes every
   measure query's seconds side by side to BENCHMARKS-cluster.json, which
   `run.py` (and `run.py --report-only`) puts into BENCHMARKS.md.

On 2 cores no speed-up is expected: the point is that the results are equal,
and what the cluster's planning, gRPC and shuffle files cost.
"""

import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import run  # noqa: E402

TIER = "L"
CLUSTER = ["--cluster", "standalone:2", "--partitions", "2"]


def queries(evaluation):
    """Each measure query's seconds (summed over its runs) and where it was answered."""
    out = {}
    for stage in evaluation.get("stages", []):
        for query in stage.get("queries", []):
            entry = out.setdefault(query["query"], {"seconds": 0.0, "runs": 0, "answered": set()})
            entry["seconds"] += query["seconds"]
            entry["runs"] += 1
            entry["answered"].add(query.get("answered", "local"))
    return {
        name: {**entry, "answered": sorted(entry["answered"])}
        for name, entry in sorted(out.items())
    }


def main():
    run.say("building sprout (cargo build --release --locked --features cluster)")
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--features", "cluster"],
        cwd=run.ROOT, check=True,
    )
    sprout = run.ROOT / "target" / "release" / "sprout"
    folder = pathlib.Path(os.environ.get("SPROUT_SCALE_WORK", run.ROOT / "target" / "scale")) / TIER
    folder.mkdir(parents=True, exist_ok=True)
    truth = run.synth(sprout, folder, run.TIERS[TIER])
    results = {}
    for name, extra in [("local", ["--target-partitions", "2"]), ("cluster", CLUSTER)]:
        run.say(f"  evaluate ({name})")
        results[name] = run.evaluate(sprout, folder, extra, name=f"cluster-{name}")
        if "error" in results[name]:
            raise SystemExit(f"sprout evaluate ({name}) failed: {results[name]['error']}")
        run.say(f"    {results[name]['seconds']:.1f} s")
    data = {
        "date": run.datetime.date.today().isoformat(),
        "machine": run.machine(),
        "tier": TIER,
        "referred": truth["counts"]["referred"],
        "command": "python3 benches/scale/cluster.py",
        "cluster": " ".join(CLUSTER),
        # Profile overrides in the environment (a quicker build) are recorded.
        "build": " ".join(
            f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("CARGO_PROFILE_RELEASE_")
        ) or "release profile (thin LTO, one codegen unit)",
        "identical": run.published_identical(
            folder / "report-cluster-local", folder / "report-cluster-cluster"
        ),
        "runs": {
            name: {
                "seconds": r["seconds"],
                "peak": r["peak"],
                "stages": {s["stage"]: s["seconds"] for s in r["stages"]},
                "queries": queries(r),
            }
            for name, r in results.items()
        },
    }
    out = run.ROOT / "BENCHMARKS-cluster.json"
    out.write_text(json.dumps(data, indent=2) + "\n")
    run.say(f"wrote {out}; BENCHMARKS.md follows with python3 benches/scale/run.py --report-only")
    subprocess.run([sys.executable, str(run.ROOT / "benches" / "scale" / "run.py"), "--report-only"],
                   check=True)


if __name__ == "__main__":
    main()
