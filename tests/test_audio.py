"""Audio in: every format decodes to 16 kHz with channels, levels and timing intact;
every kind of bad file is an AudioError with a one-line message."""

from __future__ import annotations

import json
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

import audiofiles
from audiofiles import (
    FORMATS,
    Burst,
    cut,
    empty_wav,
    flac_declaring,
    garbage_middle,
    pcm_wav,
    random_after_header,
    silent_flac,
    speech_file,
    tone_bursts,
    video_without_audio,
    write_audio,
)
from listenlens.errors import AudioError, TooLongError
from listenlens.pipeline import audio as audio_mod
from listenlens.pipeline import decode_sandbox
from listenlens.pipeline.audio import SAMPLE_RATE, Audio, AudioLimits, is_silent, level_dbfs, load_audio, probe_audio

DURATION = 4.0
# Distinct times per channel: a swapped, mixed or averaged channel shows up at once,
# and the late burst on channel 0 catches a resampling drift.
BURSTS = [Burst(0, 0.5), Burst(0, 3.2), Burst(1, 1.7, dbfs=-12.0), Burst(2, 2.4, dbfs=-20.0)]
BURST_LEVEL_DB = {b.at: b.dbfs - 3.01 for b in BURSTS}  # RMS of a sine = peak - 3 dB
TIMING_TOL = 0.020
ENCODER_DELAY_TOL = 0.030  # AAC/MP3/Opus priming must be trimmed to within this


def onsets(x: np.ndarray, level: float, min_gap: float = 0.1) -> list[float]:
    """Times where |x| first rises above ``level`` after at least ``min_gap`` below it."""
    idx = np.flatnonzero(np.abs(x) > level)
    if idx.size == 0:
        return []
    starts = [idx[0]] + [b for a, b in zip(idx[:-1], idx[1:]) if b - a > min_gap * SAMPLE_RATE]
    return [s / SAMPLE_RATE for s in starts]


def bursts_for(channels: int) -> list[Burst]:
    return [b for b in BURSTS if b.channel < channels]


# (format, source rate, channels): every codec, telephone 8 kHz, common studio rates, mono to 3 channels.
CASES = [
    ("wav_u8", 8000, 1),
    ("wav_s16", 44100, 2),
    ("wav_s16", 16000, 3),
    ("wav_s24", 48000, 2),
    ("wav_s32", 22050, 1),
    ("wav_f32", 16000, 2),
    ("wav_mulaw", 8000, 1),
    ("wav_alaw", 8000, 2),
    ("flac", 44100, 2),
    ("mp3", 44100, 2),
    ("mp3", 8000, 1),
    ("m4a", 48000, 2),
    ("m4a", 8000, 1),
    ("ogg_opus", 48000, 2),
    ("ogg_opus", 8000, 1),
    ("webm", 48000, 2),
]


@pytest.mark.parametrize("fmt,rate,channels", CASES, ids=[f"{f}-{r}Hz-{c}ch" for f, r, c in CASES])
def test_format_decodes_with_timing_levels_and_channels(tmp_path, fmt, rate, channels):
    spec = FORMATS[fmt]
    bursts = bursts_for(channels)
    path = write_audio(tmp_path / f"call{spec.suffix}", tone_bursts(DURATION, rate, bursts, channels=channels), rate, fmt)

    audio = load_audio(path)

    assert audio.sample_rate == SAMPLE_RATE
    assert audio.samples.dtype == np.float32
    assert audio.samples.shape == (channels, audio.samples.shape[1])
    assert audio.channels == channels and audio.source["channels"] == channels
    assert abs(audio.duration - DURATION) <= TIMING_TOL, audio.duration
    tol_db = 1.5 if spec.lossy else 0.5
    for ch in range(channels):
        expected = [b for b in bursts if b.channel == ch]
        x = audio.channel(ch)
        quietest = min(b.dbfs for b in expected)
        found = onsets(x, 0.5 * 10 ** (quietest / 20))
        assert len(found) == len(expected), (ch, found)
        for b, t in zip(expected, found):
            # The half-amplitude point of the 5 ms ramp is 2.5 ms in; a codec's
            # unremoved priming would push it later by its delay.
            assert abs(t - b.at) <= min(TIMING_TOL, ENCODER_DELAY_TOL), (fmt, ch, b.at, t)
            body = x[int((b.at + 0.05) * SAMPLE_RATE) : int((b.at + b.length - 0.05) * SAMPLE_RATE)]
            assert abs(level_dbfs(body) - BURST_LEVEL_DB[b.at]) <= tol_db, (fmt, ch, level_dbfs(body))
        # Every other channel's burst must be absent here: channels kept, not mixed.
        for other in (b for b in bursts if b.channel != ch):
            seg = x[int((other.at + 0.05) * SAMPLE_RATE) : int((other.at + other.length - 0.05) * SAMPLE_RATE)]
            assert level_dbfs(seg) < -45, (fmt, ch, other.at, level_dbfs(seg))


