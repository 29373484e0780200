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
        Row("export of no run", ("export", "no/such/run"), "RUN_DIR"),
        Row("export period", ("export", "no/such/run", "--period", "month"), "--period"),
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
        Row(
            "pacing option",
            (*TINY, "strategy=balanced", "strategy.pacing={kind: pulsing, lowe: 0.2}"),
            "strategy.pacing.lowe",
        ),
        Row(
            "pacing seed",
            (*TINY, "strategy=balanced", "strategy.pacing={kind: random, seed: -3}"),
            "strategy.pacing.seed",
        ),
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


def _start() -> list[Row]:
    """Plans that start from today: snapshot files, start dates and earlier runs (files under ../conf/)."""
    snap = "population.snapshot=../conf/funnel.csv"
    bad_csv = {
        "unknown stage": ("stage,count\nawarenes,10\n", "awarenes"),
        "unknown segment": ("segment,stage,count\nbusiness,awareness,10\n", "business"),
        "negative count": ("stage,count\nawareness,-3\n", "-3"),
        "fractional count": ("stage,count\nawareness,2.5\n", "2.5"),
        "text count": ("stage,count\nawareness,many\n", "many"),
        "huge count": ("stage,count\nawareness,1e20\n", "1e20"),
        "no count column": ("stage,n\nawareness,3\n", "count"),
        "repeated row": ("stage,count\nawareness,3\nawareness,4\n", "twice"),
        "empty file": ("", "population.snapshot"),
    }
    rows = [Row(f"snapshot {k}", (*TINY, snap), t, {"funnel.csv": text}) for k, (text, t) in bad_csv.items()]
    rows += [
        Row("snapshot no file", (*TINY, "population.snapshot=no/such.csv"), "population.snapshot"),
        Row("snapshot segment column", ("population=mixed", *TINY, snap), "segment", {"funnel.csv": "stage,count\n"}),
        Row(
            "snapshot and from_run",
            (*TINY, snap, "population.from_run=../conf"),
            "population.from_run=null",
            {"funnel.csv": "stage,count\nawareness,3\n"},
        ),
        Row("from_run no dir", (*TINY, "population.from_run=no/such/run"), "population.from_run"),
        Row("from_run no config", (*TINY, "population.from_run=../conf"), "config.yaml", {"x.txt": "x\n"}),
        Row(
            "from_run bad config",
            (*TINY, "population.from_run=../conf/earlier"),
            "population.from_run",
            {"earlier/config.yaml": "sim: {horizon_days: -1}\n"},
        ),
    ]
    for value in ("2027-13-01", "tomorrow", "2027-02-30", "42", "2027-01-04T10:00"):
        rows.append(Row(f"sim.start_date={value}", (*TINY, f"sim.start_date={value}"), "sim.start_date"))
    return rows


def _customers() -> list[Row]:
    """Issue 12: per-customer effects and the satisfaction hand-off."""
    het = "population.segments.consumers.heterogeneity"
    sat = ("journey=buyer_to_customer", "journey.satisfaction.enabled=true")
    return [
        Row("gamma shape 0", (*TINY, f"+{het}.f={{kind: gamma, shape: 0, stages: [loyalty]}}"), f"{het}.f.shape"),
        Row("sigma -1", (*TINY, f"+{het}.f={{kind: lognormal, sigma: -1, stages: [loyalty]}}"), f"{het}.f.sigma"),
        Row(
            "effect on a missing transition",
            (*TINY, f"+{het}.f={{kind: gamma, shape: 1, transitions: {{awareness: [loyalty]}}}}"),
            f"{het}.f.transitions.awareness",
        ),
        Row("satisfaction sd 0", (*TINY, *sat, "journey.satisfaction.sd=0"), "journey.satisfaction.sd"),
        Row(
            "satisfaction before the purchase",
            (*TINY, *sat, "+journey.satisfaction.transitions.decision={purchase: 0.5}"),
            "journey.satisfaction.transitions.decision",
        ),
        Row(
            "satisfaction on a missing transition",
            (*TINY, *sat, "+journey.satisfaction.transitions.retention.loyalty=0.5"),
            "journey.satisfaction.transitions.retention.loyalty",
        ),
        Row("promise not a number", (*TINY, *sat, "+strategy.promise=lots"), "strategy.promise"),
    ]


def _ensembles() -> list[Row]:
    """sim.parameter_uncertainty: the file is written to the config dir, one level up from the run's cwd."""
    key = "journey.rates.awareness.interest"
    pu = "sim.parameter_uncertainty"

    def row(name: str, text: str, setting: str, *extra: str, file: str = "e.csv") -> Row:
        args = ("journey=marketing_funnel", *TINY, f"{pu}=../conf/{file}", *extra)
        return Row(f"{pu} {name}", args, setting, {file: text})

    return [
        Row(f"{pu} missing file", ("journey=marketing_funnel", *TINY, f"{pu}=no/such.csv"), pu),
        row("unknown key", "draw,journey.rates.awareness.intrest\n0,0.02\n1,0.03\n", "journey.rates.awareness.intrest"),
        row("negative rate", f"draw,{key}\n0,-0.02\n1,0.03\n", key),
        row("zero rate", f"draw,{key}\n0,0\n1,0.03\n", key),
        row("not a number", f"draw,{key}\n0,abc\n1,0.03\n", key),
        row("too few draws", f"draw,{key}\n0,0.02\n", pu, "sim.replications=4"),
        Row(
            f"{pu} per_draw 0",
            ("journey=marketing_funnel", *TINY, f"{pu}={{ensemble:../conf/e.csv,per_draw:0}}"),
            f"{pu}.per_draw",
            {"e.csv": f"draw,{key}\n0,0.02\n"},
        ),
        row("yaml negative se", f"parameters:\n  {key}: {{mean: 0.02, se: -1}}\n", key, file="e.yaml"),
        row("yaml no parameters", "draws: 10\n", pu, file="e.yaml"),
        row("wrong suffix", "x", pu, file="e.txt"),
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


ROWS: list[Row] = _rates() + _settings() + _misc() + _files() + _start() + _customers() + _ensembles() + _calibrate()
