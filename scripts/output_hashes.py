"""SHA-1 of every output file of a fixed set of scenarios, to prove a restructuring keeps results byte-identical.

    python scripts/output_hashes.py --write before.json      # on the old code
    python scripts/output_hashes.py --check before.json      # on the new code: lists every file that changed

Each scenario runs through the installed `journeysim` console script into a temporary directory. status.json
(timings, clock times) and Hydra's own logs are left out; everything else a run writes is hashed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

#: name -> overrides. Small populations keep the whole set to about a minute; every engine path is covered:
#: both engines, each journey, population and word-of-mouth preset, every strategy, baselines, the event log.
SCENARIOS: dict[str, list[str]] = {
    "default": ["sim.replications=2", "population.scale=0.1"],
    "quick_check": ["+experiment=quick_check"],
    "b2b_pipeline": ["+experiment=b2b_pipeline", "sim.replications=2"],
    "funnel_vs_journey": ["+experiment=funnel_vs_journey", "sim.replications=2", "population.scale=0.1"],
    "strategy_showdown": ["+experiment=strategy_showdown", "sim.replications=2", "population.scale=0.1"],
    "budget_response": ["+experiment=budget_response", "sim.replications=2", "population.scale=0.1"],
    "balanced_channels": [
        "strategy=balanced",
        "sim=quick",
        "population.scale=0.05",
        "sim.replications=2",
        "baseline_channels=true",
    ],
    "conversion_push": ["strategy=conversion_push", "population.scale=0.1", "sim.replications=2"],
    "awareness_bass": ["strategy=awareness_push", "word_of_mouth=bass", "population.scale=0.1", "sim.replications=2"],
    "nurture_full_wom": [
        "strategy=nurture",
        "word_of_mouth=full",
        "population=mixed",
        "population.scale=0.05",
        "sim.replications=2",
    ],
    "retention_events": [
        "strategy=retention",
        "sim=quick",
        "population.scale=0.05",
        "sim.event_log=true",
        "sim.replications=2",
    ],
    "marketing_funnel_b2b": ["journey=marketing_funnel", "population=b2b", "sim.replications=2"],
    "buyer_to_customer": [
        "journey=buyer_to_customer",
        "population.scale=0.1",
        "sim.replications=2",
        "word_of_mouth=none",
    ],
    "sales_funnel_ref": [
        "journey=sales_funnel_b2b",
        "population=b2b",
        "population.scale=0.05",
        "sim=quick",
        "sim.engine=reference",
        "sim.replications=2",
    ],
    "baseline_named": [
        "strategy=balanced",
        "baseline=nurture",
        "sim=quick",
        "population.scale=0.05",
        "sim.replications=2",
    ],
}

SKIP = {"status.json", "journeysim.log"}


def _hash_dir(run_dir: Path) -> dict[str, str]:
    out = {}
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir).as_posix()
        if path.is_file() and path.name not in SKIP and not rel.startswith(".hydra"):
            out[rel] = hashlib.sha1(path.read_bytes()).hexdigest()
    return out


def hashes(names: list[str]) -> dict[str, dict[str, str]]:
    """Run each scenario and hash its outputs."""
    exe = str(Path(sys.executable).with_name("journeysim"))
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            run_dir = Path(tmp) / name
            cmd = [exe, *SCENARIOS[name], f"hydra.run.dir={run_dir}"]
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
            if done.returncode != 0:
                sys.exit(f"{name}: exit {done.returncode}\n{done.stderr[-2000:]}")
            result[name] = _hash_dir(run_dir)
            print(f"{name}: {len(result[name])} files", flush=True)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", type=Path, help="write the hashes to this JSON file")
    g.add_argument("--check", type=Path, help="compare with hashes written before; exit 1 on any difference")
    p.add_argument("--only", nargs="*", default=None, help="scenario names (default: all)")
    args = p.parse_args()
    names = args.only or list(SCENARIOS)
    now = hashes(names)
    if args.write:
        args.write.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        return
    before = json.loads(args.check.read_text())
    bad = []
    for name in names:
        old, new = before.get(name, {}), now[name]
        for f in sorted(set(old) | set(new)):
            if old.get(f) != new.get(f):
                bad.append(f"{name}/{f}: {'missing now' if f not in new else 'new' if f not in old else 'changed'}")
    print("\n".join(bad) if bad else f"identical: {sum(len(v) for v in now.values())} files in {len(names)} scenarios")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
