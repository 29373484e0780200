"""A registry of components by their short `kind:` name (channels' cost models, response curves, effects...).

One instance per extension point; registering a name twice is a programming error, and an unknown name is the
user's: a `ConfigError` that names the setting, lists the choices and suggests the closest one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from journeysim.errors import ConfigError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Components of one extension point by name; `what` names them in errors (e.g. "response curve")."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        """Register `item` under `name`; a name is registered once."""
        if name in self._items:
            raise ValueError(f"{self.what} {name!r} is already registered")
        self._items[name] = item
        return item

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of `add`."""
        return lambda item: self.add(name, item)

    def get(self, name: str, setting: str = "kind") -> T:
        """The component called `name`; an unknown name is a `ConfigError` on `setting` with a did-you-mean."""
        try:
            return self._items[name]
        except KeyError:
            hint = did_you_mean(str(name), list(self._items))
            raise ConfigError(
                setting,
                f"unknown {self.what} {name!r}",
                f"use one of {', '.join(self._items)}{hint}",
            ) from None

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