@pytest.mark.parametrize("fmt", ["wav_mulaw", "m4a"])
def test_telephone_speech_lands_on_its_channel_at_the_right_time(tmp_path, fmt):
    from callsynth import Line

    script = [
        Line("rep", "Hi, this is Sam from Acme.", at=0.4),
        Line("customer", "Hello Sam.", gap=0.6),
        Line("rep", "Do you have a minute?", gap=0.5),
    ]
    truth = speech_file(tmp_path / f"call{FORMATS[fmt].suffix}", fmt, script, stereo=True, rate=8000)

    audio = load_audio(tmp_path / f"call{FORMATS[fmt].suffix}")

    assert audio.channels == 2
    assert abs(audio.duration - (truth[-1].end + 1.0)) <= TIMING_TOL
    for spoken in truth:
        ch = 0 if spoken.speaker == "rep" else 1
        x = audio.channel(ch)
        near = x[int((spoken.start - 0.3) * SAMPLE_RATE) : int((spoken.start + 0.3) * SAMPLE_RATE)]
        first = np.flatnonzero(np.abs(near) > 0.01)
        assert first.size, spoken
        heard = spoken.start - 0.3 + first[0] / SAMPLE_RATE
        assert abs(heard - spoken.start) <= TIMING_TOL, (spoken, heard)
    # The customer's words are not on the rep's channel.
    cust = truth[1]
    rep_during = audio.channel(0)[int(cust.start * SAMPLE_RATE) : int(cust.end * SAMPLE_RATE)]
    assert level_dbfs(rep_during) < -40


def test_real_phone_call_decodes_unchanged():
    path = Path("/work/shared/data/pyannote-sample/sample.wav")
    if not path.exists():
        pytest.skip("shared data not mounted")
    audio = load_audio(path)
    assert audio.channels == 1 and abs(audio.duration - 30.0) < 0.01
    # 16 kHz 16-bit in, so decoding must be exact up to the int16 -> float scale.
    with open(path, "rb") as f:
        data = f.read()
    start = data.index(b"data") + 8
    pcm = np.frombuffer(data[start : start + 2 * 16000], dtype="<i2").astype(np.float32) / 32768
    np.testing.assert_allclose(audio.samples[0, :16000], pcm, atol=1e-6)


def test_mono_mix_and_channel_access():
    samples = np.array([[0.5, -0.5, 0.25], [0.1, 0.1, -0.25]], dtype=np.float32)
    audio = Audio(samples=samples)
    np.testing.assert_allclose(audio.mono(), [0.3, -0.2, 0.0], atol=1e-7)
    np.testing.assert_array_equal(audio.channel(1), samples[1])
    assert audio.duration == 3 / SAMPLE_RATE


# --- memory ------------------------------------------------------------------------


def _decode_peak(path: Path, *, isolate: bool = False) -> tuple[Audio, int]:
    """The decoded audio and the peak of this process's allocations while decoding it."""
    tracemalloc.start()
    try:
        audio = load_audio(path, isolate=isolate)
        return audio, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("isolate", [False, True], ids=["decoded-here", "decoded-in-child"])
def test_hour_long_call_is_held_once(tmp_path, isolate):
    # 60 minutes of 8 kHz telephone audio: 230 MB once decoded to 16 kHz float32.
    minutes, rate = 60, 8000
    rng = np.random.default_rng(1)
    minute = rng.normal(0, 0.05, rate * 60).astype(np.float32)
    path = tmp_path / "hour.wav"
    pcm = (minute * 32767).astype("<i2").tobytes()
    with open(path, "wb") as f:  # written directly: encoding an hour through PyAV costs test time
        size = len(pcm) * minutes
        f.write(b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16))
        f.write(b"data" + struct.pack("<I", size))
        for _ in range(minutes):
            f.write(pcm)
    audio, peak = _decode_peak(path, isolate=isolate)
    assert audio.duration == pytest.approx(minutes * 60, abs=0.01)
    assert audio.samples.flags["C_CONTIGUOUS"]
    # List-of-chunks + concatenate would peak at 2x; one buffer filled in place stays at 1x,
    # and so does the caller's copy received from the decoding child.
    assert peak < 1.1 * audio.samples.nbytes, peak / audio.samples.nbytes


