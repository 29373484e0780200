"""Attribution arena: score every attribution method against the truth in each job of `+experiment=attribution_arena`.

    journeysim -m +experiment=attribution_arena
    python experiments/attribution_arena/analyse.py [SWEEP_DIR] [--out DIR]

Each job kept its touch log (`outputs.touches`) and re-simulated itself without each channel on the same random
numbers (`baseline_channels`), so a channel's true incremental purchases are known per replication. Writes into
`results/`: `league.csv` (per journey, method and channel: conversions credited, true incremental, bias with its
95% CI across replications, shares of credit and of the truth; channel `(all)`: total |bias| and the share error
that ranks the methods), `ranking.csv` (methods by share error per journey) and `run.json` (seed, replications,
machine time).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sweep_results import Sweep, cli, provenance, write_csv, write_json

from journeysim.study.attribution.methods import METHODS
from journeysim.study.attribution.score import ALL, credits, league

NAME = "attribution_arena"
COMMAND = "journeysim -m +experiment=attribution_arena"


def job_league(job: Path) -> pd.DataFrame:
    """The league table of one job directory (what `journeysim attribute JOB` writes as attribution.csv)."""
    touches = pd.read_parquet(job / "touches.parquet")
    segments = pd.read_parquet(job / "path_segments.parquet")
    truth = pd.read_csv(job / "channel_removal.csv")
    config = yaml.safe_load((job / "config.yaml").read_text())
    sample = float((config.get("outputs") or {}).get("touch_sample", 1.0))
    channels = [str(c) for c in touches["channel"].cat.categories]
    table = league(credits(touches, segments, channels, METHODS, sample), truth)
    table.insert(0, "journey", str(config["journey"]["name"]))
    return table


def analyse(sweep: Sweep, out: Path) -> None:
    """Write the league and the ranking; print each journey's ranking and the channels' biggest errors."""
    ok = sweep.jobs[sweep.jobs["status"] == "ok"]
    tables = [job_league(sweep.path / str(j)) for j in ok["job"]]
    table = pd.concat(tables, ignore_index=True)
    cols = ["journey", "rank", "method", "share_error", "share_error_ci_low", "share_error_ci_high", "bias"]
    ranking = table[table["channel"] == ALL][[*cols, "true_incremental", "credited"]].rename(
        columns={"bias": "total_abs_bias"}
    )
    write_csv(table, out / "league.csv")
    write_csv(ranking, out / "ranking.csv")
    write_json(provenance(sweep, COMMAND), out / "run.json")
    per = table[table["channel"] != ALL]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:,.4g}".format):
        for journey, part in ranking.groupby("journey", sort=False):
            true = float(part["true_incremental"].iloc[0])
            print(f"{journey}: methods by share error (true incremental purchases {true:.0f})")
            print(
                part[
                    ["rank", "method", "share_error", "share_error_ci_low", "share_error_ci_high", "total_abs_bias"]
                ].to_string(index=False)
            )
            mine = per[per["journey"] == journey]
            shares = mine.pivot_table(index="method", columns="channel", values="credited_share")
            shares.loc["(truth)"] = mine.groupby("channel")["true_share"].first()
            print("share of credit per channel (last row: share of the true incremental purchases):")
            print(shares.to_string(), "\n")
    print(f"wrote {out}/league.csv, ranking.csv, run.json")


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `analyse.py [SWEEP_DIR] [--out DIR]`."""
    cli(NAME, __doc__.splitlines()[0] if __doc__ else NAME, analyse, argv)


if __name__ == "__main__":
    main()
