"""Fixtures of the theory-vs-simulation tests."""

from __future__ import annotations

import pytest
from theory_check import load_journey

from journeysim.model.journey import Journey


@pytest.fixture(scope="session")
def journey() -> Journey:
    """The default non-linear customer journey."""
    return load_journey()
