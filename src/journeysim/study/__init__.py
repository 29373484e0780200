"""Studies above the engine: replications, baselines and incrementality, comparisons, bottlenecks, calibration.

`pipeline.run_study` does what a CLI run computes (run, baseline, incrementality, bottlenecks) without Hydra or
files; `grid.run_grid` runs variants of one scenario into one tidy table.

Each module takes scenarios or records (or tidy tables) in and returns tables; none reaches into the engine's
internals, and the engine never imports them.
"""
