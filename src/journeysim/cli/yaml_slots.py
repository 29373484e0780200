"""YAML texts of many documents that differ only in a few scalar leaves, at a fraction of dumping each one.

A sweep batch writes three config records per job (`.hydra/config.yaml`, `.hydra/hydra.yaml`, the resolved
config.yaml) of ~6 KB each, and PyYAML's pure-Python emitter spends ~10 ms on each. The jobs of a batch differ
in a handful of scalar values (the swept budget, the job number, its directory), so the first document is dumped
once with a marker in every leaf where any document differs, and each document's text is that template with its
own leaves' text in place. A leaf's text is its scalar as the same dumper writes it as a mapping value; it is
used only where it cannot depend on its position (one line, no space or double quote, so the emitter has nowhere
to wrap it), and a document whose structure differs, or with such a leaf, is dumped whole. The first other
document is also dumped whole and compared, so a dumper that behaves otherwise turns the templates off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import yaml
from omegaconf._utils import get_omega_conf_dumper

#: what `OmegaConf.to_yaml` does with a plain container (its own `yaml.dump` call)
Dump = Callable[[Any], str]

Path = tuple[Any, ...]

_MARK = "JSSLOTMARK{}X"
_MARKS = re.compile(r"JSSLOTMARK(\d+)X")


def omegaconf_dump(container: Any) -> str:
    """`OmegaConf.to_yaml(cfg)`'s text for `OmegaConf.to_container(cfg, resolve=False, enum_to_str=True)`."""
    return yaml.dump(
        container, default_flow_style=False, allow_unicode=True, sort_keys=False, Dumper=get_omega_conf_dumper()
    )


def _diff(a: Any, b: Any, at: Path, out: set[Path]) -> bool:
    """Add the paths of the scalar leaves where `a` and `b` differ to `out`; False when their shapes differ."""
    if isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            return False
        return all(_diff(a[k], b[k], (*at, k), out) for k in a)
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return False
        return all(_diff(x, y, (*at, i), out) for i, (x, y) in enumerate(zip(a, b, strict=True)))
    if isinstance(b, (dict, list)):
        return False
    if type(a) is not type(b) or a != b:
        out.add(at)
    return True


def _at(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _marked(doc: Any, marks: dict[Path, int], at: Path = ()) -> Any:
    """A copy of `doc` with each marked leaf replaced by its marker."""
    if at in marks:
        return _MARK.format(marks[at])
    if isinstance(doc, dict):
        return {k: _marked(v, marks, (*at, k)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_marked(v, marks, (*at, i)) for i, v in enumerate(doc)]
    return doc


class SlotTexts:
    """The YAML text of each of `docs` (plain containers, as `dump` writes them), made from one template."""

    def __init__(self, docs: Sequence[Any], dump: Dump = omegaconf_dump) -> None:
        self.docs, self.dump = list(docs), dump
        self._leaf: dict[tuple[type, Any], str | None] = {}
        paths: set[Path] = set()
        self.same_shape = [True] + [_diff(self.docs[0], d, (), paths) for d in self.docs[1:]]
        self.order = sorted(paths, key=repr)
        self.pieces: list[str] | None = None
        if len(self.docs) > 1:
            marks = {p: i for i, p in enumerate(self.order)}
            self.pieces = _MARKS.split(dump(_marked(self.docs[0], marks)))
            if sorted(int(n) for n in self.pieces[1::2]) != list(range(len(self.order))):  # a marker lost or repeated
                self.pieces = None
            other = next((i for i in range(1, len(self.docs)) if self.same_shape[i]), 0)
            for i in {0, other}:  # checked against dumping whole: the base and one other document
                if self._filled(i) not in (None, dump(self.docs[i])):
                    self.pieces = None

    def _leaf_text(self, value: Any) -> str | None:
        """A scalar's text where the emitter cannot wrap it; None otherwise."""
        key = (type(value), value)
        if key not in self._leaf:
            line = self.dump({"k": value})
            text = line[3:-1] if line.startswith("k: ") and line.endswith("\n") else ""
            good = text and not any(c in text for c in ' \n"') and line.count("\n") == 1
            self._leaf[key] = text if good else None
        return self._leaf[key]

    def _filled(self, i: int) -> str | None:
        """Document `i` from the template, or None where it must be dumped whole."""
        if self.pieces is None or not self.same_shape[i]:
            return None
        out = [self.pieces[0]]
        for k in range(1, len(self.pieces), 2):  # the pieces: text, a marker's number, text, ...
            leaf = _at(self.docs[i], self.order[int(self.pieces[k])])
            text = self._leaf_text(leaf) if not isinstance(leaf, (dict, list)) else None
            if text is None:
                return None
            out += [text, self.pieces[k + 1]]
        return "".join(out)

    def text(self, i: int) -> str:
        """The YAML text of document `i` (the same bytes as dumping it)."""
        filled = self._filled(i)
        return filled if filled is not None else self.dump(self.docs[i])
