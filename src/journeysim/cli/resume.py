"""`journeysim resume DIR`: run an interrupted sweep again, into the same directory, completing only what is missing.

The sweep's own record (Hydra's `multirun.yaml` in DIR) gives its overrides, primary config and `--config-dir`;
the sweep is launched again with `hydra.sweep.dir=DIR`. Jobs whose completed result is there are kept, not rerun
(`journeysim.io.resume`); unfinished, failed, interrupted or never-started jobs run. Extra arguments are appended
(e.g. `hydra/launcher=parallel` to finish on more cores); anything that changes a job's config is refused, since a
completed result is never overwritten.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from journeysim.cli.report import exit_bad_input, exit_verb_problem, invalid_config_text
from journeysim.config.trust import load_user_yaml, override_problems
from journeysim.io.atomic import remove_stale_temporaries
from journeysim.io.resume import kept_records, restore_records
from journeysim.io.sweep import MULTIRUN_FILE

#: Hydra overrides that a resumed sweep sets itself (the directory) or that Hydra sets on its own.
_DROPPED = ("hydra.sweep.dir=", "hydra.mode=")


def _bad(problem: str, fix: str) -> NoReturn:
    exit_verb_problem("journeysim resume: nothing was run.", "DIR", problem, fix)


def resume_arguments(record: Any, sweep_dir: str | Path, extra: Sequence[str] = ()) -> list[str]:
    """The command-line arguments that launch the sweep recorded in `record` (multirun.yaml) again into
    `sweep_dir`: `-m`, its task overrides, its own Hydra overrides, the directory, its config name and config dir."""
    hydra = record.hydra
    args = ["-m", *[str(o) for o in hydra.overrides.task]]
    args += [str(o) for o in hydra.overrides.hydra if not str(o).startswith(_DROPPED)]
    args.append(f"hydra.sweep.dir={sweep_dir}")
    args += [str(e) for e in extra]
    name = OmegaConf.select(hydra, "job.config_name", default="config")
    if name and name != "config":
        args += ["--config-name", str(name)]
    for source in OmegaConf.select(hydra, "runtime.config_sources", default=[]) or []:
        if source.get("provider") == "command-line" and source.get("schema") == "file":
            args += ["--config-dir", str(source.get("path"))]
    return args


def parser() -> argparse.ArgumentParser:
    """The `resume` verb's command line."""
    p = argparse.ArgumentParser(
        prog="journeysim resume",
        description="Run an interrupted sweep again into its directory: completed jobs are kept, the rest run.",
    )
    p.add_argument("sweep_dir", metavar="DIR", help="the sweep directory (multirun/<date>/<time>)")
    p.add_argument("extra", nargs="*", metavar="OVERRIDE", help="more arguments, e.g. hydra/launcher=parallel")
    return p


def main(argv: Sequence[str], launch: Callable[[list[str]], None]) -> None:
    """The `resume` verb: rebuild the sweep's command line from its multirun.yaml and `launch` it again (the
    console script's entry point, passed in by `journeysim.cli.app`)."""
    args = parser().parse_args(list(argv))
    sweep_dir = Path(args.sweep_dir)
    record_file = sweep_dir / MULTIRUN_FILE
    if not record_file.is_file():
        _bad(
            f"'{sweep_dir}' holds no {MULTIRUN_FILE}, so it is not a sweep journeysim can resume",
            "give the directory of a `journeysim -m` sweep (Hydra's basic sweeper writes multirun.yaml first)",
        )
    try:
        doc = load_user_yaml(record_file)  # bounded and UTF-8: the file may come from someone else
        if not isinstance(doc, dict):
            raise TypeError("it is not a mapping")
        record = OmegaConf.create(doc)
        replayed = [str(o) for o in [*record.hydra.overrides.task, *record.hydra.overrides.hydra]]
        arguments = resume_arguments(record, sweep_dir, args.extra)
    except (
        OSError,
        UnicodeError,
        ValueError,
        yaml.YAMLError,
        OmegaConfBaseException,
        AttributeError,
        TypeError,
    ) as exc:
        _bad(f"cannot read {record_file}: {exc}", "give the directory of a `journeysim -m` sweep")
    hooks = override_problems(replayed, str(record_file))
    if hooks:
        exit_bad_input([invalid_config_text(hooks)])
    removed = remove_stale_temporaries(sweep_dir)
    if removed:
        sys.stderr.write(f"journeysim resume: removed {removed} temporary files of writes that were killed\n")

    sys.stderr.write(f"journeysim resume: journeysim {' '.join(arguments)}\n")
    kept = kept_records(sweep_dir)  # Hydra's launcher rewrites every job's .hydra/ and log: put kept jobs' back
    try:
        launch(arguments)
    finally:
        restore_records(kept)
