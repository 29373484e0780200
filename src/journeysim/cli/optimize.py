"""`journeysim optimize`: split a budget over channels for the best incremental objective, on the simulated journey.

    journeysim optimize strategy=balanced --total 150000 --channels social,search,email,retargeting
    journeysim optimize strategy=balanced --target new_buyers=5000 --confidence 0.9 --max-total 400000
    journeysim optimize strategy=balanced sim.start_date=2027-01-01 --total 150000 --periods months
    options: --objective profit|new_buyers|revenue|purchases|clv  --bound social=0:40000 --bound search=x0.5:x2
             --min-share 0.05 --max-share 0.6  --max-cac 60 --max-cpa 40 --min-roas 2  --simulations 30
             --periods months|N|0:90,90:365  --bound search@2027-03=0:5000
             --name optimized --out DIR --config-dir DIR

Overrides pick the base scenario as for a run (the current plan is its strategy). Money is the config's money
(budgets as written, before `population.scale`). Writes into OUT: plan.yaml and strategy/<name>.yaml (a strategy
option: `journeysim --config-dir OUT strategy=<name>`), allocation.csv, response_curves.csv, evaluations.csv,
summary.json, summary.csv (the same, one row) and optimize.html.
Bad input or an unreachable request: status 2, nothing written.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from journeysim.cli.report import exit_bad_input, invalid_config_text
from journeysim.config.compose import compose, load_scenario
from journeysim.config.problems import InvalidConfig, Problem
from journeysim.config.scaling import budget_scale
from journeysim.config.validate import resolved_container
from journeysim.errors import ConfigError
from journeysim.io.atomic import atomic_write, atomic_write_json, atomic_write_text
from journeysim.study.optimize import Bound, Infeasible, OptimizeInputError, OptimizeSpec, Target, optimise
from journeysim.study.optimize.periods import plan_flights
from journeysim.study.optimize.spec import OBJECTIVES

if TYPE_CHECKING:
    from journeysim.study.optimize import OptimizeResult

HEADING = "journeysim optimize: nothing was written."


def _exit(problems: Sequence[ConfigError]) -> NoReturn:
    text = invalid_config_text([Problem(p.setting, p.problem, p.fix) for p in problems])
    sys.stderr.write(f"{HEADING}\n{text}\n")
    sys.stderr.flush()
    raise SystemExit(2)


def parser() -> argparse.ArgumentParser:
    """The `optimize` verb's command line."""
    p = argparse.ArgumentParser(prog="journeysim optimize", description="Optimise a budget split by simulation.")
    p.add_argument("overrides", nargs="*", help="config overrides for the base scenario, e.g. strategy=balanced")
    p.add_argument("--channels", help="channels to allocate, comma-separated (default: the strategy's)")
    p.add_argument("--total", type=float, help="the total to split (default: the current plan's, on --channels)")
    p.add_argument("--objective", default="profit", help=f"one of {', '.join(OBJECTIVES)} (incremental)")
    p.add_argument("--bound", action="append", default=[], help="CH=LOW:HIGH money, or CH=xA:xB of its current")
    p.add_argument("--min-share", type=float, default=0.0, help="least share of the total per channel")
    p.add_argument("--max-share", type=float, default=1.0, help="largest share of the total per channel")
    p.add_argument("--max-cac", type=float, help="incremental CAC limit (spend / incremental new buyers)")
    p.add_argument("--max-cpa", type=float, help="incremental CPA limit (spend / incremental purchases)")
    p.add_argument("--min-roas", type=float, help="incremental ROAS floor (incremental revenue / spend)")
    p.add_argument("--target", help="METRIC=VALUE: find the least total reaching it, e.g. new_buyers=5000")
    p.add_argument("--confidence", type=float, default=0.9, help="one-sided confidence for --target (0.9)")
    p.add_argument("--max-total", type=float, help="largest total --target may use")
    p.add_argument(
        "--periods", help="split each channel's money over periods too: months, N (equal blocks) or 0:90,90:365"
    )
    p.add_argument("--simulations", type=int, help="evaluation budget in simulated plans (default: 3 x channels + 6)")
    p.add_argument("--name", default="optimized", help="name of the written strategy option")
    p.add_argument("--out", help="output directory (default: optimizations/<date>_<time>)")
    p.add_argument("--config-dir", help="your config directory, as for a run")
    return p


def _bound(text: str, scale: float) -> tuple[str, Bound]:
    """`CH=LOW:HIGH` (money; either side may be empty) or `CH=xA:xB` (factors of the current budget)."""
    name, sep, rng = text.partition("=")
    low, colon, high = rng.partition(":")
    rel = low.strip().startswith("x") or high.strip().startswith("x")
    try:
        lo = float(low.strip().lstrip("x") or 0.0)
        hi = float(high.strip().lstrip("x") or math.inf)
    except ValueError:
        lo = hi = math.nan
    if not (sep and colon and name) or math.isnan(lo) or math.isnan(hi):
        raise ConfigError(f"--bound {text}", "is not CH=LOW:HIGH", "e.g. --bound social=0:40000 or search=x0.5:x2")
    return name.strip(), Bound(lo, hi, True) if rel else Bound(lo * scale, hi * scale, False)


