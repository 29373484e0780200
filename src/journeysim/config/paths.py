"""Where the shipped configs live: `journeysim/conf` in an installed wheel, `<repo>/conf` in a source checkout."""

from __future__ import annotations

from pathlib import Path

import journeysim

_PACKAGE_DIR = Path(journeysim.__file__).resolve().parent


def shipped_config_dir() -> Path:
    """Absolute path of the shipped config directory (the one holding `config.yaml`).

    A built wheel carries the configs inside the package (`journeysim/conf`, see pyproject's force-include);
    an editable install imports the package from `src/`, so fall back to the repository's top-level `conf/`.
    """
    candidates = (_PACKAGE_DIR / "conf", _PACKAGE_DIR.parent.parent / "conf")
    for path in candidates:
        if (path / "config.yaml").is_file():
            return path
    raise FileNotFoundError(
        "journeysim's configs were not found in "
        + " or ".join(str(p) for p in candidates)
        + "; reinstall the package (pip install journeysim) or run from a source checkout"
    )
