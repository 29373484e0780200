"""Hardening (issue 16): hostile, huge or malformed input exits 2 naming the setting, runs nothing, leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest


def _assert_rejected(res, fragments: list[str]) -> None:
    assert res.code == 2, (res.code, res.out, res.err)
    text = res.err + res.out
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "Traceback" not in text


INTERPOLATIONS = [
    ("sim.horizon_days=${oc.env:HOME}", "sim.horizon_days"),
    ("sim.horizon_days=${oc.env:JOURNEYSIM_SURELY_UNSET}", "sim.horizon_days"),
    ("sim.seed=${nosuchresolver:1}", "sim.seed"),
    ("sim.seed=${sim.seed}", "sim.seed"),
]


@pytest.mark.parametrize("multirun", [False, True], ids=["run", "sweep"])
@pytest.mark.parametrize(("override", "setting"), INTERPOLATIONS, ids=[i[0] for i in INTERPOLATIONS])
def test_interpolation_errors_name_the_setting(journeysim_inproc, tree, tiniest, override, setting, multirun) -> None:
    args = ["-m"] if multirun else []
    res = journeysim_inproc(*args, *tiniest, override)
    _assert_rejected(res, [f"{setting}: ", "fix: "])
    assert tree(Path.cwd()) == []
