"""The dry run (`journeysim check`): what would run, printed without simulating anything."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import OmegaConf
from rich.console import Console

from journeysim.model.scenario import Scenario


def expected_customers(scenario: Scenario) -> float:
    """Customers present at day 0 plus the expected Poisson arrivals over the horizon."""
    horizon = scenario.settings.horizon_days
    return float(sum(sum(seg.initial.values()) + seg.intensity(horizon).sum() for seg in scenario.population.segments))


def scenario_line(scenario: Scenario) -> str:
    """One line: name, journey size, segments, horizon, replications and expected customers."""
    s = scenario.settings
    segs = ", ".join(scenario.population.names)
    return (
        f"scenario '{scenario.name}': journey '{scenario.journey.name}' ({scenario.journey.n_stages} stages), "
        f"segments [{segs}], {s.horizon_days} days x {s.replications} replications (seed {s.seed}, "
        f"{s.engine} engine), ~{expected_customers(scenario):,.0f} customers per replication"
    )


def print_run_check(console: Console, scenario: Scenario, resolved: Mapping[str, Any]) -> None:
    """The resolved config as YAML, then a one-line summary of what would run."""
    console.print(OmegaConf.to_yaml(OmegaConf.create(dict(resolved))), end="", markup=False, highlight=False)
    console.print(f"OK: {scenario_line(scenario)}", markup=False, highlight=False)
    console.print("Valid; nothing was simulated (drop 'check' to run it).", markup=False, highlight=False)


def print_sweep_check(console: Console, jobs: Sequence[tuple[Sequence[str], Scenario]]) -> None:
    """One line per sweep job."""
    for i, (overrides, scenario) in enumerate(jobs):
        console.print(f"#{i} [{' '.join(overrides)}] OK: {scenario_line(scenario)}", markup=False, highlight=False)
    console.print(
        f"All {len(jobs)} jobs are valid; nothing was simulated (drop 'check' to run the sweep).",
        markup=False,
        highlight=False,
    )
