"""bench/ceilings.py: the oracle DER ceilings, and their section of bench/results.md."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from callsynth import Line, make_call

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import ceilings  # noqa: E402
import render_results  # noqa: E402

from listenlens.evaluation.cases import EvalCase  # noqa: E402
from listenlens.pipeline.diarize.segmentation import SpeakerSegmenter  # noqa: E402
from listenlens.pipeline.diarize.segmented import SegmentedSettings  # noqa: E402
from listenlens.pipeline.timeline import Turn  # noqa: E402


def test_two_voices_drops_the_least_talkative_of_three_at_once():
    truth = np.zeros((6, 3), dtype=bool)
    truth[:, 0] = True  # A talks throughout
    truth[:4, 1] = True  # B for four frames
    truth[2:4, 2] = True  # C joins for two of them: three at once
    cut = ceilings.two_voices(truth)
    assert cut[:, :2].tolist() == truth[:, :2].tolist()  # A and B untouched
    assert not cut[:, 2].any()  # C, the least talkative, goes where three talk
    assert (cut.sum(axis=1) <= 2).all()


def test_two_voices_keeps_frames_of_two_or_fewer():
    truth = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 0, 0]], dtype=bool)
    assert ceilings.two_voices(truth).tolist() == truth.tolist()


def test_oracle_linking_on_a_known_call_is_near_perfect_and_two_voices_is_exact(tmp_path):
    script = [
        Line("rep", "Hi, this is Sam from Acme. Thanks for taking my call today.", at=0.5),
        Line("customer", "Sure, happy to talk. We have about ten minutes.", gap=0.6),
        Line("rep", "Great. I wanted to walk you through the new reporting features.", gap=0.5),
        Line("customer", "Sorry, can I ask about pricing first?", gap=-1.0),
    ]
    spoken = make_call(script, tmp_path / "call.wav")
    case = EvalCase("call", tmp_path / "call.wav", [Turn(s.start, s.end, s.speaker) for s in spoken], None, None)
    result = ceilings.ceilings_for(case, SpeakerSegmenter(), SegmentedSettings())
    assert result["oracle_linking"]["0.25"]["der"] < 0.05
    # Never more than two people at once here, so the two-voice cut is the truth itself
    # (up to the ~17 ms frame grid at each edge, which the collar forgives).
    assert result["two_voices"]["0.25"]["der"] < 0.005


def _results(linked: float) -> dict:
    der = lambda x: {"der": x}  # noqa: E731
    return {
        "machine": {"cpu": "cpu", "cores": 2, "ram_gb": 24, "os": "linux", "python": "3.11"},
        "versions": {"listenlens": "0"},
        "date": "today",
        "targets": {
            "ami-debug: DER at 0.25 s collar, held-out splits": {"value": 42.6, "limit": 25.0, "unit": "%", "met": False, "at_most": True},
        },
        "accuracy": {"ami-debug": {"overall": {"held_out": {"diarization": {"0.25": der(0.426)}}}}},
        "ceilings": {
            "data": "ami-debug",
            "held_out_target": "ami-debug: DER at 0.25 s collar, held-out splits",
            "date": "today",
            "overall": {"held_out": {"oracle_linking": {"0.25": der(linked)}, "two_voices": {"0.25": der(0.111)}}},
        },
    }


def test_the_results_page_sets_the_pipeline_beside_its_ceilings():
    page = "\n".join(render_results._ceilings(_results(0.381)))
    assert "| held_out | 42.6% | 38.1% | 11.1% |" in page
    assert "perfect linking leaves 38.1%, above the 25% target" in page
    page = "\n".join(render_results._ceilings(_results(0.20)))
    assert "leaves 20.0%, within the 25% target" in page
    assert render_results._ceilings({}) == []  # no ceilings measured: no section
