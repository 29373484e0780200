"""Engines that turn a scenario into records: the vectorised `fast` engine and the per-customer `reference`."""
