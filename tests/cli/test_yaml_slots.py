"""`cli.yaml_slots.SlotTexts`: every document gets the bytes of dumping it whole (a batch's `.hydra` records)."""

from __future__ import annotations

from typing import Any

import pytest
from omegaconf import OmegaConf

from journeysim.cli.yaml_slots import SlotTexts, omegaconf_dump


def _doc(budget: Any, num: int, out: str, task: list[str]) -> dict[str, Any]:
    return {
        "strategy": {"budget": budget, "name": "balanced", "plans": [{"channel": "search", "share": 0.5}]},
        "hydra": {"job": {"num": num, "id": str(num), "override_dirname": ",".join(task)}, "out": out},
        "overrides": task,
        "help": "a long help text with spaces that the emitter folds past eighty columns " * 3,
    }


def test_omegaconf_dump_is_omegaconfs_own_text() -> None:
    doc = _doc(1000, 3, "/tmp/s/3", ["strategy.budget=1000", "sim.seed=5"])
    assert omegaconf_dump(doc) == OmegaConf.to_yaml(OmegaConf.create(doc))


@pytest.mark.parametrize(
    "values",
    [
        [0, 1000, 2000, 150_000],  # ints
        [0.5, 1e-7, 2.0, float("inf")],  # floats
        ["a", "1000", "true", "null", ""],  # strings that look like other types get quoted
        [True, False, None, 3],  # types that change between documents
        ["no space", "a b c d e f g h i j k l m n o p q r s t u v w x y z " * 4, "x\ny"],  # may wrap or span lines
        ['quote"d', "it's", "#hash", "- dash", "colon: here"],
    ],
)
def test_every_document_gets_the_bytes_of_dumping_it_whole(values: list[Any]) -> None:
    docs = [_doc(v, i, f"/runs/sweep/{i}", [f"strategy.budget={v}", "sim.seed=5"]) for i, v in enumerate(values)]
    texts = SlotTexts(docs)
    for i, doc in enumerate(docs):
        assert texts.text(i) == omegaconf_dump(doc), i


def test_a_document_of_another_shape_is_dumped_whole() -> None:
    docs = [_doc(1, 0, "/a", ["x=1"]), _doc({"nested": 1}, 1, "/b", ["x=1", "y=2"]), _doc(3, 2, "/c", ["x=3"])]
    texts = SlotTexts(docs)
    assert texts.same_shape == [True, False, True]
    assert [texts.text(i) for i in range(3)] == [omegaconf_dump(d) for d in docs]


def test_the_template_is_used_where_it_can_be() -> None:
    docs = [_doc(1000 * i, i, f"/runs/s/{i}", [f"strategy.budget={1000 * i}"]) for i in range(5)]
    texts = SlotTexts(docs)
    assert texts.pieces is not None and len(texts.order) == 6  # budget, num, id, dirname, out, the override
    assert texts._filled(4) == omegaconf_dump(docs[4])  # made from the template, not dumped whole