def test_buffer_grows_and_trims_when_the_duration_is_unknown(tmp_path, monkeypatch):
    channels, seconds = 3, 20.0
    sig = tone_bursts(seconds, 16000, bursts_for(3), channels=channels, noise_dbfs=-40)
    path = write_audio(tmp_path / "live.flac", sig, 16000, "flac", seekable=False)
    monkeypatch.setattr(audio_mod, "_initial_capacity", lambda declared, limit: 3 * SAMPLE_RATE)  # force growth

    audio, peak = _decode_peak(path)

    assert audio.source["declared_duration"] is None
    assert audio.samples.shape == (channels, int(seconds * SAMPLE_RATE))
    np.testing.assert_allclose(audio.samples, sig, atol=1e-4)  # rows moved intact through every resize
    assert peak < 1.6 * audio.samples.nbytes


def test_sample_buffer_matches_concatenation():
    rng = np.random.default_rng(2)
    blocks = [rng.standard_normal((2, int(k))).astype(np.float32) for k in rng.integers(1, 5000, 60)]
    buf = audio_mod._SampleBuffer(2, 1000)
    buf._STEP = 777  # many small moves, some overlapping
    for block in blocks:
        buf.append(block)
    np.testing.assert_array_equal(buf.finish(), np.concatenate(blocks, axis=1))


# --- bad input -----------------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([i * 20] * 8) for i in range(8))
    ihdr = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("good")
    sig = tone_bursts(DURATION, 16000, bursts_for(2), channels=2, noise_dbfs=-50)
    return {fmt: write_audio(d / f"ok_{fmt}{FORMATS[fmt].suffix}", sig, 16000, fmt) for fmt in ("wav_s16", "wav_f32", "mp3", "flac")}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bad(kind: str, tmp: Path, good: dict[str, Path]) -> Path:
    makers = {
        "text named .wav": lambda p: _write(p, b"Meeting notes\n" * 40),
        "json named .mp3": lambda p: _write(p, json.dumps({"call": "x" * 400}).encode()),
        "png named .wav": lambda p: _write(p, _png()),
        "empty": lambda p: _write(p, b""),
        "zero frames": lambda p: empty_wav(p),
        "wav cut in half": lambda p: cut(good["wav_s16"], p),
        "mp3 cut in half": lambda p: cut(good["mp3"], p),
        "flac cut in half": lambda p: cut(good["flac"], p),
        "wav random after header": lambda p: random_after_header(good["wav_s16"], p),
        "float wav random after header": lambda p: random_after_header(good["wav_f32"], p),
        "mp3 random after header": lambda p: random_after_header(good["mp3"], p),
        "wav garbage in middle": lambda p: garbage_middle(good["wav_s16"], p),
        "mp3 garbage in middle": lambda p: garbage_middle(good["mp3"], p),
        "folder": lambda p: p.mkdir() or p,
        "missing": lambda p: p,
        "video without audio": lambda p: video_without_audio(p),
        "3 MB of random bytes named .mp3": lambda p: _write(p, np.random.default_rng(4).bytes(3_000_000)),
        "device, not a file": lambda p: Path("/dev/zero"),
    }
    suffix = {
        "json named .mp3": ".mp3",
        "mp3 cut in half": ".mp3",
        "mp3 random after header": ".mp3",
        "mp3 garbage in middle": ".mp3",
        "3 MB of random bytes named .mp3": ".mp3",
        "flac cut in half": ".flac",
        "video without audio": ".mp4",
        "folder": "",
    }.get(kind, ".wav")
    return makers[kind](tmp / f"upload{suffix}")


