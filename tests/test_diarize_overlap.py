"""Overlapped speech in mono recordings: the detector, and who gets the second voice."""

from __future__ import annotations

import numpy as np
import pytest

from listenlens.errors import ModelError
from listenlens.pipeline.audio import load_audio
from listenlens.pipeline.diarize.embedded import (
    EmbeddedDiarizer,
    EmbeddedSettings,
    _distance,
    _second_speaker,
    _stretches_with_a_change,
    _union_by_speaker,
)
from listenlens.pipeline.diarize.overlap import OverlapDetector, OverlapModel
from listenlens.pipeline.timeline import Turn, turns_annotation


def test_second_voice_is_the_nearest_other_turn():
    labels = np.array([0] * 10 + [1] * 10 + [0] * 10)
    flagged = np.zeros(30, dtype=bool)
    flagged[7:13] = True  # across the first change
    flagged[27:30] = True  # the end of the last turn: only a turn before it
    second = _second_speaker(labels, flagged)
    assert second[7:10].tolist() == [1, 1, 1]  # speaker 0's frames hear speaker 1
    assert second[10:13].tolist() == [0, 0, 0]  # and the reverse after the change
    assert second[27:30].tolist() == [1, 1, 1]
    assert (second[~flagged] == -1).all()


def test_overlap_needs_a_hand_over_without_a_pause():
    # Frames 0-9 and 10-19 are unbroken speech with a change inside; frame 30 follows a
    # pause, and the change at 30 happens in that pause: nobody talked over anybody.
    idx = np.array(list(range(0, 20)) + list(range(30, 40)))
    labels = np.array([0] * 10 + [1] * 10 + [0] * 10)
    keep = _stretches_with_a_change(idx, labels)
    assert keep[:20].all() and not keep[20:].any()


def test_distance_of_a_flagged_run_to_the_nearest_change():
    changes = np.array([100, 300])
    assert _distance(changes, 90, 110) == 0  # the change lies inside the run
    assert _distance(changes, 40, 80) == 20  # the run ends 20 frames before it
    assert _distance(changes, 150, 240) == 50  # 50 after the first, 60 before the second
    assert _distance(np.array([], dtype=np.int64), 0, 10) > 10**9


def test_one_speaker_has_no_second_voice():
    labels = np.zeros(20, dtype=np.int64)
    assert (_second_speaker(labels, np.ones(20, dtype=bool)) == -1).all()


def test_a_speaker_heard_alone_and_under_another_is_one_turn():
    turns = [Turn(0.0, 5.0, "A"), Turn(5.0, 9.0, "B"), Turn(4.2, 5.0, "B"), Turn(5.0, 5.6, "A")]
    merged = _union_by_speaker(turns)
    assert merged == [Turn(0.0, 5.6, "A"), Turn(4.2, 9.0, "B")]
    # A 20 ms sliver between the pieces closes; a real pause (0.3 s) does not.
    sliver = _union_by_speaker([Turn(7.58, 10.38, "B"), Turn(10.40, 14.29, "B"), Turn(15.0, 16.0, "B")])
    assert sliver == [Turn(7.58, 14.29, "B"), Turn(15.0, 16.0, "B")]


def test_weights_round_trip_and_give_probabilities(tmp_path):
    model = OverlapModel.load()
    assert 0 < model.threshold < 1 and model.smooth_frames >= 1
    assert model.info["trained_on"].startswith("AMI")  # provenance travels with the weights
    path = tmp_path / "copy.npz"
    model.save(path)
    again = OverlapModel.load(path)
    feats = np.random.default_rng(0).normal(size=(200, len(model.mean))).astype(np.float32)
    p = again.probabilities(feats)
    assert p.shape == (200,) and ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p, model.probabilities(feats), rtol=1e-6)


