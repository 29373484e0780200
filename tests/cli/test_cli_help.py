"""`journeysim --help` leads with what a user needs: usage, every group's options, notes; the full config only on
request (`--cfg job`, `check`) (issue 15, item 15)."""

from __future__ import annotations

from pathlib import Path


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


def test_check_leads_with_the_verdict_and_what_would_run(journeysim_inproc, tree) -> None:
    res = journeysim_inproc("check", "strategy=conversion_push", "sim=quick", "population.scale=0.1")
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0].startswith("OK: scenario 'customer_journey-b2c'") and len(lines) < 15  # was 300+, verdict last
    assert lines[1].startswith("  strategy 'conversion_push': 9,285, front_loaded pacing: retargeting 4,492 (days")
    assert "  baseline: no spend, on the same seeds" in lines and "clipped to the 90-day horizon" in res.out
    assert lines[-1].endswith("'check --full' also prints the resolved config).")
    full = journeysim_inproc("check", "--full", "sim=quick").out.splitlines()
    assert full[0].startswith("OK: scenario") and "Resolved config:" in full and len(full) > 100
    assert tree(Path.cwd()) == []
