"""Budgets per (channel, period): with `periods`, the optimiser splits the total over cells, one per channel and
period, instead of over channels.

Periods tile the horizon: `months` (calendar months from `sim.start_date`, else 30-day blocks), `N` (N equal
blocks) or `a:b,b:c,...` (explicit days). A channel's cell in a period keeps the current plan's days and pacing
inside that period (its flights split at the period boundaries; a channel the plan does not fund runs all horizon
with the plan's pacing); the cell's money is spread over those days by the plan's daily weights. A channel with
no spending day in a period has no cell there. Bounds and shares still hold per channel (the sum of its cells, as
linear constraints of the solver); a bound named `channel@period` holds one cell.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from journeysim.errors import ConfigError, did_you_mean
from journeysim.interventions.media import pacing_profile
from journeysim.interventions.strategy import ChannelPlan, Flight, budgeted_profile
from journeysim.model.scenario import Scenario, Settings
from journeysim.study.grid import apply
from journeysim.study.optimize.solve import Group, exact_total, project
from journeysim.study.optimize.spec import Bound, OptimizeInputError, OptimizeSpec, problems

FIX = "give --periods months, a number of equal blocks (e.g. 4), or days that tile the horizon (e.g. 0:90,90:365)"

FIX_BOUND = "give absolute money for this period, e.g. 0:5000"


@dataclass(frozen=True)
class Period:
    """Days [start, end) of the horizon, named (`2027-03` for a calendar month, else `p1`, `p2`, ...)."""

    name: str
    start: int
    end: int


def _months(settings: Settings) -> list[Period]:
    horizon, origin = settings.horizon_days, settings.start_date
    if origin is None:
        return [Period(f"p{i + 1}", s, min(s + 30, horizon)) for i, s in enumerate(range(0, horizon, 30))]
    out, start = [], 0
    while start < horizon:
        day = origin + datetime.timedelta(days=start)
        first = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        end = min(horizon, start + (first - day).days)
        out.append(Period(f"{day:%Y-%m}", start, end))
        start = end
    return out


def _explicit(text: str, horizon: int) -> list[Period]:
    out = []
    for i, part in enumerate(text.split(",")):
        a, colon, b = part.partition(":")
        try:
            start, end = int(a), int(b)
        except ValueError:
            raise ConfigError("periods", f"'{part}' is not START:END days", FIX) from None
        if not colon or start < 0 or end <= start:
            raise ConfigError("periods", f"'{part}' is not 0 <= START < END", FIX)
        if end > horizon:
            raise ConfigError(
                "periods",
                f"period {part} ends after the {horizon}-day horizon",
                f"end the last period at day {horizon} (or lengthen sim.horizon_days)",
            )
        out.append(Period(f"p{i + 1}", start, end))
    if out[0].start != 0 or out[-1].end != horizon or any(p.end != q.start for p, q in itertools.pairwise(out)):
        raise ConfigError("periods", f"the periods do not tile days 0..{horizon} without gaps or overlaps", FIX)
    return out


def resolve(request: str | int, settings: Settings) -> tuple[Period, ...]:
    """The periods `request` names on this horizon (ConfigError `periods` when it cannot)."""
    horizon = settings.horizon_days
    text = str(request).strip()
    if text == "months":
        return tuple(_months(settings))
    if ":" in text:
        return tuple(_explicit(text, horizon))
    try:
        n = int(text)
    except ValueError:
        raise ConfigError("periods", f"unknown periods '{text}'{did_you_mean(text, ['months'])}", FIX) from None
    if not 1 <= n <= horizon:
        raise ConfigError(
            "periods",
            f"{n} periods do not fit the {horizon}-day horizon (each needs at least one day)",
            f"give 1 to {horizon} periods, or lengthen sim.horizon_days",
        )
    cuts = [round(k * horizon / n) for k in range(n + 1)]
    return tuple(Period(f"p{k + 1}", cuts[k], cuts[k + 1]) for k in range(n))


@dataclass(frozen=True)
class Cells:
    """The optimiser's cells: (channel, period) pairs where the channel has spending days; each channel's flights
    split at the period boundaries (`pieces`, the cell index of each) and its daily weights over them (sum 1)."""

    channels: tuple[str, ...]
    periods: tuple[Period, ...]
    pairs: tuple[tuple[int, int], ...]
    current: NDArray[np.float64]
    pieces: dict[str, tuple[tuple[Flight, int], ...]]
    weights: dict[str, NDArray[np.float64]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"{self.channels[c]}@{self.periods[p].name}" for c, p in self.pairs)

    def of_channel(self, i: int) -> NDArray[np.int64]:
        return np.array([k for k, (c, _) in enumerate(self.pairs) if c == i], dtype=np.int64)

    def piece_budgets(self, c: str, x: NDArray[np.float64]) -> list[float]:
        """Money on each of channel c's pieces when the cells hold `x`: a cell's money split by the weights."""
        w, at, sums, mass = self.weights[c], 0, [], np.zeros(len(self.pairs))
        for f, k in self.pieces[c]:
            sums.append(float(w[at : at + f.end - f.start].sum()))
            mass[k] += sums[-1]
            at += f.end - f.start
        return [float(x[k] * s / mass[k]) if s > 0 else 0.0 for (_, k), s in zip(self.pieces[c], sums, strict=True)]


def _channel_days(scenario: Scenario, c: str) -> tuple[tuple[Flight, ...], NDArray[np.float64], float]:
    """A channel's flights, its daily weights over them and its budget in the current plan (unfunded: all
    horizon at the plan's pacing, budget 0)."""
    plans = {p.channel: p for p in scenario.strategy.plans}
    pacing = scenario.strategy.plans[0].pacing if scenario.strategy.plans else "even"
    plan = plans.get(c, ChannelPlan(c, 0.0, (Flight(0, scenario.settings.horizon_days),), pacing))
    days = sum(f.end - f.start for f in plan.flights)
    return plan.flights, pacing_profile(plan.pacing, days, plan.profile), plan.budget


