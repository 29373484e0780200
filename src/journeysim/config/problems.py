"""What is wrong with a config, as data: `Problem` (setting, problem, fix) and `InvalidConfig` carrying them all.

The lowest config module: validation, baselines, objectives and composition all report through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config: the setting's dotted key, what is wrong, and how to fix it."""

    setting: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.problem}\n    fix: {self.fix}"


class InvalidConfig(ValueError):
    """The config cannot run; carries every problem found so a user can fix them in one go."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
