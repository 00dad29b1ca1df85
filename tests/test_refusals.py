"""The pipeline's refusals are told apart by type, and carry what the diarizer heard."""

from __future__ import annotations

import numpy as np
import pytest

import listenlens.pipeline.transcribe as transcribe
from listenlens.config import Settings
from listenlens.errors import AudioError, NoSpeechError, NotAConversationError, OneSpeakerError, SilentAudioError
from listenlens.pipeline.audio import SAMPLE_RATE, Audio
from listenlens.pipeline.diarize.base import Diarization
from listenlens.pipeline.timeline import Turn


class _Heard:
    def __init__(self, turns):
        self.turns = turns

    def diarize(self, audio, **kw):
        return Diarization(list(self.turns), backend="segmented")


def _refusal(monkeypatch, turns) -> NotAConversationError:
    monkeypatch.setattr(transcribe, "get_diarizer", lambda name, s, **kw: _Heard(turns))
    audio = Audio(np.zeros((1, 3 * SAMPLE_RATE), dtype=np.float32))
    with pytest.raises(NotAConversationError) as err:
        transcribe.transcribe_audio(audio, Settings().resolved(), name="call", transcriber=object())
    return err.value


def test_one_voice_is_a_one_speaker_refusal_with_the_turns_heard(monkeypatch):
    heard = [Turn(0.0, 1.0, "S1"), Turn(1.5, 2.5, "S1")]
    exc = _refusal(monkeypatch, heard)
    assert type(exc) is OneSpeakerError and isinstance(exc, AudioError)
    assert exc.diarization.turns == heard and exc.duration == pytest.approx(3.0)
    assert "--num-speakers 2" in exc.message


def test_no_speech_is_its_own_refusal(monkeypatch):
    exc = _refusal(monkeypatch, [])
    assert type(exc) is NoSpeechError and exc.diarization.turns == []


def test_refusals_keep_the_bad_audio_code_the_service_stores():
    for kind in (OneSpeakerError, NoSpeechError, SilentAudioError):
        assert kind("x").code == "bad_audio" and kind("x").http_status == 422
