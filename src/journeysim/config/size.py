"""Refuse runs that cannot fit in memory or finish, and announce long ones, from `journeysim.study.estimate`."""

from __future__ import annotations

from journeysim.config.validate import Problem
from journeysim.model.scenario import Scenario
from journeysim.study.estimate import MAX_SECONDS, Estimate, available_memory, duration, estimate, gib


def _driver(scenario: Scenario, needs: Estimate) -> tuple[str, str]:
    """The setting that drives the size most, and how to lower it."""
    s = scenario.settings
    if s.event_log and needs.transitions * s.replications > 10 * needs.customers:
        return "sim.event_log", "set sim.event_log=false (metrics need no event log)"
    if s.horizon_days > 100 * 365:
        return "sim.horizon_days", "shorten sim.horizon_days"
    if s.replications > 10_000:
        return "sim.replications", "lower sim.replications (or split them over several runs with other seeds)"
    if needs.transitions > 1e4 * max(needs.customers, 1.0):
        return "journey.rates", "lower the rates: a customer would change stage millions of times"
    return "population.scale", "lower population.scale (or the initial counts and arrivals_per_day)"


def size_problems(scenario: Scenario, needs: Estimate | None = None) -> list[Problem]:
    """A run that needs more memory than is available, or longer than `MAX_SECONDS`, as one problem."""
    needs = estimate(scenario) if needs is None else needs
    memory = available_memory()
    what = needs.describe(scenario.settings.replications)
    setting, fix = _driver(scenario, needs)
    if memory is not None and needs.peak_bytes > memory:
        return [Problem(setting, f"the run cannot fit: {what}, but only {gib(memory)} is available", fix)]
    if needs.seconds > MAX_SECONDS:
        return [Problem(setting, f"the run cannot finish: {what} (over {duration(MAX_SECONDS)})", fix)]
    return []
