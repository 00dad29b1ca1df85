"""A call heard over a telephone line is decoded with a beam; a wide-band call greedily.

Greedy decoding mishears 8 kHz speech most (docs/design.md, "Which recogniser"),
and the words decide whether a question or a paraphrase-back is found.
"""

from __future__ import annotations

import numpy as np
import pytest

import listenlens.pipeline.transcribe as transcribe
from listenlens.config import AsrSettings, Settings
from listenlens.pipeline.asr import Transcriber
from listenlens.pipeline.audio import Audio
from listenlens.pipeline.band import telephone_channel
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.diarize.base import Diarization
from listenlens.pipeline.timeline import Turn


def _transcriber(model, settings: AsrSettings) -> Transcriber:
    """A Transcriber around a stand-in model, so no weights load."""
    tr = Transcriber.__new__(Transcriber)
    tr.model, tr.keep_fillers, tr.settings = model, False, settings
    return tr


class _RecordingModel:
    """Stands in for WhisperModel: hears nothing, remembers each decode's options."""

    def __init__(self):
        self.options: list[dict] = []

    def transcribe(self, audio, **options):
        self.options.append(options)
        return iter([]), None


@pytest.mark.parametrize("narrowband, beam", [(False, 1), (True, 5)])
def test_the_beam_follows_the_band(narrowband, beam):
    model = _RecordingModel()
    tr = _transcriber(model, AsrSettings(batch_size=1))
    tr.transcribe(np.zeros(SAMPLE_RATE * 5, dtype=np.float32), [(0.0, 5.0)], narrowband=narrowband)
    assert [o["beam_size"] for o in model.options] == [beam]


def test_both_beams_are_settings():
    model = _RecordingModel()
    tr = _transcriber(model, AsrSettings(batch_size=1, beam_size=2, phone_beam_size=3))
    x = np.zeros(SAMPLE_RATE * 5, dtype=np.float32)
    tr.transcribe(x, [(0.0, 5.0)])
    tr.transcribe(x, [(0.0, 5.0)], narrowband=True)
    assert [o["beam_size"] for o in model.options] == [2, 3]
    assert tr.decode_options()["beam_size"] == 2 and tr.decode_options(narrowband=True)["beam_size"] == 3


class _TwoVoices:
    def diarize(self, audio, **kw):
        return Diarization([Turn(0.0, 1.0, "S1"), Turn(1.2, 2.5, "S2")], backend="segmented")


class _Heard:
    """Stands in for the Transcriber: remembers whether it was told the call is narrowband."""

    description = {"model": "none"}

    def __init__(self):
        self.narrowband: list[bool] = []

    def transcribe(self, samples, regions, *, narrowband=False, **kw):
        self.narrowband.append(narrowband)
        return []


@pytest.mark.parametrize("telephone", [False, True])
def test_the_pipeline_tells_the_recogniser_a_telephone_call_from_a_wide_band_one(monkeypatch, telephone):
    monkeypatch.setattr(transcribe, "get_diarizer", lambda name, s, **kw: _TwoVoices())
    # A voiced sound: a 150 Hz voice's harmonics up to 7.8 kHz, syllables 3 times a second.
    # A telephone line keeps only the ones under 3.4 kHz.
    t = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    x = (0.1 * (1 + np.sin(2 * np.pi * 3 * t)) * sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 53)))
    x = x.astype(np.float32)
    if telephone:
        x = telephone_channel(x)
    heard = _Heard()
    timeline = transcribe.transcribe_audio(Audio(x[None, :]), Settings().resolved(), name="call", transcriber=heard)
    assert heard.narrowband == [telephone]
    assert timeline.source["asr"]["band"] == ("phone" if telephone else "wide")