def cells_of(scenario: Scenario, channels: Sequence[str], periods: Sequence[Period]) -> Cells:
    """The cells of `channels` over `periods` in `scenario`'s current plan, with the current money per cell."""
    pairs: list[tuple[int, int]] = []
    current: list[float] = []
    pieces: dict[str, tuple[tuple[Flight, int], ...]] = {}
    weights = {}
    for i, c in enumerate(channels):
        flights, w, budget = _channel_days(scenario, c)
        mass: dict[int, float] = {}
        cut: list[tuple[Flight, int]] = []
        at = 0
        for f in flights:
            for j, p in enumerate(periods):
                a, b = max(f.start, p.start), min(f.end, p.end)
                if a < b:
                    cut.append((Flight(a, b), j))
                    mass[j] = mass.get(j, 0.0) + float(w[at + a - f.start : at + b - f.start].sum())
            at += f.end - f.start
        index = {}
        for j in sorted(j for j, m in mass.items() if m > 0):
            index[j] = len(pairs)
            pairs.append((i, j))
            current.append(budget * mass[j])
        # pieces of a period without weight (no cell) keep day order with a cell of the channel: they get nothing
        first = next(iter(index.values()), -1)
        pieces[c] = tuple((f, index.get(j, first)) for f, j in cut)
        weights[c] = w  # zero on the days of a period without a cell
    return Cells(tuple(channels), tuple(periods), tuple(pairs), np.array(current), pieces, weights)


