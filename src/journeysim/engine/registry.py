"""The engines by their `sim.engine` name: a new engine is one module plus one line here."""

from __future__ import annotations

from typing import Protocol

from journeysim.engine.fast import simulate_fast
from journeysim.engine.plan import Plan
from journeysim.engine.records import Records
from journeysim.engine.reference import simulate_reference
from journeysim.engine.streams import LogSample
from journeysim.registry import Registry


class Engine(Protocol):
    """Runs one replication of a compiled plan (with the event log when asked, or a sample's: `LogSample`)."""

    def __call__(self, plan: Plan, event_log: bool | LogSample = False) -> Records: ...


ENGINES: Registry[Engine] = Registry("engine")
ENGINES.add("fast", simulate_fast)  # vectorised next-event engine
ENGINES.add("reference", simulate_reference)  # one SimPy process per customer (small populations)
