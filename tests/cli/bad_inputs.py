"""The catalogue of bad input: every row must exit 2, name its setting, print no traceback and leave nothing.

Every bad-input bug found adds a row. A row is (id, arguments, a fragment the message must contain, files of a
`--config-dir`): when files are given they are written to a fresh directory passed as `--config-dir`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    """One bad invocation of `journeysim` and the setting its message must name."""

    id: str
    args: tuple[str, ...]
    setting: str
    files: dict[str, str] = field(default_factory=dict)


TINY = ("population.scale=0.01", "sim=quick")
FUNNEL_RATES = {
    "awareness": ("interest", "lost"),
    "interest": ("consideration", "lost"),
    "consideration": ("intent", "lost"),
    "intent": ("conversion", "lost"),
    "conversion": ("loyalty", "lost"),
    "loyalty": ("conversion", "advocacy", "lost"),
    "advocacy": ("conversion", "lost"),
}
BAD_RATES = ("-1", "nan", "inf", "-inf", "lots", "1e16", "1e308")


def _rates() -> list[Row]:
    rows = []
    for src, dsts in FUNNEL_RATES.items():
        for dst in dsts:
            for value in BAD_RATES:
                key = f"journey.rates.{src}.{dst}"
                rows.append(Row(f"{key}={value}", ("journey=marketing_funnel", *TINY, f"{key}={value}"), key))
    return rows


def _settings() -> list[Row]:
    cases = [
        ("sim.horizon_days", ("abc", "-5", "0", "1.5", "1000000000")),
        ("sim.replications", ("abc", "0", "-1", "1000000000")),
        ("sim.seed", ("abc", "-2", "1.5")),
        ("sim.engine", ("warp",)),
        ("sim.event_log", ("maybe",)),
        ("sim.discount_rate_annual", ("abc", "nan", "-5")),
        ("population.scale", ("0", "-1", "nan", "inf", "abc", "1e7")),
    ]
    rows = []
    for key, values in cases:
        for value in values:
            args = (*TINY, f"{key}={value}") if key != "population.scale" else ("sim=quick", f"{key}={value}")
            rows.append(Row(f"{key}={value}", args, key.split(".")[-1]))
    return rows


def _misc() -> list[Row]:
    return [
        Row("unknown option", ("journey=nope",), "journey/nope"),
        Row("unknown key", (*TINY, "sim.horizn=5"), "horizn"),
        Row("forced unknown key", (*TINY, "+sim.horizn=5"), "sim.horizn"),
        Row("forced unknown top key", (*TINY, "+budgte=5"), "budgte"),
        Row("unknown stage", (*TINY, "journey=marketing_funnel", "+journey.rates.awareness.purchse=0.1"), "purchse"),
        Row("override syntax", (*TINY, "sim.seed=["), "sim.seed"),
        Row("sweep without -m", (*TINY, "sim.seed=1,2"), "sim.seed"),
        Row("missing config dir", ("--config-dir", "no/such/dir", *TINY), "no/such/dir"),
        Row("unknown baseline", (*TINY, "strategy=balanced", "baseline=balnced"), "baseline"),
        Row("unknown objective", (*TINY, "objective=proft"), "objective"),
        Row("iroas without baseline", (*TINY, "objective=iroas", "baseline=null"), "objective"),
        Row("bad sweep job", ("-m", *TINY, "sim.seed=1,-2"), "sim.seed"),
        Row("check bad", ("check", "+sim.horizn=5"), "sim.horizn"),
        Row("env interpolation", (*TINY, "sim.horizon_days=${oc.env:HOME}"), "sim.horizon_days"),
        Row("unset env", (*TINY, "sim.horizon_days=${oc.env:JOURNEYSIM_UNSET_VAR}"), "sim.horizon_days"),
        Row("unknown resolver", (*TINY, "sim.seed=${nosuch:1}"), "sim.seed"),
        Row("self reference", (*TINY, "sim.seed=${sim.seed}"), "sim.seed"),
        Row("sweep self reference", ("-m", *TINY, "sim.seed=${sim.seed}"), "sim.seed"),
        Row("initial 1e12", ("population.segments.consumers.initial.awareness=1000000000000",), "population.scale"),
        Row("arrivals 1e12", ("population.segments.consumers.arrivals_per_day=1e12",), "arrivals_per_day"),
        Row("budget 1e300", (*TINY, "strategy=balanced", "strategy.budget=1e300"), "strategy.budget"),
        Row("multiplier 1e200", (*TINY, "population.segments.consumers.rate_multiplier=1e200"), "rate_multiplier"),
        Row(
            "cycle 1e12",
            (
                "journey=marketing_funnel",
                "journey.rates.loyalty.conversion=1e12",
                "journey.rates.conversion.loyalty=1e12",
            ),
            "journey.rates",
        ),
    ]


def _bomb() -> str:
    lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    return "\n".join(lines) + "\n"


def _files() -> list[Row]:
    evil = "# @package _global_\nhydra:\n  callbacks:\n    x:\n      _target_: os.getcwd\n"
    return [
        Row(
            "yaml syntax", (*TINY, "journey=broken"), "broken.yaml", {"journey/broken.yaml": "rates:\n  a: {b: ???}\n"}
        ),
        Row("alias bomb", (*TINY, "journey=bomb"), "bomb.yaml", {"journey/bomb.yaml": _bomb()}),
        Row("callbacks", (*TINY, "+experiment=evil"), "hydra.callbacks", {"experiment/evil.yaml": evil}),
        Row("target", TINY, "_target_", {"strategy/evil.yaml": "budget: {_target_: os.getcwd}\n"}),
        Row("launcher", TINY, "hydra/launcher", {"hydra/launcher/evil.yaml": "_target_: os.getcwd\n"}),
        Row("logging", TINY, "hydra/job_logging", {"hydra/job_logging/x.yaml": "handlers: {h: {'()': os.getcwd}}\n"}),
        Row("searchpath", TINY, "searchpath", {"experiment/p.yaml": "# @package _global_\nhydra: {searchpath: [x]}\n"}),
        Row("non-utf8", TINY, "x.yaml", {"journey/x.yaml": "name: \udcff\n"}),
    ]


def _calibrate() -> list[Row]:
    """`journeysim calibrate` from aggregate data (counts, quotes, spend): files that are not there, bad settings.
    Bad file contents are in tests/cli/test_cli_calibrate_counts.py."""
    funnel = ("--journey", "marketing_funnel")
    return [
        Row("calibrate --counts missing", ("calibrate", "--counts", "no.csv", *funnel), "--counts"),
        Row("calibrate --counts --draws 1", ("calibrate", "--counts", "no.csv", *funnel, "--draws", "1"), "--draws"),
        Row("calibrate --quoted missing", ("calibrate", "--quoted", "no.csv", *funnel), "--quoted"),
        Row("calibrate --spend missing", ("calibrate", "--spend", "no.csv", "--outcomes", "no.csv"), "--spend"),
    ]


ROWS: list[Row] = _rates() + _settings() + _misc() + _files() + _calibrate()