def test_unreadable_weights_are_a_clear_error(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(ModelError, match="cannot be read.*train_overlap"):
        OverlapModel.load(bad)


@pytest.mark.slow
def test_mono_overlap_is_found_where_it_was_placed(overlapping_call):
    path, truth = overlapping_call
    out = EmbeddedDiarizer().diarize(load_audio(path))
    assert out.info["detects_overlap"] is True
    found = turns_annotation(out.turns).get_overlap()
    placed = (truth[4].start, truth[3].end)  # the rep starts under the customer
    hit = [s for s in found if s.start < placed[1] and s.end > placed[0]]
    assert hit, (list(found), placed)
    covered = sum(min(s.end, placed[1]) - max(s.start, placed[0]) for s in hit)
    assert covered >= 0.5 * (placed[1] - placed[0]), (list(found), placed)
    # Elsewhere the parties hand over with a pause: nothing there reaches the 0.5 s
    # interruption grace.
    stray = [s for s in found if not (s.start < placed[1] + 0.3 and s.end > placed[0] - 0.3)]
    assert all(s.duration < 0.5 for s in stray), stray


@pytest.mark.slow
def test_without_the_detector_mono_turns_never_overlap(overlapping_call):
    path, _ = overlapping_call
    out = EmbeddedDiarizer(EmbeddedSettings(overlap=False)).diarize(load_audio(path))
    assert out.info["detects_overlap"] is False
    assert turns_annotation(out.turns).get_overlap().duration() == 0


class _CountingEncoder:
    """Stands in for whisper: records each window's length, returns its frame count."""

    def __init__(self):
        self.windows = []

    def feature_extractor(self, seg):
        self.windows.append(len(seg))
        return np.zeros((80, 3000), dtype=np.float32)

    def encode(self, mel):
        return np.zeros((1, 1500, 384), dtype=np.float32)


def test_only_the_given_spans_are_encoded_packed_into_few_windows():
    encoder = _CountingEncoder()
    detector = OverlapDetector(encoder=encoder)
    x = np.zeros(16000 * 600, dtype=np.float32)  # 10 minutes
    spans = [(30.0 * k, 30.0 * k + 2.0) for k in range(20)]  # 20 stretches of 2 s
    p = detector.probabilities(x, spans)
    assert p.shape == (600 * 50,)
    # 20 x (2 s + 2 x 1 s of context + 0.2 s gap) = 84 s: three windows, not twenty.
    assert len(encoder.windows) == 3 and all(n <= 16000 * 30 for n in encoder.windows)
    outside = np.ones(len(p), dtype=bool)
    for a, b in spans:
        outside[max(0, int((a - 1) * 50)) : int((b + 1) * 50)] = False
    assert (p[outside] == 0).all() and (p[~outside] > 0).all()


def test_a_span_longer_than_a_window_is_cut():
    encoder = _CountingEncoder()
    OverlapDetector(encoder=encoder).probabilities(np.zeros(16000 * 100, dtype=np.float32), [(5.0, 75.0)])
    assert len(encoder.windows) == 3 and all(n <= 16000 * 30 for n in encoder.windows)


@pytest.mark.slow
def test_training_script_reproduces_a_usable_read_out(shared_data, tmp_path):
    """scripts/train_overlap.py runs end to end on the train split (fewer mixtures here)."""
    import hashlib
    import os
    import subprocess
    import sys
    from pathlib import Path

    from listenlens.models.registry import overlap_weights_path

    before = hashlib.sha256(overlap_weights_path().read_bytes()).hexdigest()
    script = Path(__file__).resolve().parents[1] / "scripts" / "train_overlap.py"
    env = {**os.environ, "LISTENLENS_DATA": str(shared_data)}
    proc = subprocess.run(
        [sys.executable, str(script), "--dry-run", "--mixtures", "40"],
        capture_output=True, text=True, timeout=900, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "chosen: C=" in proc.stdout, proc.stdout
    # Only the train split is read: development and test stay held out.
    assert "dev0" not in proc.stderr and "tst0" not in proc.stderr
    assert hashlib.sha256(overlap_weights_path().read_bytes()).hexdigest() == before  # --dry-run writes nothing
