"""The channels diarizer, duplicate-stereo detection and backend selection.

Calls are built from espeak-ng speech with known timing (callsynth), one party per
channel, with and without the other party leaking in; the turns found per channel must
match where each line was placed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from callsynth import Line, make_call
from listenlens.errors import AudioError, ConfigError
from listenlens.pipeline.audio import Audio, load_audio
from listenlens.pipeline.diarize import get_diarizer, select_backend
from listenlens.pipeline.diarize.channels import ChannelDiarizer, is_effectively_mono

TOLERANCE_S = 0.15

# rep on channel 0, customer on channel 1; the customer cuts in 1.2 s before the rep
# finishes, and later answers with a backchannel between two rep lines.
SCRIPT = [
    Line("rep", "Hi, this is Sam from Acme. How are you doing today?", at=0.5),
    Line("customer", "Good, thanks. I was hoping you would call.", gap=0.6),
    Line("rep", "Great. I wanted to follow up on the proposal we sent last week.", gap=0.4),
    Line("customer", "Sorry, before you go on, can I ask about pricing?", gap=-1.2),
    Line("rep", "Of course.", gap=0.3),
    Line("customer", "Mm-hmm.", gap=0.2),
    Line("rep", "It depends on the number of seats you need.", gap=0.3),
]
PARTY = {"rep": "CH0", "customer": "CH1"}


def _call(tmp_path, crosstalk_db, script=SCRIPT):
    path = tmp_path / f"call{crosstalk_db}.wav"
    truth = make_call(script, path, stereo=True, crosstalk_db=crosstalk_db)
    return load_audio(path), truth


def _spans(turns, label):
    return [(t.start, t.end) for t in turns if t.speaker == label]


@pytest.mark.parametrize("crosstalk_db", [None, -25.0, -15.0])
def test_turns_match_each_line_at_both_edges(tmp_path, crosstalk_db):
    audio, truth = _call(tmp_path, crosstalk_db)
    dia = ChannelDiarizer().diarize(audio)
    for party, label in PARTY.items():
        want = [(s.start, s.end) for s in truth if s.speaker == party]
        got = _spans(dia.turns, label)
        assert len(got) == len(want), f"{label}: found {got}, built {want}"
        for (gs, ge), (ws, we) in zip(got, want):
            assert abs(gs - ws) <= TOLERANCE_S and abs(ge - we) <= TOLERANCE_S, f"{label}: {gs, ge} vs {ws, we}"


def test_interruption_is_kept_as_overlap_under_crosstalk(tmp_path):
    audio, truth = _call(tmp_path, -25.0)
    dia = ChannelDiarizer().diarize(audio)
    rep_line, cut_in = truth[2], truth[3]
    overlap_truth = rep_line.end - cut_in.start
    rep = [t for t in dia.turns if t.speaker == "CH0" and t.start < cut_in.start < t.end]
    cust = [t for t in dia.turns if t.speaker == "CH1" and t.start < rep_line.end < t.end]
    assert rep and cust, "both parties must be heard during the interruption"
    overlap = min(rep[0].end, cust[0].end) - max(rep[0].start, cust[0].start)
    assert overlap == pytest.approx(overlap_truth, abs=2 * TOLERANCE_S)


def test_leak_alone_is_not_speech(tmp_path):
    # Only the rep talks; the customer's channel carries nothing but the rep's leak.
    script = [
        Line("rep", "Hello, I am calling about your order from last week.", at=0.4),
        Line("rep", "Please call me back when you have a minute. Thanks.", gap=0.8),
    ]
    audio, truth = _call(tmp_path, -20.0, script)
    dia = ChannelDiarizer().diarize(audio)
    assert _spans(dia.turns, "CH1") == []
    assert len(_spans(dia.turns, "CH0")) == 2


def test_backchannel_in_a_pause_splits_the_speech_but_a_plain_pause_does_not(tmp_path):
    script = [
        Line("rep", "We can start next month.", at=0.4),
        Line("customer", "Yeah.", gap=0.08),
        Line("rep", "Or the week after, if that suits you better.", gap=0.08),
        Line("rep", "Let me know.", gap=0.4),  # the rep's own pause, nobody else speaks
    ]
    audio, truth = _call(tmp_path, -25.0, script)
    rep_pause = truth[2].start - truth[0].end
    assert rep_pause < ChannelDiarizer().tuning.pause_s  # short enough to be bridged if empty
    dia = ChannelDiarizer().diarize(audio)
    rep = _spans(dia.turns, "CH0")
    want = [(truth[0].start, truth[0].end), (truth[2].start, truth[3].end)]
    assert len(rep) == 2, rep
    for (gs, ge), (ws, we) in zip(rep, want):
        assert abs(gs - ws) <= TOLERANCE_S and abs(ge - we) <= TOLERANCE_S
    assert len(_spans(dia.turns, "CH1")) == 1


@pytest.mark.parametrize("reply", ["Yes.", "Right."])
@pytest.mark.parametrize("crosstalk_db", [-30.0, None])
def test_a_latched_reply_splits_the_speech(tmp_path, reply, crosstalk_db):
    # The customer answers the moment the rep stops, and the rep resumes the moment the
    # answer ends: the rep's "pause" is the customer's turn, not a pause to bridge.
    script = [
        Line("rep", "We can start the rollout next month", at=0.4),
        Line("customer", reply, gap=0.0),
        Line("rep", "or the week after, if that suits you better.", gap=0.0),
    ]
    audio, truth = _call(tmp_path, crosstalk_db, script)
    assert truth[2].start - truth[0].end < ChannelDiarizer().tuning.pause_s
    rep = _spans(ChannelDiarizer().diarize(audio).turns, "CH0")
    want = [(truth[0].start, truth[0].end), (truth[2].start, truth[2].end)]
    assert len(rep) == 2, f"found {rep}, built {want}"
    for (gs, ge), (ws, we) in zip(rep, want):
        assert abs(gs - ws) <= TOLERANCE_S and abs(ge - we) <= TOLERANCE_S, f"{gs, ge} vs {ws, we}"


def test_a_short_opening_word_at_telephone_quality_is_found(shared_data, tmp_path):
    # The phone sample's first word (speaker90, 6.69-7.12 s, ~30 dB above the line noise)
    # on its own channel at telephone quality: Silero scores it over 0.35 for a single
    # 32 ms frame, which its minimum speech length alone would throw away.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from make_long_call import _leak_and_noise, _solo_turns, read_mono, telephone_band

    from listenlens.pipeline.rttm import read_rttm

    x = read_mono(shared_data / "pyannote-sample" / "sample.wav")[: 12 * 16000]
    turns = [(t.start, t.end, t.speaker) for t in read_rttm(shared_data / "pyannote-sample" / "sample.rttm").turns["sample"]]
    stereo = np.zeros((2, len(x)), dtype=np.float32)
    for start, end, speaker in _solo_turns(turns, len(x) / 16000):
        a, b = int(start * 16000), int(end * 16000)
        stereo[["speaker90", "speaker91"].index(speaker), a:b] = x[a:b]
    from callsynth import write_wav

    write_wav(tmp_path / "phone.wav", np.stack([telephone_band(ch) for ch in _leak_and_noise(stereo)]), rate=8000)
    dia = ChannelDiarizer().diarize(load_audio(tmp_path / "phone.wav"))
    first = [t for t in dia.turns if t.speaker == "CH0" and t.start < 7.12 and t.end > 6.69]
    assert first, f"the opening word was not found: {_spans(dia.turns, 'CH0')}"
    heard = min(first[0].end, 7.12) - max(first[0].start, 6.69)
    assert heard >= 0.8 * (7.12 - 6.69)


def test_leak_path_is_measured(tmp_path):
    audio, _ = _call(tmp_path, -25.0)
    dia = ChannelDiarizer().diarize(audio)
    # callsynth leaks each channel into the other at -25 dB, 12 ms late.
    for path in dia.info["leak"]:
        assert path["gain_db"] == pytest.approx(-25.0, abs=2.0)
        assert 0.0 <= path["delay_s"] <= 0.03


def test_labels_and_channel_map(tmp_path):
    audio, _ = _call(tmp_path, None)
    dia = ChannelDiarizer().diarize(audio)
    assert dia.backend == "channels"
    assert dia.channel_of == {"CH0": 0, "CH1": 1}
    assert {t.speaker for t in dia.turns} == {"CH0", "CH1"}
    assert all(0 <= t.start < t.end <= audio.duration for t in dia.turns)


def test_mono_recording_is_refused():
    with pytest.raises(AudioError, match="one channel"):
        ChannelDiarizer().diarize(Audio(np.zeros((1, 16000), np.float32)))


# -- duplicate stereo ------------------------------------------------------------------


@pytest.fixture(scope="module")
def stereo_call(tmp_path_factory):
    audio, _ = _call(tmp_path_factory.mktemp("dup"), -25.0)
    return audio


def test_identical_channels_are_mono(stereo_call):
    mix = stereo_call.mono()
    assert is_effectively_mono(Audio(np.stack([mix, mix])))


def test_near_identical_channels_are_mono(stereo_call):
    mix = stereo_call.mono()
    noise = np.random.default_rng(0).normal(0, 1e-3, mix.size).astype(np.float32)
    other = 0.5 * np.roll(mix, 5) + noise  # other gain, 0.3 ms late, codec-like noise
    assert is_effectively_mono(Audio(np.stack([mix, other]).astype(np.float32)))


def test_duplicate_through_a_lossy_codec_is_mono(stereo_call, tmp_path):
    av = pytest.importorskip("av")
    from callsynth import write_wav

    mix = stereo_call.mono() * 0.8
    wav, mp3 = tmp_path / "dup.wav", tmp_path / "dup.mp3"
    write_wav(wav, np.stack([mix, mix]))
    with av.open(str(mp3), "w") as out:
        stream = out.add_stream("libmp3lame", rate=16000, layout="stereo")
        stream.bit_rate = 32000
        with av.open(str(wav)) as src:
            for frame in src.decode(audio=0):
                frame.pts = None
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    assert is_effectively_mono(load_audio(mp3))


def test_one_silent_channel_is_mono(stereo_call):
    mix = stereo_call.mono()
    assert is_effectively_mono(Audio(np.stack([mix, np.zeros_like(mix)])))


def test_dual_channel_call_with_crosstalk_is_not_mono(stereo_call):
    assert not is_effectively_mono(stereo_call)


def test_true_mono_is_mono(stereo_call):
    assert is_effectively_mono(Audio(stereo_call.mono()[None]))


# -- backend selection -----------------------------------------------------------------


def test_auto_picks_channels_for_a_dual_channel_call(stereo_call):
    assert select_backend("auto", stereo_call) == "channels"


def test_auto_picks_segmented_for_mono_and_duplicated_stereo(stereo_call):
    mix = stereo_call.mono()
    assert select_backend("auto", Audio(mix[None])) == "segmented"
    assert select_backend("auto", Audio(np.stack([mix, mix]))) == "segmented"


def test_channels_on_a_mono_file_is_a_config_error(stereo_call):
    mix = stereo_call.mono()
    with pytest.raises(ConfigError, match="mono"):
        select_backend("channels", Audio(mix[None]))
    with pytest.raises(ConfigError, match="same audio"):
        select_backend("channels", Audio(np.stack([mix, mix])))


def test_explicit_backends_pass_through(stereo_call):
    assert select_backend("channels", stereo_call) == "channels"
    assert select_backend("embedded", stereo_call) == "embedded"
    assert select_backend("segmented", stereo_call) == "segmented"
    assert select_backend("pyannote", stereo_call) == "pyannote"


def test_unknown_backend_is_a_config_error(stereo_call):
    with pytest.raises(ConfigError, match="unknown diarizer 'nemo'"):
        select_backend("nemo", stereo_call)
    with pytest.raises(ConfigError, match="unknown diarizer"):
        get_diarizer("nemo", None)
    with pytest.raises(ConfigError, match="select_backend"):
        get_diarizer("auto", None)


def test_get_diarizer_builds_each_backend():
    from listenlens.pipeline.diarize import DiarizerSettings

    settings = DiarizerSettings()
    assert get_diarizer("channels", settings).name == "channels"
    assert get_diarizer("embedded", settings).name == "embedded"
    assert get_diarizer("segmented", settings).name == "segmented"
