"""Voiceprints in the pipeline: matching speakers to enrolled voices, roles from the
match, and a one-speaker diarization split by the rep's voice."""

from __future__ import annotations

import numpy as np
import pytest

from callsynth import Line, make_call, speak
from listenlens.pipeline.diarize.base import Diarization
from listenlens.pipeline.roles import assign_roles
from listenlens.pipeline.timeline import CallTimeline, Role, RoleSource, Speaker, Turn, Word
from listenlens.pipeline.voiceprints import KnownVoice, Voice, match_speakers
from listenlens.pipeline.voiceprints.settings import VoiceprintSettings


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def basis(i, n=8):
    v = np.zeros(n, dtype=np.float32)
    v[i] = 1
    return v


# The customer opens, introduces a company and asks the questions: text alone picks them.
CUSTOMER_LEADS = [
    ("S0", "Hi, this is Dana from Globex. Thanks for taking my call."),
    ("S1", "Sure, happy to help."),
    ("S0", "What does your product cost? How long is the contract? Can we get a trial?"),
    ("S1", "It depends on the team size."),
]


def timeline(lines):
    words, turns, t = [], [], 0.0
    for speaker, text in lines:
        start = t
        for token in text.split():
            words.append(Word(t, t + 0.3, token, speaker))
            t += 0.35
        turns.append(Turn(start, t, speaker))
        t += 0.5
    return CallTimeline(duration=t, speech=turns, words=words, speakers=[Speaker("S0"), Speaker("S1")])


def test_the_best_one_to_one_pairing_above_the_threshold_matches():
    heard = {"S0": Voice(unit(basis(0) + 0.3 * basis(1)), 10), "S1": Voice(unit(basis(2)), 10)}
    known = [KnownVoice("sam", unit(basis(2) + 0.2 * basis(3))), KnownVoice("kim", basis(5), is_rep=False)]
    check = match_speakers(heard, known, 0.8)
    assert [(m.label, m.name) for m in check.matches] == [("S1", "sam")]
    assert check.rep_match.score == pytest.approx(float(unit(basis(2) + 0.2 * basis(3))[2]), abs=1e-6)
    assert check.best["kim"] == pytest.approx(0.0, abs=1e-6)


def test_two_speakers_cannot_both_be_the_rep():
    heard = {"S0": Voice(unit(basis(0) + 0.1 * basis(1)), 10), "S1": Voice(unit(basis(0) + 0.2 * basis(1)), 10)}
    check = match_speakers(heard, [KnownVoice("sam", basis(0))], 0.8)
    assert [m.label for m in check.matches] == ["S0"]


def test_another_encoders_voiceprint_is_not_compared():
    heard = {"S0": Voice(basis(0), 10)}
    check = match_speakers(heard, [KnownVoice("sam", basis(0), model="some-other-encoder")], 0.8)
    assert check.matches == [] and check.best == {}


def test_roles_from_the_voiceprint_where_inference_fails():
    inferred = timeline(CUSTOMER_LEADS)
    assign_roles(inferred)
    assert inferred.role_of("S0") is Role.REP  # the text misleads inference

    tl = timeline(CUSTOMER_LEADS)
    heard = {"S0": Voice(basis(0), 10), "S1": Voice(basis(1), 10)}
    result = assign_roles(tl, voices=match_speakers(heard, [KnownVoice("sam", basis(1))], 0.8))
    assert tl.role_of("S1") is Role.REP and tl.role_of("S0") is Role.CUSTOMER
    assert result.source is RoleSource.VOICEPRINT and result.confidence == pytest.approx(1.0)
    assert "S1 is sam by voiceprint (match 1.00" in result.evidence[0]
    assert tl.to_dict()["speakers"][1]["name"] == "sam"
    assert CallTimeline.from_dict(tl.to_dict()).speakers[1].name == "sam"


def test_a_teammate_is_on_the_sellers_side_and_named():
    lines = CUSTOMER_LEADS + [("S2", "I am the manager, I can answer the pricing question.")]
    tl = timeline(lines)
    heard = {"S0": Voice(basis(0), 10), "S1": Voice(basis(1), 10), "S2": Voice(basis(2), 10)}
    known = [KnownVoice("sam", basis(1)), KnownVoice("kim", basis(2), is_rep=False)]
    result = assign_roles(tl, voices=match_speakers(heard, known, 0.8))
    assert tl.labels(Role.REP) == ["S1", "S2"] and tl.labels(Role.CUSTOMER) == ["S0"]
    assert any("S2 is kim, on the seller's side" in e for e in result.evidence)


def test_no_match_says_so_and_falls_back_to_inference():
    tl = timeline(CUSTOMER_LEADS)
    heard = {"S0": Voice(basis(0), 10), "S1": Voice(basis(1), 10)}
    result = assign_roles(tl, voices=match_speakers(heard, [KnownVoice("sam", basis(4))], 0.8))
    assert result.source is RoleSource.INFERRED
    assert result.evidence[0].startswith("no speaker matches the rep's voiceprint (sam best 0.00")


