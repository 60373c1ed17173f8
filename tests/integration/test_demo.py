"""`dingperf demo --once` tells the whole story against a fresh sandbox, from what it reads back."""

from __future__ import annotations

import io

from rich.console import Console

from dingperf.demo.narrator import Narrator
from dingperf.demo.story import run_demo


def test_the_demo_runs_every_act_and_its_explanation_adds_up(tmp_path):
    out = io.StringIO()
    say = Narrator(Console(file=out, width=200, highlight=False))
    run_demo(employees=40, depts=5, seed=3, workdir=tmp_path / "demo", once=True, progress_bar=False, say=say)
    text = out.getvalue()
    assert "nothing written" in text
    assert text.count(" done ") >= 3  # hire, departure, manager change: all handled from the inbox
    assert "Σ contributions" in text and "= total" in text
    assert "notices queued in the same transactions" in text
    assert "the board now: sales" in text and ": ok" in text  # calibrated within the hard quota
    assert "acknowledged" in text and "accepted by" in text
    assert "escalated 1" in text and "a second run escalates 0" in text
    assert "no improvement plan needed" in text or "confirmed by both" in text
    assert "message(s) from dingperf" in text
    assert (tmp_path / "demo" / "config.toml").is_file()


def test_the_demo_refuses_to_reuse_a_folder_with_a_database(tmp_path):
    import pytest

    (tmp_path / "dingperf.db").write_text("")
    with pytest.raises(FileExistsError, match="already exists"):
        run_demo(employees=20, depts=3, seed=1, workdir=tmp_path, once=True, progress_bar=False,
                 say=Narrator(Console(file=io.StringIO())))
