"""The sales-call set's truth agrees with its audio, and the event matching is sound.

Builds one small call (not the set, and no pipeline run): its RTTM turns must be where
the sound is, on the right channel, and its events must agree with the turns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from sales_calls.script import ScriptError, load_script, load_scripts  # noqa: E402

from listenlens.evaluation.events.matching import match  # noqa: E402
from tinycall import SMALL, build_tiny  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny(tmp_path_factory.mktemp("sales"))


def _rttm(path: Path) -> list[tuple[float, float, str]]:
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(float(r[3]), float(r[3]) + float(r[4]), r[7]) for r in rows]


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12))


def _solo(turns, speaker):
    """Stretches where only ``speaker`` talks (inner 80% of each turn, others cut out)."""
    others = [(s, e) for s, e, k in turns if k != speaker]
    for s, e, k in turns:
        if k != speaker or e - s < 0.3:
            continue
        pad = 0.1 * (e - s)
        s, e = s + pad, e - pad
        if all(e <= a or s >= b for a, b in others):
            yield s, e


def test_turns_are_where_the_sound_is_on_the_right_channel(tiny):
    turns = _rttm(tiny.audio["dual"].with_suffix(".rttm"))
    assert {k for *_, k in turns} == {"rep", "customer"}
    dual, rate = sf.read(str(tiny.audio["dual"]), always_2d=True)
    assert rate == 16000 and dual.shape[1] == 2
    checked = 0
    for speaker, own in (("rep", 0), ("customer", 1)):
        for s, e in _solo(turns, speaker):
            a, b = int(s * rate), int(e * rate)
            # The speaker's own channel carries them; the other hears only the -25..-30 dB leak.
            assert _db(dual[a:b, own]) - _db(dual[a:b, 1 - own]) > 20
            checked += 1
    assert checked >= 4
    # Where the truth says nobody speaks, the recording is quiet.
    speech = np.zeros(dual.shape[0], dtype=bool)
    for s, e, _ in turns:
        speech[int(s * rate) : int(e * rate)] = True
    silent = ~speech
    assert silent.sum() > 0.3 * rate
    assert _db(dual[silent]) < _db(dual[speech]) - 35


def test_mono_and_telephone_copies_hold_the_same_call(tiny):
    mono, rate = sf.read(str(tiny.audio["mono"]), always_2d=True)
    info = sf.info(str(tiny.audio["telephone"]))
    assert mono.shape[1] == 1 and rate == 16000
    assert info.samplerate == 8000 and info.subtype == "ULAW" and info.channels == 1
    assert abs(info.duration - mono.shape[0] / rate) < 0.01
    phone, prate = sf.read(str(tiny.audio["telephone"]))
    for s, e, _ in _rttm(tiny.audio["mono"].with_suffix(".rttm")):
        if e - s > 0.5:
            assert _db(mono[int(s * rate) : int(e * rate), 0]) > -40
            assert _db(phone[int(s * prate) : int(e * prate)]) > -45


def test_events_agree_with_the_turns(tiny):
    t = tiny.truth
    turns = _rttm(tiny.audio["dual"].with_suffix(".rttm"))
    ends = {(round(e, 3), k) for _, e, k in turns}

    # Questions end where a rep line's speech ends, with the verdicts the layout implies.
    qs = t["questions"]
    assert [q["verdict"] for q in qs] == ["honoured", "self_answered"]
    assert all((q["end"], "rep") in ends for q in qs)
    assert abs(qs[0]["wait_s"] - 1.5) < 0.01 and abs(qs[1]["wait_s"] - 1.0) < 0.01

    # The rep cuts in 1.2 s before the customer's line ends: one interruption of that overlap.
    (cut,) = t["interruptions"]
    assert (cut["by"], cut["of"]) == ("rep", "customer") and abs(cut["overlap_s"] - 1.2) < 0.05
    assert any(s <= cut["start"] < e and k == "customer" for s, e, k in turns)

    # The backchannel lies inside the customer's speech and is no interruption.
    (bc,) = t["backchannels"]
    assert bc["by"] == "rep" and bc["during"] == "customer"
    assert any(s < bc["start"] and bc["end"] < e for s, e, k in turns if k == "customer")

    (para,) = t["paraphrases"]
    assert para["start"] == cut["start"] and para["restates"]["speaker"] == "customer"

    # Talk times are what the scorecard measures on the RTTM turns (its own code, not
    # the truth's): speech with each speaker's short pauses filled, so at least the speech.
    from listenlens.pipeline.metrics import side_talk_time
    from listenlens.pipeline.timeline import Role, build_timeline

    timeline = build_timeline(turns, roles={"rep": "rep", "customer": "customer"})
    for side in ("rep", "customer"):
        speech = sum(e - s for s, e, k in turns if k == side)  # a speaker never overlaps themselves
        assert t["talk"][f"{side}_s"] == pytest.approx(side_talk_time(timeline, Role(side)), abs=0.01)
        assert t["talk"][f"{side}_s"] >= speech - 0.01
    assert t["talk"]["rep_s"] > sum(e - s for s, e, k in turns if k == "rep") + 0.1  # the rep's sentence pauses are talk

    # Every scripted word lies inside its own speaker's line.
    lines = [(ln["start"], ln["end"], ln["speaker"]) for ln in t["lines"]]
    assert all(any(s - 1e-3 <= w["start"] and w["end"] <= e + 1e-3 and k == w["speaker"] for s, e, k in lines) for w in t["words"])


def test_the_committed_scripts_make_a_split_set():
    scripts = load_scripts()
    assert len(scripts) >= 20
    assert {s.split for s in scripts} == {"tune", "held-out"}
    voices_used = {spec.voice.split(":")[0] for s in scripts for spec in s.speakers.values()}
    assert voices_used == {"espeak", "flite", "festival", "real"}


def test_a_question_inside_a_rep_line_is_refused(tmp_path):
    bad = SMALL.replace("Okay. What do they use today?", "What do they use today? Spreadsheets")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ScriptError, match="question must end its line"):
        load_script(tmp_path / "bad.yaml")


def test_match_pairs_closest_first_and_one_to_one():
    assert sorted(match([1.0, 5.0], [1.4, 1.1, 9.0], tolerance=1.0)) == [(0, 1)]
    assert match([1.0], [2.5], tolerance=1.0) == []
    # A found question that ends inside the true one (an early "?") is the same question.
    assert match([10.0], [7.5], tolerance=1.0, windows=[(6.0, 10.0)]) == [(0, 0)]
    assert match([10.0], [5.5], tolerance=1.0, windows=[(6.0, 10.0)]) == []

