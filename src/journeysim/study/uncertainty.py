"""`sim.parameter_uncertainty`: read or sample a parameter ensemble, and give each replication its parameter set.

Two file forms (formats: docs/comparison.md, "Parameter uncertainty"):
- a CSV of draws: a `draw` column (optional) and one column per dotted scenario key (`journey.rates.a.b`, keys of
  `journeysim.study.keys.value_at`), one row per parameter set, natural scale (what calibration's bootstrap writes);
- a YAML of estimates: `draws: N` and `parameters: {key: {mean: m, se: s}}` (positive rates normal on the log
  scale with sd s / m, other keys normal), or `mean: {key: m}` with `covariance: [[...]]` (natural scale; the
  delta method moves positive rates to the log scale). N sets are sampled from a dedicated seed stream.
Replication r uses draw `order[r // per_draw]`, `order` a permutation of the draws from a stream of its own, so
every plan run with the same seed and replications sees the same parameters in the same replication (paired).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray

from journeysim.errors import ConfigError, check_keys
from journeysim.model.scenario import Scenario
from journeysim.model.uncertainty import SETTING, ParameterUncertainty, must_be_positive
from journeysim.study.keys import apply, value_at

#: The spawn key of the parameter stream under the run's root seed: replication r's stream has spawn key (r,), so
#: this one is never a replication's (runs have far fewer replications); its children: 0 picks, 1 samples draws.
PARAMETER_STREAM = 0x5041524D
DRAW = "parameter_draw"
#: Samples columns holding a replication's parameter values are this prefix + the dotted key.
PREFIX = "parameter:"
DEFAULT_PER_DRAW = 2


class EnsembleProblems(ConfigError):
    """Every problem found in an ensemble at once (`errors`), so the user fixes them in one go."""

    def __init__(self, errors: Sequence[ConfigError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.setting, first.problem, first.fix)


def _raise_all(errors: Sequence[ConfigError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise EnsembleProblems(errors)


def _value_problems(keys: Sequence[str], values: NDArray[np.float64], source: str) -> list[ConfigError]:
    """Per key, its first draw that is not finite, or not > 0 where the key is a rate."""
    out = []
    for k, key in enumerate(keys):
        column = values[:, k]
        bad = ~np.isfinite(column) | ((column <= 0) if must_be_positive(key) else False)
        if bad.any():
            d = int(np.flatnonzero(bad)[0])
            what = "not a positive rate" if np.isfinite(column[d]) else "not a finite number"
            fix = "give rates > 0 in every draw" if must_be_positive(key) else "give finite numbers in every draw"
            out.append(ConfigError(key, f"draw {d} of {source} is {column[d]:g}, {what}", fix))
    return out


def parameter_streams(seed: int) -> list[np.random.SeedSequence]:
    """[pick, sample]: the streams that choose each replication's draw and sample a YAML ensemble."""
    return np.random.SeedSequence(int(seed), spawn_key=(PARAMETER_STREAM,)).spawn(2)


def _read_csv(path: Path) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ConfigError(SETTING, f"cannot read '{path}': {exc}".splitlines()[0], "give a CSV of draws") from None
    frame = frame.drop(columns=[c for c in frame.columns if str(c) == "draw"])
    errors = []
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            errors.append(
                ConfigError(str(col), f"row {row} of '{path}' is not a number", "give a number in every cell")
            )
    _raise_all(errors)
    return tuple(str(c) for c in frame.columns), frame.to_numpy(dtype=float)


