"""Studies above the engine: replications, baselines and incrementality, comparisons, bottlenecks, calibration.

Each module takes scenarios or records (or tidy tables) in and returns tables; none reaches into the engine's
internals, and the engine never imports them.
"""