BAD = {
    # kind: words the message must contain (what is wrong ... what to do)
    "text named .wav": ["not a recording", "give"],
    "json named .mp3": ["not a recording", "give"],
    "png named .wav": ["not a recording", "no audio", "give"],
    "empty": ["empty", "0 bytes", "give"],
    "zero frames": ["no audio samples", "zero length", "give"],
    "wav cut in half": ["truncated", "4.0 s", "2.0 s", "re-upload"],
    "mp3 cut in half": ["truncated", "re-upload"],
    "flac cut in half": ["truncated", "re-upload"],
    "wav random after header": ["corrupt", "random data", "re-upload"],
    "float wav random after header": ["corrupt", "re-upload"],
    "mp3 random after header": ["corrupt", "re-upload"],
    "wav garbage in middle": ["corrupt", "random data", "from 0:01", "re-upload"],
    "mp3 garbage in middle": ["damaged", "re-upload"],
    "folder": ["folder", "give a recording file"],
    "missing": ["no such file", "check the path"],
    "video without audio": ["video", "no audio", "give"],
    "3 MB of random bytes named .mp3": ["corrupt", "could not be decoded", "re-upload"],
    "device, not a file": ["not a regular file", "give a recording file"],
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_is_a_one_line_audio_error(tmp_path, good, kind):
    path = _bad(kind, tmp_path, good)
    with pytest.raises(AudioError) as err:
        load_audio(path)
    message = str(err.value)
    assert "\n" not in message
    for words in BAD[kind]:
        assert words in message, (kind, message)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "kind", ["text named .wav", "png named .wav", "empty", "zero frames", "wav cut in half",
             "wav random after header", "mp3 random after header", "folder", "missing", "video without audio"]
)
def test_probe_refuses_the_same_bad_input(tmp_path, good, kind):
    path = _bad(kind, tmp_path, good)
    with pytest.raises(AudioError) as err:
        probe_audio(path)
    for words in BAD[kind]:
        assert words in str(err.value), (kind, str(err.value))


