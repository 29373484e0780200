"""Engines that turn a compiled plan into records: the vectorised `fast` engine and the per-customer `reference`,
found by their `sim.engine` name in `engine.registry.ENGINES`."""
