"""One progress type for the CLI and the service: stages people read, a fraction that only moves forward."""

from __future__ import annotations

import numpy as np
import pytest

import listenlens.pipeline.transcribe as transcribe
from listenlens.cli_progress import ProgressDisplay
from listenlens.config import Settings
from listenlens.pipeline.audio import Audio
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.diarize.base import Diarization
from listenlens.pipeline.progress import (
    ANALYZE_STAGES,
    FINDING_WHO_SPOKE,
    SCORING,
    TRANSCRIBING,
    ProgressTracker,
    ProgressUpdate,
)
from listenlens.pipeline.timeline import Turn


def tracked() -> tuple[ProgressTracker, list[ProgressUpdate]]:
    seen: list[ProgressUpdate] = []
    return ProgressTracker(seen.append), seen


def fractions(seen: list[ProgressUpdate]) -> list[float]:
    return [u.fraction for u in seen]


def test_the_fraction_never_goes_back_when_a_step_starts_over():
    track, seen = tracked()
    step = track.stage(FINDING_WHO_SPOKE)
    step("segmentation", 1, 2)
    step("second look", 0, 10)  # a diarizer's second pass counts from zero again
    step("second look", 8, 10)
    assert fractions(seen) == sorted(fractions(seen))
    assert seen[1].fraction == seen[0].fraction and seen[2].fraction > seen[1].fraction
    assert {u.stage for u in seen} == {"Finding who spoke"}


def test_stages_follow_each_other_and_the_last_one_ends_the_call():
    track, seen = tracked()
    for stage in ANALYZE_STAGES:
        track.enter(stage)
        track.stage(stage)("step", 1, 2)
    track.finish(SCORING)
    assert [u.stage for u in seen[:-1:2]] == [s.name for s in ANALYZE_STAGES]
    assert fractions(seen) == sorted(fractions(seen)) and seen[-1].fraction == 1.0
    assert seen[0].fraction == 0.0


def test_parts_of_a_stage_share_it_in_order():
    track, seen = tracked()
    track.stage(TRANSCRIBING, part=0, parts=2)("asr ch0", 10, 10)
    half = seen[-1].fraction
    track.stage(TRANSCRIBING, part=1, parts=2)("asr ch1", 0, 10)
    assert seen[-1].fraction == half  # the second channel starts where the first ended
    track.stage(TRANSCRIBING, part=1, parts=2)("asr ch1", 10, 10)
    assert seen[-1].fraction > half


def test_a_callers_tracker_carries_on_through_the_pipeline():
    track, _ = tracked()
    assert ProgressTracker.of(track) is track
    assert ProgressTracker.of(print) is not track


class _TwoVoices:
    def diarize(self, audio, *, progress, **kw):
        progress("diarize", 0, 2)
        progress("diarize", 2, 2)
        return Diarization([Turn(0.0, 1.0, "S1"), Turn(1.2, 2.5, "S2")], backend="segmented")


class _Silent:
    description = {"model": "none"}

    def transcribe(self, samples, regions, *, progress=None, **kw):
        progress("asr", 0.5, 1.0)
        progress("asr", 1.0, 1.0)
        return []


def test_transcribing_a_call_reports_its_stages_in_order(monkeypatch):
    monkeypatch.setattr(transcribe, "get_diarizer", lambda name, s, **kw: _TwoVoices())
    seen: list[ProgressUpdate] = []
    audio = Audio(np.zeros((1, 3 * SAMPLE_RATE), dtype=np.float32))
    transcribe.transcribe_audio(audio, Settings().resolved(), name="call", transcriber=_Silent(), progress=seen.append)
    stages = [u.stage for u in seen]
    assert stages.index("Finding who spoke") < stages.index("Transcribing")
    assert stages[-1] == "Transcribing" and seen[-1].fraction == pytest.approx(1.0)  # no scoring in a transcript
    assert fractions(seen) == sorted(fractions(seen))


def test_the_plain_display_prints_each_stage_once(capsys):
    with ProgressDisplay() as show:
        for update in (ProgressUpdate("Finding who spoke", 0.1), ProgressUpdate("Finding who spoke", 0.3),
                       ProgressUpdate("Transcribing", 0.6)):
            show(update)
    assert capsys.readouterr().err.splitlines() == ["Finding who spoke ...", "Transcribing ..."]


def test_the_quiet_display_prints_nothing(capsys):
    with ProgressDisplay(quiet=True) as show:
        show(ProgressUpdate("Scoring", 0.9))
        show.file(0, 3)
    assert capsys.readouterr().err == ""


def test_the_service_stores_the_stage_and_fraction_on_the_call_row(tmp_path):
    import sys
    from datetime import datetime
    from pathlib import Path
    from types import SimpleNamespace

    from listenlens.service.db.database import Database
    from listenlens.service.db.models import Call
    from listenlens.service.jobs.runner import _ProgressWriter

    sys.path.insert(0, str(Path(__file__).resolve().parent / "ui"))
    from coaching_seed import CallSpec, seed

    db = Database(f"sqlite:///{tmp_path / 'listenlens.db'}")
    db.migrate()
    running, finished = seed(db, "acme", [CallSpec("rep-a", "east", datetime(2026, 11, 16, 9), 0.4, 2),
                                          CallSpec("rep-a", "east", datetime(2026, 11, 16, 10), 0.4, 2)])
    with db.session() as s:
        s.get(Call, running).status = "processing"

    def stored(call_id):
        with db.session() as s:
            row = s.get(Call, call_id)
            return row.progress_stage, row.progress

    write = _ProgressWriter(SimpleNamespace(db=db), running, None, None)
    write(ProgressUpdate("Finding who spoke", 0.3))
    assert stored(running) == ("Finding who spoke", 0.3)
    write(ProgressUpdate("Transcribing", 0.55))
    assert stored(running) == ("Transcribing", 0.55)
    # A call no longer processing (finished, or deleted meanwhile) is not written to.
    before = stored(finished)
    _ProgressWriter(SimpleNamespace(db=db), finished, None, None)(ProgressUpdate("Transcribing", 0.55))
    assert stored(finished) == before
    db.dispose()
