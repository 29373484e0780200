"""The vectorised next-event engine (`simulate_fast`), split along its seams; see `engine.py` for the parts."""

from __future__ import annotations

from journeysim.engine.fast import sizes
from journeysim.engine.fast.engine import FastEngine, simulate_fast

__all__ = ["FastEngine", "simulate_fast", "sizes"]
