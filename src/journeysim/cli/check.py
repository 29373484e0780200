"""The dry run (`journeysim check`): what would run, printed without simulating anything."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import OmegaConf
from rich.console import Console

from journeysim.config.baseline import AUTO, baseline_choice
from journeysim.model.scenario import Scenario


def expected_customers(scenario: Scenario) -> float:
    """Customers present at day 0 plus the expected Poisson arrivals over the horizon."""
    horizon = scenario.settings.horizon_days
    arrivals = sum(scenario.arrival_intensity(g, horizon).sum() for g in range(len(scenario.population.segments)))
    return float(scenario.initial_counts().sum() + arrivals)


def scenario_line(scenario: Scenario) -> str:
    """One line: name, journey size, segments, horizon, replications and expected customers."""
    s = scenario.settings
    segs = ", ".join(scenario.population.names)
    return (
        f"scenario '{scenario.name}': journey '{scenario.journey.name}' ({scenario.journey.n_stages} stages), "
        f"segments [{segs}], {s.horizon_days} days x {s.replications} replications (seed {s.seed}, "
        f"{s.engine} engine), ~{expected_customers(scenario):,.0f} customers per replication"
    )


def plan_lines(scenario: Scenario, resolved: Mapping[str, Any]) -> list[str]:
    """What would run, a line each: the strategy's money per channel (flights, pacing) and rate multipliers, the
    baseline, word of mouth, and the notes (flights clipped to the horizon)."""
    st = scenario.strategy
    if st.plans:
        parts = [
            f"{p.channel} {p.budget:,.0f} ({', '.join(f'days {f.start}-{f.end}' for f in p.flights) or 'no day'})"
            for p in st.plans
        ]
        lines = [f"strategy '{st.name}': {st.total_budget:,.0f}, {st.plans[0].pacing} pacing: {'; '.join(parts)}"]
    else:
        lines = [f"strategy '{st.name}': no spend"]
    lines += [
        f"rate multiplier: {m.source} -> {m.target} x{m.factor:g}, days {m.start}-{m.end}" for m in st.rate_multipliers
    ]
    choice = baseline_choice(resolved)
    if choice.name is None:
        base = "none (baseline=null)"
    elif choice.name == AUTO:
        base = "no spend, on the same seeds" if st.total_budget > 0 else "none (the strategy spends nothing)"
    else:
        base = f"strategy preset '{choice.name}', on the same seeds"
    extra = ", with each channel's removal effect and marginal ROAS" if choice.channels and choice.name else ""
    wom = scenario.word_of_mouth
    kinds = [k for k in ("referrals", "contagion", "detractors") if getattr(wom, k) is not None]
    return [*lines, f"baseline: {base}{extra}", f"word of mouth: {', '.join(kinds) or 'none'}", *st.notes]


def print_run_check(console: Console, scenario: Scenario, resolved: Mapping[str, Any], full: bool = False) -> None:
    """The verdict and what would run first; the resolved config as YAML only when asked (`check --full`)."""
    console.print(f"OK: {scenario_line(scenario)}", markup=False, highlight=False)
    for line in plan_lines(scenario, resolved):
        console.print(f"  {line}", markup=False, highlight=False)
    if full:
        console.print("Resolved config:", markup=False, highlight=False)
        console.print(OmegaConf.to_yaml(OmegaConf.create(dict(resolved))), end="", markup=False, highlight=False)
    more = "" if full else "; 'check --full' also prints the resolved config"
    console.print(f"Valid; nothing was simulated (drop 'check' to run it{more}).", markup=False, highlight=False)


def print_sweep_check(console: Console, jobs: Sequence[tuple[Sequence[str], Scenario]]) -> None:
    """One line per sweep job."""
    for i, (overrides, scenario) in enumerate(jobs):
        console.print(f"#{i} [{' '.join(overrides)}] OK: {scenario_line(scenario)}", markup=False, highlight=False)
    console.print(
        f"All {len(jobs)} jobs are valid; nothing was simulated (drop 'check' to run the sweep).",
        markup=False,
        highlight=False,
    )