def with_cells(base: Scenario, cells: Cells, x: NDArray[np.float64], name: str) -> Scenario:
    """`base` with the cells funded at `x` (the current plan itself where `x` is the current money); every other
    plan unchanged; a channel whose cells hold nothing is switched off."""
    if np.array_equal(x, cells.current):
        return apply(base, lambda sc: dataclasses.replace(sc, name=name))
    old = {p.channel: p for p in base.strategy.plans}
    pacing = base.strategy.plans[0].pacing if base.strategy.plans else "even"
    funded = []
    for c in cells.channels:
        flights = tuple(f for f, _ in cells.pieces[c])
        money = cells.piece_budgets(c, x)
        if not flights or sum(money) <= 0:
            continue
        plan = old.get(c, ChannelPlan(c, 0.0, flights, pacing))
        profile = budgeted_profile(cells.weights[c], flights, tuple(money))
        funded.append(dataclasses.replace(plan, budget=float(sum(money)), flights=flights, profile=profile))
    keep = tuple(p for p in base.strategy.plans if p.channel not in cells.channels)
    strategy = dataclasses.replace(base.strategy, name=name, plans=(*keep, *funded))
    return apply(base, lambda sc: dataclasses.replace(sc, strategy=strategy, name=name))


def _range(b: Bound, current: float) -> tuple[float, float]:
    scale = current if b.relative else 1.0
    return b.low * scale, b.high * scale


def box(
    spec: OptimizeSpec, cells: Cells, total: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[Group, ...]]:
    """Each cell's range (its own `channel@period` bound within its channel's) and each channel's range on the
    sum of its cells (its bound within the share limits)."""
    names = cells.names
    lo, hi = np.zeros(len(names)), np.full(len(names), math.inf)
    groups = []
    for i, c in enumerate(cells.channels):
        idx = cells.of_channel(i)
        glo, ghi = _range(spec.bounds.get(c, Bound()), float(cells.current[idx].sum()))
        glo, ghi = max(glo, spec.min_share * total), min(ghi, spec.max_share * total)
        groups.append(Group(idx, glo, ghi))
        for k in idx:
            lo[k], hi[k] = _range(spec.bounds.get(names[k], Bound()), float(cells.current[k]))
            hi[k] = min(hi[k], ghi)
    return lo, hi, tuple(groups)


def channel_range(lo: NDArray, hi: NDArray, g: Group) -> tuple[float, float]:
    """What a channel's cells can hold together: its own range within the sum of its cells' ranges."""
    return max(g.low, float(lo[g.index].sum())), min(g.high, float(hi[g.index].sum()))


def project_grouped(
    y: NDArray[np.float64], lo: NDArray, hi: NDArray, groups: Sequence[Group], total: float
) -> NDArray[np.float64]:
    """A point of the feasible set near `y`: the channels' sums projected onto their ranges and the total, then each
    channel's cells onto their ranges and that sum."""
    ranges = np.array([channel_range(lo, hi, g) for g in groups])
    sums = project(np.array([float(y[g.index].sum()) for g in groups]), ranges[:, 0], ranges[:, 1], total)
    x = np.asarray(y, float).copy()
    for g, t in zip(groups, sums, strict=True):
        x[g.index] = project(x[g.index], lo[g.index], hi[g.index], float(t))
    return exact_total(x, lo, np.minimum(hi, total), total)


def reference(cells: Cells, lo: NDArray, hi: NDArray, groups: Sequence[Group], total: float) -> NDArray[np.float64]:
    """The current money per cell scaled to `total` (equal cells where nothing is spent), made feasible."""
    cur = cells.current
    start = cur * (total / cur.sum()) if cur.sum() > 0 else np.full(cur.size, total / cur.size)
    return project_grouped(start, lo, hi, groups, total)