def _estimate(key: str, spec: Any) -> tuple[float, float]:
    if not isinstance(spec, Mapping):
        raise ConfigError(key, f"{spec!r} is not a mapping", "give {mean: <value>, se: <standard error>}")
    check_keys(key, spec, ("mean", "se"))
    try:
        mean, se = float(spec["mean"]), float(spec["se"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(key, "needs a numeric mean and se", "give {mean: <value>, se: <standard error>}") from None
    if not (math.isfinite(mean) and math.isfinite(se)) or se < 0:
        raise ConfigError(key, f"mean {mean!r}, se {se!r}", "give a finite mean and a standard error >= 0")
    if must_be_positive(key) and mean <= 0:
        raise ConfigError(key, f"mean {mean:g} is not a positive rate", "give rates > 0")
    return mean, se


def _estimates(doc: Mapping[str, Any]) -> tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]:
    """(keys, means, covariance) of a YAML ensemble, natural scale."""
    if "parameters" in doc:
        params = doc["parameters"]
        if not isinstance(params, Mapping) or not params:
            raise ConfigError(f"{SETTING}.parameters", "is empty or not a mapping", "give {key: {mean: m, se: s}}")
        est = [_estimate(str(k), v) for k, v in params.items()]
        keys = tuple(str(k) for k in params)
        return keys, np.array([m for m, _ in est]), np.diag([s**2 for _, s in est])
    means = doc.get("mean")
    if not isinstance(means, Mapping) or not means or "covariance" not in doc:
        raise ConfigError(SETTING, "a YAML ensemble needs 'parameters' (or 'mean' and 'covariance')", _YAML_FIX)
    keys = tuple(str(k) for k in means)
    mu = np.array([float(v) for v in means.values()])
    cov = np.array(doc["covariance"], dtype=float)
    if cov.shape != (len(keys), len(keys)) or not np.all(np.isfinite(cov)) or not np.allclose(cov, cov.T):
        raise ConfigError(f"{SETTING}.covariance", f"is not a symmetric {len(keys)}x{len(keys)} matrix", _YAML_FIX)
    if np.linalg.eigvalsh(cov).min() < -1e-12 * max(1.0, float(np.abs(cov).max())):
        raise ConfigError(f"{SETTING}.covariance", "is not positive semi-definite", "give a valid covariance")
    for k, m in zip(keys, mu, strict=True):
        if must_be_positive(k) and m <= 0:
            raise ConfigError(k, f"mean {m:g} is not a positive rate", "give rates > 0")
    return keys, mu, cov


_YAML_FIX = "give draws: N and parameters: {<dotted key>: {mean: m, se: s}} (or mean: {...} and covariance)"


def sample_estimates(
    keys: Sequence[str], mean: NDArray[np.float64], cov: NDArray[np.float64], draws: int, seed: np.random.SeedSequence
) -> NDArray[np.float64]:
    """`draws` parameter sets from estimates: positive rates lognormal (log-scale mean log m, covariance by the delta
    method cov_ij / (m_i m_j)), other keys normal; rows are draws, columns `keys`."""
    log = np.array([must_be_positive(k) for k in keys])
    centre = np.where(log, np.log(np.where(log, mean, 1.0)), mean)
    scale = np.where(log, 1.0 / np.where(log, mean, 1.0), 1.0)
    z = np.random.default_rng(seed).multivariate_normal(centre, cov * np.outer(scale, scale), size=draws)
    return np.where(log, np.exp(z), z)


def _read_yaml(path: Path, seed: int) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(SETTING, f"cannot read '{path}': {exc}".splitlines()[0], _YAML_FIX) from None
    if not isinstance(doc, Mapping):
        raise ConfigError(SETTING, f"'{path}' is not a mapping", _YAML_FIX)
    check_keys(SETTING, doc, ("draws", "parameters", "mean", "covariance"))
    draws = doc.get("draws", 1000)
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
        raise ConfigError(f"{SETTING}.draws", f"{draws!r} is not a whole number >= 1", "give e.g. draws: 1000")
    keys, mean, cov = _estimates(doc)
    return keys, sample_estimates(keys, mean, cov, draws, parameter_streams(seed)[1])


def _find(path: Path, search: Sequence[Path]) -> Path:
    """`path` itself, else (a relative one) the first directory of `search` that holds it."""
    if path.is_file() or path.is_absolute():
        return path
    return next((d / path for d in search if (d / path).is_file()), path)


def load_ensemble(
    spec: Any, seed: int = 0, search: Sequence[Path] = (), base: Scenario | None = None
) -> ParameterUncertainty:
    """The ensemble a `sim.parameter_uncertainty` value names: a path (`.csv` draws, `.yaml`/`.yml` estimates)
    or `{ensemble: path, per_draw: n}`; a relative path is looked up in the working directory, then in `search`
    (the CLI passes journeysim's shipped config directory, which holds example ensembles). With `base`, keys it
    does not have are reported together with bad values (`EnsembleProblems`)."""
    if isinstance(spec, ParameterUncertainty):
        return spec
    per_draw: Any = DEFAULT_PER_DRAW
    if isinstance(spec, Mapping):
        check_keys(SETTING, spec, ("ensemble", "per_draw"))
        per_draw = spec.get("per_draw", DEFAULT_PER_DRAW)
        spec = spec.get("ensemble")
    if not isinstance(spec, (str, Path)) or not str(spec):
        raise ConfigError(SETTING, f"{spec!r} is not a file", "give a path: sim.parameter_uncertainty=draws.csv")
    path = _find(Path(spec), search)
    if not path.is_file():
        raise ConfigError(SETTING, f"'{path}' not found (from {Path.cwd()})", "give the path of an ensemble file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise ConfigError(SETTING, f"'{path}' is neither .csv nor .yaml", "give a CSV of draws or a YAML of estimates")
    keys, values = _read_csv(path) if suffix == ".csv" else _read_yaml(path, seed)
    _raise_all((key_problems(base, keys) if base is not None else []) + _value_problems(keys, values, f"'{path}'"))
    rows = tuple(tuple(float(v) for v in row) for row in values)
    return ParameterUncertainty(keys, rows, per_draw=per_draw, source=str(path))


def draw_order(scenario: Scenario) -> NDArray[np.int64] | None:
    """Each replication's draw index (None without parameter uncertainty); a `ConfigError` when the ensemble has
    fewer draws than the replications use."""
    pu = scenario.settings.parameter_uncertainty
    if pu is None:
        return None
    reps = scenario.settings.replications
    need = pu.slots(reps)
    if pu.draws < need:
        raise ConfigError(
            SETTING,
            f"the ensemble has {pu.draws} draws but {reps} replications at {pu.per_draw} per draw use {need}",
            f"give an ensemble of {need} or more draws, or sim.replications={pu.draws * pu.per_draw} or fewer",
        )
    order = np.random.default_rng(parameter_streams(scenario.settings.seed)[0]).permutation(pu.draws)[:need]
    return np.repeat(order, pu.per_draw)[:reps].astype(np.int64)


def draw_values(scenario: Scenario, draw: int) -> dict[str, float]:
    """Draw `draw`'s parameter set as {dotted key: value}."""
    pu = scenario.settings.parameter_uncertainty
    assert pu is not None
    return dict(zip(pu.keys, pu.values[draw], strict=True))


class ReplicationScenarios:
    """The scenario each replication simulates: the base with its draw's parameters applied (built once per draw)."""

    def __init__(self, scenario: Scenario) -> None:
        self.base = scenario
        self.order = draw_order(scenario)
        self._built: dict[int, Scenario] = {}

    def __call__(self, replication: int) -> Scenario:
        if self.order is None:
            return self.base
        d = int(self.order[replication])
        if d not in self._built:
            self._built[d] = apply(self.base, draw_values(self.base, d))
        return self._built[d]

    def table(self) -> pd.DataFrame | None:
        """One row per replication: the draw index (`parameter_draw`) and `parameter:<key>` values; None when off."""
        pu = self.base.settings.parameter_uncertainty
        if self.order is None or pu is None:
            return None
        values = np.array(pu.values, dtype=float)[self.order]
        frame = pd.DataFrame({DRAW: self.order})
        for k, key in enumerate(pu.keys):
            frame[PREFIX + key] = values[:, k]
        frame.index.name = "replication"
        return frame


def _check_key(scenario: Scenario, key: str) -> None:
    """`key` must name a number of the scenario (`value_at` raises a did-you-mean `ConfigError` when it is none)."""
    current = value_at(scenario, key)
    if isinstance(current, bool) or not isinstance(current, (int, float, np.number)):
        raise ConfigError(key, f"is {type(current).__name__}, not a number", "give keys of numeric settings")
    if must_be_positive(key) and float(current) <= 0:
        raise ConfigError(key, "is not a rate of the journey (it is 0 here)", "give transitions the journey has")


def key_problems(scenario: Scenario, keys: Sequence[str]) -> list[ConfigError]:
    """One error per key that is not a numeric setting of `scenario` (with a did-you-mean)."""
    errors = []
    for key in keys:
        try:
            _check_key(scenario, key)
        except ConfigError as exc:
            errors.append(exc)
    return errors


def check_ensemble(scenario: Scenario) -> None:
    """Refuse what cannot run before anything does: unknown or non-numeric keys, too few draws, a draw the
    scenario refuses (every draw a replication uses is applied once)."""
    pu = scenario.settings.parameter_uncertainty
    if pu is None:
        return
    _raise_all(key_problems(scenario, pu.keys))
    scenarios = ReplicationScenarios(scenario)
    for r in range(scenario.settings.replications):
        scenarios(r)


def scenario_with_ensemble(data: Mapping[str, Any], search: Sequence[Path] = ()) -> Scenario:
    """`Scenario.from_dict` of a config whose `sim.parameter_uncertainty` may be a file or `{ensemble, per_draw}`:
    the ensemble is loaded (YAML estimates sampled from the run's seed) and checked against the scenario."""
    sim = dict(data.get("sim") or {})
    spec = sim.pop("parameter_uncertainty", None)
    scenario = Scenario.from_dict({**data, "sim": sim})
    if spec is None:
        return scenario
    ensemble = load_ensemble(spec, scenario.settings.seed, search, base=scenario)
    settings = dataclasses.replace(scenario.settings, parameter_uncertainty=ensemble)
    scenario = dataclasses.replace(scenario, settings=settings)
    check_ensemble(scenario)
    return scenario