def test_too_long_is_refused_from_the_declared_duration(good, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("decoding started")

    monkeypatch.setattr(audio_mod, "_Decoder", no_decoding)
    for check in (load_audio, probe_audio):
        with pytest.raises(TooLongError, match=r"lasts 4\.0 s, over the 1\.0 s limit: split the recording"):
            check(good["mp3"], max_duration_s=1.0, isolate=False)


def test_too_long_without_declared_duration_stops_while_decoding(tmp_path, monkeypatch):
    # Written as to a pipe: the WebM holds no duration, like a browser's live recording.
    path = write_audio(tmp_path / "live.webm", tone_bursts(6.0, 48000, [Burst(0, 1.0)]), 48000, "webm", seekable=False)
    decoded: list[float] = []
    original = audio_mod._Decoder._stop

    def spy(self):
        decoded.append(self.decoded / SAMPLE_RATE)
        return original(self)

    monkeypatch.setattr(audio_mod._Decoder, "_stop", spy)
    # Packets that do not tell (or understate) their duration: only decoding can tell.
    monkeypatch.setattr(audio_mod, "_scan_duration", lambda path, limits: (None, False))
    with pytest.raises(TooLongError, match=r"lasts over the 2\.0 s limit: split the recording"):
        load_audio(path, max_duration_s=2.0, isolate=False)
    assert max(decoded) < 2.5  # stopped at the limit, not after decoding all 6 s
    assert load_audio(path).source["declared_duration"] is None


def test_too_long_without_declared_duration_is_refused_from_its_packets(tmp_path, monkeypatch):
    path = write_audio(tmp_path / "live.webm", tone_bursts(6.0, 48000, [Burst(0, 1.0)]), 48000, "webm", seekable=False)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoding started")

    monkeypatch.setattr(audio_mod, "_Decoder", no_decoding)
    for check in (load_audio, probe_audio):
        with pytest.raises(TooLongError, match=r"lasts over the 2\.0 s limit: split the recording"):
            check(path, max_duration_s=2.0, isolate=False)


def test_probe_reads_only_the_start_of_a_good_file(tmp_path):
    sig = tone_bursts(30.0, 16000, [Burst(1, 20.0)], channels=2)
    path = write_audio(tmp_path / "call.mp3", sig, 16000, "mp3")
    info = probe_audio(path, max_duration_s=60)
    assert info["channels"] == 2
    assert info["codec"].startswith("mp3") and info["sample_rate"] == 16000
    assert info["duration"] == pytest.approx(30.0, abs=0.05)
    assert 4.0 <= info["probed_s"] < 7.0


# --- hostile files: limits hold while decoding, and nothing takes the caller down -----------


def _many_channels(path: Path, channels: int) -> Path:
    """A 2 s WAV whose last channel alone carries a burst at 1.2 s."""
    sig = tone_bursts(2.0, 16000, [Burst(channels - 1, 1.2)], channels=channels, noise_dbfs=-50)
    return pcm_wav(path, sig, 16000)


@pytest.mark.parametrize("channels", [8, 16, 64])
def test_many_channels_decode_intact_when_allowed(tmp_path, channels):
    path = _many_channels(tmp_path / f"{channels}ch.wav", channels)
    audio = load_audio(path, limits=AudioLimits(max_channels=64))
    assert audio.channels == channels
    last = audio.channel(channels - 1)
    assert onsets(last, 0.25) == [pytest.approx(1.2, abs=TIMING_TOL)]
    assert level_dbfs(audio.samples[: channels - 1]) < -45  # the burst stays on its own channel


@pytest.mark.parametrize("channels", [16, 64])
def test_too_many_channels_is_refused(tmp_path, channels):
    path = _many_channels(tmp_path / f"{channels}ch.wav", channels)
    for check in (probe_audio, load_audio):
        with pytest.raises(AudioError) as err:
            check(path)
        assert f"has {channels} channels, over the 8-channel limit" in str(err.value)
        assert "mix it down" in str(err.value) and "LISTENLENS_MAX_CHANNELS" in str(err.value)
    assert load_audio(_many_channels(tmp_path / "8ch.wav", 8)).channels == 8  # the default allows 8


@pytest.fixture(scope="module")
def flac_bomb(tmp_path_factory) -> Path:
    """5 hours of silence: under half a megabyte of FLAC, 1.1 GB once decoded."""
    return silent_flac(tmp_path_factory.mktemp("bomb") / "bomb.flac", 5 * 3600)


def test_flac_bomb_is_refused_without_decoding_it(flac_bomb):
    assert flac_bomb.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        for check in (probe_audio, load_audio):
            with pytest.raises(AudioError, match=r"bomb\.flac lasts over the 4 h limit: split the recording"):
                check(flac_bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000  # refused, not decoded into this process


def test_bomb_is_refused_in_the_child_before_decoding(flac_bomb, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("decoding started")

    monkeypatch.setattr(audio_mod, "_Decoder", no_decoding)  # the same code, run here to watch it
    with pytest.raises(AudioError, match="lasts over the 4 h limit"):
        load_audio(flac_bomb, isolate=False)


def test_decoded_size_limit_counts_every_channel(tmp_path):
    path = silent_flac(tmp_path / "six.flac", 600, channels=6)  # 10 min x 6 channels: 230 MB decoded
    limits = AudioLimits(max_decoded_mb=100)
    for check in (probe_audio, load_audio):
        with pytest.raises(AudioError) as err:
            check(path, limits=limits)
        assert "decodes to more than the 100 MB limit (6 channels x 10 min" in str(err.value)
        assert "LISTENLENS_MAX_DECODED_MB" in str(err.value)
    assert probe_audio(path, limits=AudioLimits(max_decoded_mb=300))["channels"] == 6


def test_header_understating_the_length_does_not_get_past_the_limit(tmp_path, monkeypatch):
    # Ten minutes of audio whose FLAC header claims ten seconds.
    liar = flac_declaring(silent_flac(tmp_path / "ten_min.flac", 600), tmp_path / "liar.flac", 10.0)
    assert probe_audio(liar, max_duration_s=7200)["duration"] == pytest.approx(10.0)  # the header is believed...
    for check in (probe_audio, load_audio):
        with pytest.raises(AudioError, match=r"liar\.flac lasts over the 2 min limit"):  # ...its packets are counted
            check(liar, max_duration_s=120)
    # Packets that lie as well: decoding itself stops at the limit.
    monkeypatch.setattr(audio_mod, "_scan_duration", lambda path, limits: (None, False))
    with pytest.raises(AudioError, match=r"liar\.flac lasts over the 2 min limit"):
        load_audio(liar, max_duration_s=120, isolate=False)


@pytest.mark.parametrize("rate", [1, 1_000_000])
def test_sample_rate_out_of_bounds_is_refused(tmp_path, rate):
    # The data is ordinary 16 kHz audio; the header claims another rate. At 1 Hz, a few
    # kilobytes would decode to days.
    path = pcm_wav(tmp_path / "odd_rate.wav", tone_bursts(1.0, 16000, [Burst(0, 0.2)]), 16000, header_rate=rate)
    for check in (probe_audio, load_audio):
        with pytest.raises(AudioError) as err:
            check(path)
        assert f"sampled at {rate} Hz, outside the 4000-384000 Hz" in str(err.value)
        assert "re-export it" in str(err.value)


def test_truncated_and_cut_files_fail_in_the_child_with_one_line(tmp_path, good):
    for src in (good["flac"], good["mp3"], good["wav_s16"]):
        path = cut(src, tmp_path / f"cut{src.suffix}", keep=0.3)
        with pytest.raises(AudioError) as err:
            load_audio(path)
        assert "\n" not in str(err.value) and "re-upload" in str(err.value), str(err.value)


def _run_in_child(fn, **kw):
    return decode_sandbox.run(fn, Path("x.wav"), name="call.wav", **{"timeout_s": 30.0, "memory_mb": None, **kw})


def test_samples_cross_from_the_child_intact():
    channels, n = 3, 3 * decode_sandbox._CHUNK // 2 + 7  # several chunks, the last one short
    info, samples = decode_sandbox.run(audiofiles.counting_samples, channels, n, name="-", timeout_s=60.0, memory_mb=512)
    assert info == {"made": "counting"} and samples.shape == (channels, n) and samples.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(samples.reshape(-1), np.arange(channels * n, dtype=np.float32))


def test_decoder_crash_is_a_clear_error_and_the_caller_lives_on(good, monkeypatch):
    with pytest.raises(AudioError) as err:
        _run_in_child(audiofiles.decoder_segfault)
    message = str(err.value)
    assert message.startswith("could not decode call.wav: the decoder crashed on it (SIGSEGV)")
    assert "re-export it" in message and "\n" not in message
    # The public entry points, with the real decoder swapped for the crashing one in the child.
    monkeypatch.setattr(audio_mod, "_load_here", audiofiles.decoder_segfault)
    monkeypatch.setattr(audio_mod, "_probe_here", audiofiles.decoder_segfault)
    for check in (probe_audio, load_audio):
        with pytest.raises(AudioError, match=r"ok_flac\.flac: the decoder crashed on it"):
            check(good["flac"])
    monkeypatch.undo()
    assert load_audio(good["flac"]).channels == 2  # still here, and decoding


def test_decoding_works_from_a_celery_prefork_worker(good, monkeypatch):
    # Such a worker (billiard) marks itself daemonic, which multiprocessing takes as "no
    # children", and holds an authkey of billiard's that refuses to be pickled.
    import multiprocessing

    billiard_process = pytest.importorskip("billiard.process")
    config = multiprocessing.current_process()._config
    monkeypatch.setitem(config, "daemon", True)
    monkeypatch.setitem(config, "authkey", billiard_process.AuthenticationString(b"k" * 32))
    assert load_audio(good["flac"]).channels == 2
    assert config["daemon"] is True


def test_decoder_out_of_memory_is_a_clear_error():
    with pytest.raises(AudioError) as err:
        _run_in_child(audiofiles.decoder_hog, memory_mb=200)
    assert str(err.value).startswith("could not decode call.wav: decoding needed more than the 200 MB memory")
    assert "LISTENLENS_MAX_DECODED_MB" in str(err.value)


def test_decoder_that_never_finishes_is_stopped():
    with pytest.raises(AudioError) as err:
        _run_in_child(audiofiles.decoder_hang, timeout_s=1.0)
    assert str(err.value).startswith("could not decode call.wav: decoding took longer than the 1 s limit")


def test_unexpected_decoder_failure_is_an_audio_error():
    with pytest.raises(AudioError, match=r"could not decode call\.wav: the decoder failed on it \(TypeError"):
        _run_in_child(len)  # len(Path) raises TypeError in the child


# --- silence -------------------------------------------------------------------------


def _audio(*channels: np.ndarray) -> Audio:
    return Audio(samples=np.stack(channels).astype(np.float32))


def test_silence_detection():
    rng = np.random.default_rng(3)
    n = 10 * SAMPLE_RATE
    zeros = np.zeros(n)
    hiss = rng.normal(0, 10 ** (-72 / 20), n)
    click = hiss.copy()
    click[SAMPLE_RATE : SAMPLE_RATE + 80] = 0.9  # a 5 ms pick-up click
    speechy = hiss.copy()
    speechy[3 * SAMPLE_RATE : 5 * SAMPLE_RATE] += rng.normal(0, 10 ** (-35 / 20), 2 * SAMPLE_RATE)

    assert is_silent(_audio(zeros))
    assert is_silent(_audio(hiss))
    assert is_silent(_audio(click))
    assert not is_silent(_audio(speechy))
    assert not is_silent(_audio(hiss, speechy))  # sound on the second channel only still counts
    assert is_silent(_audio(speechy), threshold_dbfs=-20)
    loud_hiss = rng.normal(0, 10 ** (-50 / 20), n)
    assert not is_silent(_audio(loud_hiss)) and is_silent(_audio(loud_hiss), threshold_dbfs=-40)
