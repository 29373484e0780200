"""`journeysim --help` leads with what a user needs: usage, every group's options, notes; the full config only on
request (`--cfg job`, `check`) (issue 15, item 15)."""

from __future__ import annotations


def test_help_is_the_useful_part_only(journeysim_inproc) -> None:
    res = journeysim_inproc("--help")
    assert res.code == 0
    lines = res.out.rstrip().splitlines()
    assert lines[0].startswith("journeysim: simulate customer journeys") and lines[2] == "Usage:"
    assert len(lines) < 60  # was 362: the whole composed config came before the notes
    assert "== Config ==" not in res.out and "stages:" not in res.out
    assert "strategy: awareness_push, balanced, conversion_push, none, nurture, retention" in res.out
    assert "journeysim --cfg job [OVERRIDES]" in res.out and lines[-1].startswith("Use --hydra-help")


def test_version_is_journeysims(journeysim_inproc) -> None:
    from journeysim import __version__

    res = journeysim_inproc("--version")
    assert res.code == 0 and res.out.startswith(f"journeysim {__version__} (Hydra ")  # was "Hydra 1.3.x" alone
