"""The embedded diarizer on a real phone call and on synthesized calls with known turns."""

from __future__ import annotations

import numpy as np
import pytest

from callsynth import Line, make_call
from listenlens.errors import ConfigError
from listenlens.pipeline.audio import Audio, load_audio
from listenlens.pipeline.diarize.embedded import EmbeddedDiarizer
from listenlens.pipeline.diarize.embedded_encoder import shared_encoder

SCRIPT = [
    Line("rep", "Hi, this is Sam from Acme. Thanks for taking the time to talk with me today.", at=0.5),
    Line("customer", "Sure, happy to. We have been looking at a few options for our team.", gap=0.8),
    Line("rep", "Great. What made you start looking, and what does your current setup look like?", gap=0.7),
    Line("customer", "Mostly cost. Our current tool is expensive and the reporting is slow and hard to use.", gap=0.9),
    Line("rep", "That makes sense. How many people on your team would use it every day?", gap=0.6),
    Line("customer", "About twenty people, maybe twenty five by the end of the year.", gap=0.8),
]


@pytest.fixture(scope="module")
def diarizer() -> EmbeddedDiarizer:
    return EmbeddedDiarizer()


@pytest.fixture(scope="module")
def synth_call(tmp_path_factory):
    path = tmp_path_factory.mktemp("calls") / "call.wav"
    truth = make_call(SCRIPT, path)
    return load_audio(path), truth


def _talk(turns, label) -> float:
    from pyannote.core import Segment, Timeline

    return Timeline([Segment(t.start, t.end) for t in turns if t.speaker == label]).support().duration()


def _reference(shared_data):
    from pyannote.core import Annotation, Segment

    ref = Annotation(uri="sample")
    for i, line in enumerate((shared_data / "pyannote-sample" / "sample.rttm").read_text().splitlines()):
        p = line.split()
        ref[Segment(float(p[3]), float(p[3]) + float(p[4])), i] = p[7]
    return ref


@pytest.fixture(scope="module")
def sample_result(shared_data, diarizer):
    audio = load_audio(shared_data / "pyannote-sample" / "sample.wav")
    return diarizer.diarize(audio), _reference(shared_data)


@pytest.mark.slow
def test_sample_call_two_speakers_with_true_talk_times(sample_result):
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    out, ref = sample_result
    labels = sorted({t.speaker for t in out.turns})
    assert labels == ["SPEAKER_00", "SPEAKER_01"]
    hyp = Annotation(uri="sample")
    for i, t in enumerate(out.turns):
        hyp[Segment(t.start, t.end), i] = t.speaker
    mapping = DiarizationErrorRate().optimal_mapping(ref, hyp)  # hypothesis label -> reference label
    assert sorted(mapping.values()) == sorted(ref.labels())
    for hyp_label, ref_label in mapping.items():
        truth = ref.label_timeline(ref_label).support().duration()
        assert abs(_talk(out.turns, hyp_label) - truth) <= 1.5, (hyp_label, ref_label)


@pytest.mark.slow
def test_sample_call_der_at_target(sample_result):
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    out, ref = sample_result
    hyp = Annotation(uri="sample")
    for i, t in enumerate(out.turns):
        hyp[Segment(t.start, t.end), i] = t.speaker
    der = DiarizationErrorRate(collar=0.25, skip_overlap=False)(ref, hyp)
    assert der <= 0.10


@pytest.mark.slow
def test_synthesized_call_speakers_and_boundaries(diarizer, synth_call):
    audio, truth = synth_call
    progress = []
    out = diarizer.diarize(audio, progress=lambda stage, done, total: progress.append((stage, done, total)))
    assert sorted({t.speaker for t in out.turns}) == ["SPEAKER_00", "SPEAKER_01"]
    assert progress and all(stage == "diarize" for stage, _, _ in progress)
    assert progress[-1][1] == progress[-1][2]
    # The first line is the rep's: the rep is SPEAKER_00 (labels by first turn).
    who = {"rep": "SPEAKER_00", "customer": "SPEAKER_01"}
    for line in truth:
        mine = [t for t in out.turns if t.speaker == who[line.speaker] and t.end > line.start and t.start < line.end]
        assert mine, line
        assert abs(min(t.start for t in mine) - line.start) <= 0.5, line
        assert abs(max(t.end for t in mine) - line.end) <= 0.5, line
        covered = sum(min(t.end, line.end) - max(t.start, line.start) for t in mine)
        assert covered >= 0.85 * (line.end - line.start), line


@pytest.mark.slow
def test_given_speaker_count_is_respected(diarizer, synth_call):
    audio, _ = synth_call
    for n in (1, 3):
        assert len({t.speaker for t in diarizer.diarize(audio, num_speakers=n).turns}) == n


@pytest.mark.slow
def test_one_voice_is_one_speaker(diarizer, tmp_path):
    path = tmp_path / "solo.wav"
    make_call([Line("customer", line.text, gap=0.7) for line in SCRIPT], path)
    out = diarizer.diarize(load_audio(path))
    assert {t.speaker for t in out.turns} == {"SPEAKER_00"}
    assert out.info["speakers"] == 1


def test_silence_gives_no_turns(diarizer):
    audio = Audio(samples=np.zeros((1, 16000 * 3), dtype=np.float32))
    out = diarizer.diarize(audio)
    assert out.turns == [] and out.backend == "embedded"


def test_bad_counts_are_config_errors(diarizer):
    audio = Audio(samples=np.zeros((1, 16000), dtype=np.float32))
    with pytest.raises(ConfigError):
        diarizer.diarize(audio, num_speakers=0)
    with pytest.raises(ConfigError):
        diarizer.diarize(audio, min_speakers=3, max_speakers=2)


def test_encoder_is_loaded_once_and_shared():
    a, b = EmbeddedDiarizer(), EmbeddedDiarizer()
    assert a.encoder is b.encoder is shared_encoder()
    own = object()
    assert EmbeddedDiarizer(encoder=own).encoder is own
