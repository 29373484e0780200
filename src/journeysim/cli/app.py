"""The `journeysim` console script: verbs first, then the Hydra app on the shipped configs.

Verbs: `check` (dry run, through Hydra), `collect DIR` (sweep table), `resume DIR` (finish an interrupted sweep),
`compare PATH...` (paired statistics), `bottlenecks` (analytic sensitivity), `calibrate` (fit rates to data) and
`export RUN_DIR` (media-mix tables with ground truth);
anything else is a run or, with `-m`, a sweep. Configs are found in the installed package (`journeysim/conf`) or,
for a source checkout, in the repository's top-level `conf/`. Bad input exits with status 2 (see
`journeysim.cli.state`); a sweep with failed jobs exits with 1 after writing its table.
"""

from __future__ import annotations

import gc
import os
import platform
import sys

import hydra
from omegaconf import DictConfig

from journeysim import __version__
from journeysim.cli.preflight import config_dirs, override_syntax_problems, yaml_problems
from journeysim.cli.report import exit_bad_input, invalid_config_text
from journeysim.cli.state import EXIT_BAD_INPUT, STATE
from journeysim.cli.suggest import override_problems
from journeysim.config import register_schemas, shipped_config_dir

#: Makes sure the validation callback is registered for `check`, whatever primary config is used.
CHECK_CALLBACK = "++hydra.callbacks.journeysim_validate._target_=journeysim.cli.callbacks.ValidateBeforeRun"

register_schemas()


@hydra.main(version_base="1.3", config_path=str(shipped_config_dir()), config_name="config")
def hydra_app(cfg: DictConfig) -> float | dict[str, float]:
    """Hydra's entry point: one run, or one job of a sweep."""
    from journeysim.cli.task import run_job  # the engine and metrics load only when something runs

    return run_job(cfg)


def _verb(name: str, args: list[str]) -> None:
    """Run a verb that does not go through Hydra's app (its module loads only when used)."""
    if name == "collect":
        from journeysim.cli.collect import main as verb
    elif name == "compare":
        from journeysim.cli.compare import main as verb
    elif name == "resume":  # resume launches the sweep again through this app's `main`
        from journeysim.cli.resume import main as resume

        return resume(args, launch=main)
    elif name == "calibrate":
        from journeysim.cli.calibrate import main as verb
    elif name == "fit-btyd":
        from journeysim.cli.fit_btyd import main as verb
    elif name == "attribute":
        from journeysim.cli.attribute import main as verb
    elif name == "export":
        from journeysim.cli.export import main as verb
    elif name == "optimize":
        from journeysim.cli.optimize import main as verb
    else:
        from journeysim.cli.bottlenecks import main as verb
    verb(args)


#: Verbs handled outside Hydra's app.
VERBS = (
    "collect",
    "compare",
    "bottlenecks",
    "resume",
    "calibrate",
    "fit-btyd",
    "attribute",
    "export",
    "optimize",
)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: dispatch verbs, run the Hydra app, map Hydra's bad-input exit (1) to 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    STATE.check_only, STATE.started, STATE.sweep_problem, STATE.sweep_jobs = False, False, None, None
    STATE.check_full = False
    if "--version" in args:  # journeysim's version, not Hydra's (Hydra's flag would print only its own)
        print(f"journeysim {__version__} (Hydra {hydra.__version__}, Python {platform.python_version()})")
        return
    if args[:1] and args[0] in VERBS:
        problems = yaml_problems(config_dirs(args[1:]))
        if problems:
            exit_bad_input([invalid_config_text(problems)])
        _verb(args[0], args[1:])
        return
    if args[:1] == ["check"]:
        STATE.check_only, STATE.check_full = True, "--full" in args
        args = [*(a for a in args[1:] if a != "--full"), CHECK_CALLBACK]
    problems = yaml_problems(config_dirs(args)) + override_syntax_problems(args)
    problems = problems or override_problems(args)  # journeysim's own did-you-mean before Hydra's advice
    if problems:
        exit_bad_input([invalid_config_text(problems)])
    sys.argv = [sys.argv[0] or "journeysim", *args]
    try:
        hydra_app()
        if STATE.sweep_problem:  # the sweep went on and wrote its table; tell scripts that not every job succeeded
            sys.stderr.write(f"journeysim: {STATE.sweep_problem}\n")
            raise SystemExit(1)
    except SystemExit as exc:
        # Hydra exits with 1 when composing the config fails, before any job starts: that is bad input.
        if exc.code == 1 and not STATE.started:
            raise SystemExit(EXIT_BAD_INPUT) from None
        raise
    except BrokenPipeError:  # e.g. `journeysim --help | head`: stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    finally:
        # What is left is garbage for the interpreter's exit, whose collections would walk every object a sweep
        # made (~700k after 200 jobs: 1.7 s); frozen, they are skipped (logging still flushes in its atexit hook).
        gc.freeze()


if __name__ == "__main__":
    main()