def _target(args: argparse.Namespace, scale: float) -> Target | None:
    if args.target is None:
        return None
    metric, sep, value = args.target.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or math.isnan(number):
        raise ConfigError("--target", f"'{args.target}' is not METRIC=VALUE", "e.g. --target new_buyers=5000")
    return Target(metric.strip(), number * scale, args.confidence)  # a sample of the market reaches its share


def spec_from(args: argparse.Namespace, current_channels: Sequence[str], scale: float) -> OptimizeSpec:
    """The request in the scenario's money (`scale`: the config's `population.scale` on budgets)."""
    channels = tuple(c.strip() for c in args.channels.split(",") if c.strip()) if args.channels else ()
    bounds = dict(_bound(b, scale) for b in args.bound)
    money = {k: None if v is None else v * scale for k, v in (("total", args.total), ("max_total", args.max_total))}
    kwargs = {} if args.simulations is None else {"simulations": args.simulations}
    target = _target(args, scale)
    return OptimizeSpec(
        channels=channels or tuple(current_channels),
        total=money["total"],
        objective=args.objective,
        bounds=bounds,
        min_share=args.min_share,
        max_share=args.max_share,
        max_cac=args.max_cac,  # ratios: the same in a scaled sample as in the whole market
        max_cpa=args.max_cpa,
        min_roas=args.min_roas,
        target=target,
        max_total=money["max_total"],
        scale=scale,
        periods=args.periods,
        **kwargs,
    )


def _default_total(spec: OptimizeSpec, current: dict[str, float]) -> OptimizeSpec:
    """With neither a total nor a target: the current plan's total on the chosen channels."""
    if spec.total is not None or spec.target is not None:
        return spec
    total = sum(current.get(c, 0.0) for c in spec.channels)
    return spec if total <= 0 else OptimizeSpec(**{**spec.__dict__, "total": total})


def main(argv: Sequence[str]) -> None:
    """The `optimize` verb."""
    args = parser().parse_intermixed_args(list(argv))
    try:
        scenario = load_scenario(args.overrides, config_dir=args.config_dir)
        scale = budget_scale(resolved_container(compose(args.overrides, config_dir=args.config_dir)))
    except InvalidConfig as exc:
        exit_bad_input([invalid_config_text(exc.problems)])
    current = {p.channel: p.budget for p in scenario.strategy.plans}
    try:
        spec = _default_total(spec_from(args, list(current), scale), current)
        result = optimise(scenario, spec, progress=_progress)
    except ConfigError as exc:
        _exit([exc])
    except OptimizeInputError as exc:
        _exit(exc.problems)
    except Infeasible as exc:
        _exit([ConfigError(exc.setting, exc.problem, exc.fix)])
    out = Path(args.out or f"optimizations/{datetime.now():%Y-%m-%d_%H-%M-%S-%f}")
    write_outputs(result, out, args.name, scale, args.overrides, args.config_dir)


def _progress(kind: str, done: int, total: int) -> None:
    """One line per step; the search keeps to `--simulations`, the checks after it (the current plan) come on top."""
    extra = "" if done <= total else f" ({done - total} beyond the search's {total}: the answer's checks)"
    limit = f" of at most {total}" if done <= total else ""
    sys.stderr.write(f"  {kind}: {done}{limit} plans simulated{extra}\n")
    sys.stderr.flush()


def _cents(budgets: dict[str, float], total: float) -> dict[str, float]:
    """Budgets rounded to cents that still add up to `total` (the rounding left over goes to the largest)."""
    out = {c: round(b, 2) for c, b in budgets.items()}
    if out:
        big = max(out, key=lambda c: out[c])
        out[big] = round(out[big] + total - sum(out.values()), 2)
    return out