@pytest.mark.slow
def test_a_mono_call_where_the_customer_leads_gets_the_rep_by_voice(tmp_path):
    from listenlens.config import Settings
    from listenlens.pipeline.transcribe import transcribe_call
    from listenlens.pipeline.voiceprints import CallVoices, enrollment_voice

    enrolled = enrollment_voice(np.concatenate([
        speak("Hello, my name is Sam and I look after our customers in the north east region.", "en-us+m7"),
        speak("I am recording this so the coaching tool knows my voice on every call.", "en-us+m7"),
    ]))
    script = [
        Line("en+f5", "Hi, this is Dana from Globex. Thanks for taking my call.", at=0.3),
        Line("en-us+m7", "Of course, glad to help.", gap=0.6),
        Line("en+f5", "What does your product cost? How long is the contract? Can we get a trial first?", gap=0.6),
        Line("en-us+m7", "It depends on how many people use it, we usually start with a month.", gap=0.6),
        Line("en+f5", "And do you support invoices in other currencies?", gap=0.6),
        Line("en-us+m7", "Yes, every major currency is supported out of the box.", gap=0.6),
    ]
    make_call(script, tmp_path / "call.wav")
    voices = CallVoices(known=[KnownVoice("sam", enrolled.embedding)])
    tl = transcribe_call(tmp_path / "call.wav", Settings(), voices=voices)
    assert tl.roles.source is RoleSource.VOICEPRINT
    rep = tl.labels(Role.REP)
    assert len(rep) == 1
    rep_speech = sum(t.duration for t in tl.speech if t.speaker == rep[0])
    assert rep_speech < 0.5 * sum(t.duration for t in tl.speech)  # the quieter one, not Dana
    assert tl.source["voiceprints"]["matches"][0]["name"] == "sam"

    other = enrollment_voice(speak("Hello, my name is Ravi and this is my voice for the coaching tool, thank you.", "en-029+m4"))
    tl = transcribe_call(tmp_path / "call.wav", Settings(), voices=CallVoices(known=[KnownVoice("sam", other.embedding)]))
    assert tl.roles.source is RoleSource.INFERRED
    assert tl.roles.evidence[0].startswith("no speaker matches the rep's voiceprint")


@pytest.mark.slow
def test_one_speaker_split_by_the_reps_voice(tmp_path):
    from listenlens.pipeline.audio import load_audio
    from listenlens.pipeline.voiceprints import enrollment_voice
    from listenlens.pipeline.voiceprints.split import split_by_voice

    script = [
        Line("en-us+m7", "Thanks for joining, I wanted to walk you through the proposal today.", at=0.3),
        Line("en+f5", "Great, we have been waiting for it, the team is curious about the numbers.", gap=0.4),
        Line("en-us+m7", "Sure, the first part covers onboarding and the second the yearly price.", gap=0.4),
        Line("en+f5", "Good, and does the price include support for our offices abroad?", gap=0.4),
    ]
    truth = make_call(script, tmp_path / "call.wav")
    audio = load_audio(tmp_path / "call.wav")
    merged = Diarization([Turn(s.start, s.end, "SPEAKER_00") for s in truth], backend="segmented")
    sam = enrollment_voice(speak("Hello, my name is Sam and this recording teaches the tool my voice on calls.", "en-us+m7"))
    split = split_by_voice(audio.mono(), merged, KnownVoice("sam", sam.embedding), VoiceprintSettings())
    assert split is not None and split.info["voiceprint_split"]["voice"] == "sam"
    assert sorted({t.speaker for t in split.turns}) == ["SPEAKER_00", "SPEAKER_01"]
    # Most of each line's time goes to the right side.
    for s in truth:
        side = "SPEAKER_00" if s.speaker == "en-us+m7" else "SPEAKER_01"
        covered = sum(max(0.0, min(t.end, s.end) - max(t.start, s.start)) for t in split.turns if t.speaker == side)
        assert covered > 0.6 * (s.end - s.start), (s.text, covered)

    alone = Diarization([Turn(s.start, s.end, "SPEAKER_00") for s in truth if s.speaker == "en-us+m7"], backend="segmented")
    assert split_by_voice(audio.mono(), alone, KnownVoice("sam", sam.embedding), VoiceprintSettings()) is None


@pytest.mark.slow
def test_the_pipeline_splits_a_one_speaker_diarization_by_the_reps_voice(tmp_path, monkeypatch):
    """The diarizer hears the two voices as one; the rep's voiceprint tells them apart,
    the call is scored instead of refused, and the timeline says the split happened."""
    import listenlens.pipeline.transcribe as transcribe
    from listenlens.config import Settings
    from listenlens.pipeline.voiceprints import CallVoices, enrollment_voice

    script = [
        Line("en+f5", "Hi, this is Dana from Globex. Thanks for taking my call.", at=0.3),
        Line("en-us+m7", "Of course, I am glad to help with whatever you need today.", gap=0.5),
        Line("en+f5", "What does your product cost? How long is the contract? Can we get a trial first?", gap=0.5),
        Line("en-us+m7", "It depends on how many people use it, we usually start with a month.", gap=0.5),
    ]
    truth = make_call(script, tmp_path / "call.wav")

    class OneVoice:
        name = "segmented"

        def diarize(self, audio, **_):
            return Diarization([Turn(s.start, s.end, "SPEAKER_00") for s in truth], backend="segmented")

    monkeypatch.setattr(transcribe, "get_diarizer", lambda *a, **k: OneVoice())
    sam = enrollment_voice(speak("Hello, my name is Sam and this recording teaches the tool my voice on calls.", "en-us+m7"))
    tl = transcribe.transcribe_call(tmp_path / "call.wav", Settings(), voices=CallVoices(known=[KnownVoice("sam", sam.embedding)]))
    split = tl.source["diarizer"]["voiceprint_split"]
    assert split["voice"] == "sam" and split["matched_s"] >= 3 and split["other_s"] >= 3
    assert tl.roles.source is RoleSource.VOICEPRINT and tl.labels(Role.REP) == [split["speaker"]]
    assert tl.labels(Role.CUSTOMER) == [split["other"]]