def _known_bounds(spec: OptimizeSpec, cells: Cells) -> list[ConfigError]:
    out = []
    names = set(cells.names)
    periods = [p.name for p in cells.periods]
    for key, b in spec.bounds.items():
        c, at, p = key.partition("@")
        if key in names and (not 0 <= b.low <= b.high or math.isnan(b.high)):
            out.append(ConfigError(f"bounds.{key}", f"{b.low:g}..{b.high:g} is not 0 <= low <= high", "e.g. 0:5000"))
        if key in names and b.relative and cells.current[cells.names.index(key)] <= 0:
            out.append(ConfigError(f"bounds.{key}", "relative, but the current plan spends nothing there", FIX_BOUND))
        if not at or key in names or c not in spec.channels:
            continue
        problem = (
            f"unknown period '{p}'{did_you_mean(p, periods)}"
            if p not in periods
            else f"channel '{c}' has no spending day in period '{p}'"
        )
        out.append(ConfigError(f"bounds.{key}", problem, f"name a period of {', '.join(periods)}"))
    return out


def checked_cells(spec: OptimizeSpec, scenario: Scenario) -> Cells:
    """The cells of a request with `periods`, after every problem of the request is checked (raises
    `OptimizeInputError` with all of them)."""
    assert spec.periods is not None
    found = problems(spec, scenario)
    try:
        periods = resolve(spec.periods, scenario.settings)
    except ConfigError as exc:
        raise OptimizeInputError([*found, exc]) from None
    if found:
        raise OptimizeInputError(found)
    cells = cells_of(scenario, spec.channels, periods)
    found = _known_bounds(spec, cells)
    if spec.simulations is not None and spec.simulations < spec.least_for(len(cells.pairs)):
        found.append(
            ConfigError(
                "simulations",
                f"{spec.simulations} simulated plans cannot fit {len(cells.pairs)} response curves (one per cell)",
                f"give at least {spec.least_for(len(cells.pairs))}, or fewer periods",
            )
        )
    if not found and spec.total is not None:
        lo, hi, groups = box(spec, cells, spec.total)
        ranges = np.array([channel_range(lo, hi, g) for g in groups])
        if (ranges[:, 0] > ranges[:, 1]).any() or not ranges[:, 0].sum() <= spec.total <= ranges[:, 1].sum():
            found.append(
                ConfigError(
                    "bounds",
                    f"the cells' ranges hold {ranges[:, 0].sum() / spec.scale:,.2f}.."
                    f"{ranges[:, 1].sum() / spec.scale:,.2f}, not the total {spec.total / spec.scale:,.2f}",
                    "widen the bounds (channel or channel@period) or shares, or change the total",
                )
            )
    if found:
        raise OptimizeInputError(found)
    return cells


def label(frame: pd.DataFrame, cells: Cells) -> pd.DataFrame:
    """`frame` with its `channel` column (cell names) split into channel, period and the period's days."""
    out = frame.copy()
    by_name = {n: (cells.channels[c], cells.periods[p]) for n, (c, p) in zip(cells.names, cells.pairs, strict=True)}
    cell = out["channel"].map(by_name)
    out["channel"] = [c for c, _ in cell]
    at = list(out.columns).index("channel") + 1
    out.insert(at, "period", [p.name for _, p in cell])
    if "current_budget" in out.columns:
        out.insert(at + 1, "start_day", [p.start for _, p in cell])
        out.insert(at + 2, "end_day", [p.end for _, p in cell])
    return out


def plan_flights(cells: Cells, chosen: NDArray[np.float64], total: float) -> dict[str, list[dict[str, float]]]:
    """The chosen cells as per-flight budgets (`strategy.flights.<channel>: [{start, end, budget}]`), in cents that
    add up to `total`; channels that get nothing are left out."""
    out = {}
    for c in cells.channels:
        money = cells.piece_budgets(c, chosen)
        if sum(money) > 0:
            out[c] = [
                {"start": f.start, "end": f.end, "budget": round(b, 2)}
                for (f, _), b in zip(cells.pieces[c], money, strict=True)
            ]
    items = [f for fl in out.values() for f in fl]
    if items:
        big = max(items, key=lambda f: f["budget"])
        big["budget"] = round(big["budget"] + total - sum(f["budget"] for f in items), 2)
    return out
