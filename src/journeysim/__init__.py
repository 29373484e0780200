"""journeysim: simulate customer journeys as Markov processes and project marketing strategies before spending.

`import journeysim as js` gives the notebook API (`js.run`, `js.run_study`, `js.run_grid`, `js.load_scenario`,
`js.load_config`) and the model classes; the Hydra-based loaders are imported only when first used, so engine users
never load Hydra.
"""

from __future__ import annotations

from typing import Any

from journeysim.model import Dwell, Journey, OrderValue, Population, Scenario, Segment, Settings

__version__ = "0.1.0"

_API = ("run", "run_study", "run_grid", "run_many", "load_scenario", "load_config", "fit_rates")

__all__ = ["Dwell", "Journey", "OrderValue", "Population", "Scenario", "Segment", "Settings", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from journeysim import api

        return getattr(api, name)
    raise AttributeError(f"module 'journeysim' has no attribute {name!r}")