def plan_document(result: OptimizeResult, name: str) -> dict[str, Any]:
    """The chosen plan as a strategy option, in the config's money: budgets, pacing, flights, messaging."""
    base = result.scenario.strategy
    chosen = result.budgets()
    scale = float(result.summary.get("budget_scale", 1.0))
    total = round(sum(chosen.values()), 2)
    cells = result.cells
    per_flight = {} if cells is None else plan_flights(cells, result.chosen, total)
    budgets = {} if cells is not None else _cents(chosen, total)
    optimised = set(budgets) | set(result.spec.channels if cells is not None else ())
    budgets.update({p.channel: round(p.budget / scale, 2) for p in base.plans if p.channel not in optimised})
    budgets = {c: b for c, b in budgets.items() if b > 0}
    plans = {p.channel: p for p in base.plans}
    horizon = result.scenario.settings.horizon_days
    flights: dict[str, Any] = {
        c: [{"start": f.start, "end": f.end} for f in plans[c].flights]
        for c in budgets
        if c in plans and [(f.start, f.end) for f in plans[c].flights] != [(0, horizon)]
    }
    flights.update(per_flight)  # with periods: each channel's money per flight (its flights cut at the periods)
    funded = [*budgets, *per_flight]
    messaging = {c: list(plans[c].stages or ()) for c in funded if c in plans and plans[c].stages}
    doc: dict[str, Any] = {
        "name": name,
        "description": f"{result.summary['objective']}-optimised split of {total:,.2f} by journeysim optimize",
        "budget": round(sum(budgets.values()) + sum(f["budget"] for fl in per_flight.values() for f in fl), 2),
        "budgets": budgets,
        "pacing": base.plans[0].pacing if base.plans else "even",
    }
    if flights:
        doc["flights"] = flights
    if messaging:
        doc["messaging"] = messaging
    if base.rate_multipliers:
        doc["rate_multipliers"] = [
            {"from": m.source, "to": m.target, "factor": m.factor, "start": m.start, "end": m.end}
            | ({"segments": list(m.segments)} if m.segments else {})
            for m in base.rate_multipliers
        ]
    return doc


def write_outputs(
    result: OptimizeResult, out: Path, name: str, scale: float, overrides: Sequence[str], config_dir: str | None
) -> None:
    """Every output, each written atomically; the page last (it is what a planner opens)."""
    import pandas as pd

    from journeysim.report.optimize_page import optimize_report

    result = result.per_unit(scale)
    doc = plan_document(result, name)
    extra = f" --config-dir {config_dir}" if config_dir else ""
    kept = [o for o in overrides if not o.lstrip("+~").startswith("strategy")]  # the plan replaces the strategy
    run = " ".join(["journeysim", "--config-dir", str(out), *kept, f"strategy={name}"])
    header = (
        f"# Written by `journeysim optimize`{extra} {' '.join(overrides)}\n# Run it: {run}\n"
        f"# (money as the config writes it; the simulation used population.scale x {scale:g})\n"
    )
    if result.cells is not None:
        header += f"# money per period as flights with their own budget; periods: {result.summary['periods']}\n"
    text = header + yaml.safe_dump(doc, sort_keys=False)
    atomic_write(out / "allocation.csv", lambda t: result.allocation.to_csv(t, index=False))
    atomic_write(out / "response_curves.csv", lambda t: result.curves_table.to_csv(t, index=False))
    atomic_write(out / "evaluations.csv", lambda t: result.evaluations.to_csv(t, index=False))
    atomic_write(out / "summary.csv", lambda t: pd.DataFrame([_json_safe(result.summary)]).to_csv(t, index=False))
    atomic_write_json(out / "summary.json", _json_safe({**result.summary, "budget_scale": scale, "plan": doc}))
    atomic_write_text(out / "strategy" / f"{name}.yaml", text)
    atomic_write_text(out / "plan.yaml", text)
    page = optimize_report(result, out, run_command=run, scale=scale)
    s = result.summary
    print(f"{s['objective']} at the chosen plan: {s['objective_mean']:,.6g} "
          f"(95% CI {s['objective_ci_low']:,.6g} .. {s['objective_ci_high']:,.6g}); "
          f"P(beats the current plan) = {s['p_beats']:.3f}; {s['simulations']} plans simulated")  # fmt: skip
    if "param_p_beats" in s:
        low, high = s["param_objective_low"], s["param_objective_high"]
        print(f"with parameter uncertainty: 95% CI {low:,.6g} .. {high:,.6g}; P(beats) = {s['param_p_beats']:.3f};")
        print(f"  decisive parameter: {s['decisive_parameter'] or 'none'}")
    for c, b in doc["budgets"].items():
        print(f"  {c:<20} {b:>14,.2f}")
    if result.cells is not None:
        for _, row in result.allocation.iterrows():
            print(f"  {row['channel']:<12} {row['period']:<9} {row['budget']:>14,.2f}")
    print(f"plan: {out / 'plan.yaml'}  report: {page}")
    print(f"run it: {run}")
    if config_dir and Path(config_dir).resolve() != out.resolve():
        option = out / "strategy" / f"{name}.yaml"
        print(f"(the base scenario needs --config-dir {config_dir}: copy {option} into {Path(config_dir) / 'strategy'}")
        print(f" and run with --config-dir {config_dir}, or optimise with --out {config_dir})")


def _json_safe(data: Any) -> Any:
    """NaN and infinities as null (strict JSON)."""
    if isinstance(data, dict):
        return {k: _json_safe(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_json_safe(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if hasattr(data, "item"):
        return _json_safe(data.item())
    return data
