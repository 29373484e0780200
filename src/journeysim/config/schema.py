"""Structured-config schemas (dataclasses) for every config group, registered in Hydra's ConfigStore.

They type-check the YAML presets and command-line overrides. They are stored under names ending in
`_schema` outside any config group, so they never show up as user choices. The primary config lists
`- journeysim_schema` first in its defaults (Hydra's "structured config schema" pattern), so every option of
every group is merged onto its typed node; group YAMLs stay plain data (loadable with `yaml.safe_load` and
`Journey.from_dict`). A primary config of your own can do the same, or use `- journey_schema@journey` etc.
Defaults are read from the plain model objects in `journeysim.model` (one source of truth); the model stays the
one place that checks meaning (stage names, reachability, ranges), the schema only checks shape and types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from journeysim.model import Dwell, OrderValue, Segment, Settings

# OmegaConf reads the annotations at runtime: keep them to typing constructs it understands
# (Optional[...] rather than `X | None`, which Python 3.10 cannot evaluate inside typing.get_type_hints).
# ruff: noqa: UP045


@dataclass
class DwellSchema:
    """Holding-time family of one stage: exponential (default), gamma, lognormal or weibull with a shape."""

    kind: str = Dwell.kind
    shape: Optional[float] = Dwell.shape


@dataclass
class JourneySchema:
    """Shape of `journey/*.yaml`: stages, entry, conversion, terminal and per-day hazards `rates[from][to]`."""

    name: str = "journey"
    stages: list[str] = MISSING
    entry: str = MISSING
    conversion: list[str] = MISSING
    terminal: list[str] = field(default_factory=list)
    positions: dict[str, str] = field(default_factory=dict)
    rates: dict[str, dict[str, float]] = MISSING
    dwell: dict[str, DwellSchema] = field(default_factory=dict)
    promoters: Optional[list[str]] = None
    detractors: Optional[list[str]] = None
    satisfaction: Optional[dict[str, Any]] = field(default_factory=dict)  # the hand-off (model.satisfaction); {}: off


@dataclass
class OrderValueSchema:
    """Revenue per purchase: `fixed`, `lognormal` or `gamma` with a mean, a coefficient of variation and a margin."""

    kind: str = OrderValue.kind
    mean: float = OrderValue.mean
    cv: float = OrderValue.cv
    margin: float = OrderValue.margin


@dataclass
class SegmentSchema:
    """One persona: customers at day 0 by stage, Poisson arrivals per day, multipliers and order values."""

    initial: dict[str, int] = field(default_factory=dict)
    arrivals_per_day: float = Segment.arrivals_per_day
    weekly: Optional[list[float]] = None
    seasonal_amplitude: float = Segment.seasonal_amplitude
    seasonal_peak_day: float = Segment.seasonal_peak_day
    rate_multiplier: float = Segment.rate_multiplier
    transition_multipliers: dict[str, dict[str, float]] = field(default_factory=dict)
    order_value: OrderValueSchema = field(default_factory=OrderValueSchema)
    # per-customer effects (model.heterogeneity); null or {}: none. {} by default: a command-line mapping merges into
    # it (OmegaConf cannot merge one into a null typed mapping)
    heterogeneity: Optional[dict[str, Any]] = field(default_factory=dict)


@dataclass
class PopulationSchema:
    """Shape of `population/*.yaml`: named segments plus `scale`, a factor on every count of people (and, with
    `scale_budgets`, on the strategy's budgets: a scaled population is a sample of the market; `config.scaling`)."""

    name: str = "population"
    scale: float = 1.0
    scale_budgets: bool = True
    snapshot: Optional[str] = None  # CSV (segment, stage, count) replacing the named segments' initial counts
    from_run: Optional[str] = None  # an earlier run's directory: continue from its end state (config.continuation)
    segments: dict[str, SegmentSchema] = MISSING


@dataclass
class SimSchema:
    """Shape of `sim/*.yaml`: horizon, replications, root seed, engine, event log, CLV discounting and the
    ensemble each replication draws its parameters from."""

    horizon_days: int = Settings.horizon_days
    replications: int = Settings.replications
    seed: int = Settings.seed
    engine: str = Settings.engine
    event_log: bool = Settings.event_log
    discount_rate_annual: float = Settings.discount_rate_annual
    start_date: Optional[str] = None  # ISO date of day 0 (e.g. 2027-01-04): weekdays, seasons and dated outputs
    # an ensemble file (CSV of draws or YAML of means and standard errors) or {ensemble: path, per_draw: 2};
    # null: parameters as configured (journeysim.study.uncertainty)
    parameter_uncertainty: Optional[Any] = None


@dataclass
class OutputsSchema:
    """Optional outputs of a run: the HTML report (with its PNG charts) and the bottleneck table. The data files
    (metrics.json, samples.parquet, funnel.csv, timeseries.parquet, config.yaml, status.json) are always written."""

    report: bool = True
    bottlenecks: bool = True
    tables: Optional[bool] = None  # console: the full tables (null: in a single run; one line per sweep job)
    touches: bool = False  # the touch log and customer paths (touches.parquet, paths.csv; docs/attribution.md)
    touch_sample: float = 1.0  # share of customers whose touches are logged (sampled by customer)


@dataclass
class JourneysimSchema:
    """The primary config: a scenario name plus one node per group (experiments write into these nodes).

    The intervention groups (channels, strategy, word_of_mouth) are typed as free mappings here: their model
    (`journeysim.interventions`) checks every key itself, with a "did you mean" for misspellings.
    `baseline` and `baseline_channels` choose the run's counterfactual (see `journeysim.config.baseline`);
    `objective` the number a job returns to an optimising sweeper (see `journeysim.config.objective`).
    """

    name: str = "${journey.name}-${population.name}"
    journey: JourneySchema = field(default_factory=JourneySchema)
    population: PopulationSchema = field(default_factory=PopulationSchema)
    sim: SimSchema = field(default_factory=SimSchema)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    strategy: dict[str, Any] = field(default_factory=dict)
    word_of_mouth: dict[str, Any] = field(default_factory=dict)
    baseline: Optional[str] = "auto"  # auto (no spend, when the strategy spends), null (off), or a strategy preset
    baseline_channels: bool = False  # also each channel's removal effect and marginal ROAS
    objective: Optional[str] = None  # the metric whose mean a job returns to its sweeper (e.g. profit), or null
    outputs: OutputsSchema = field(default_factory=OutputsSchema)  # report.html and bottlenecks.csv on or off


#: ConfigStore name -> schema; group configs refer to these names in their defaults lists.
SCHEMAS: dict[str, Any] = {
    "journeysim_schema": JourneysimSchema,
    "journey_schema": JourneySchema,
    "population_schema": PopulationSchema,
    "sim_schema": SimSchema,
}

#: The groups a user picks from (and which schema node each one fills).
GROUPS: dict[str, type] = {"journey": JourneySchema, "population": PopulationSchema, "sim": SimSchema}


def register_schemas() -> None:
    """Store every schema in Hydra's ConfigStore (idempotent; safe to call more than once)."""
    cs = ConfigStore.instance()
    for name, node in SCHEMAS.items():
        cs.store(name=name, node=node, provider="journeysim")
