"""Make audio files in every format a call can arrive in, for decoder tests.

Files are encoded with PyAV (the same FFmpeg that decodes them), from a numpy signal
with events at known times, or from ``callsynth`` speech:

    sig = tone_bursts(4.0, 8000, [Burst(channel=0, at=1.0), Burst(channel=1, at=2.5)], channels=2)
    write_audio(tmp_path / "call.mp3", sig, 8000, "mp3")
    truth = speech_file(tmp_path / "call.m4a", "m4a", script, stereo=True)

``FORMATS`` names every (container, codec) pair the decoder must read. The helpers at
the end damage a good file in the ways uploads really get damaged (cut short, random
bytes after the header, garbage in the middle, a header with no frames).
"""

from __future__ import annotations

import io
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Fmt:
    container: str  # FFmpeg muxer name
    codec: str  # FFmpeg encoder name
    sample_fmt: str  # what the encoder takes
    suffix: str
    lossy: bool = False
    rates: tuple[int, ...] | None = None  # rates the codec accepts; None: any


FORMATS: dict[str, Fmt] = {
    "wav_u8": Fmt("wav", "pcm_u8", "u8", ".wav"),
    "wav_s16": Fmt("wav", "pcm_s16le", "s16", ".wav"),
    "wav_s24": Fmt("wav", "pcm_s24le", "s32", ".wav"),
    "wav_s32": Fmt("wav", "pcm_s32le", "s32", ".wav"),
    "wav_f32": Fmt("wav", "pcm_f32le", "flt", ".wav"),
    "wav_mulaw": Fmt("wav", "pcm_mulaw", "s16", ".wav"),
    "wav_alaw": Fmt("wav", "pcm_alaw", "s16", ".wav"),
    "flac": Fmt("flac", "flac", "s16", ".flac"),
    "mp3": Fmt("mp3", "libmp3lame", "fltp", ".mp3", lossy=True),
    "m4a": Fmt("ipod", "aac", "fltp", ".m4a", lossy=True),
    "ogg_opus": Fmt("ogg", "libopus", "flt", ".ogg", lossy=True, rates=(8000, 12000, 16000, 24000, 48000)),
    "webm": Fmt("webm", "libopus", "flt", ".webm", lossy=True, rates=(8000, 12000, 16000, 24000, 48000)),
}


@dataclass(frozen=True)
class Burst:
    """A tone burst: ``length`` seconds of ``freq`` Hz at ``dbfs`` starting at ``at``."""

    channel: int = 0
    at: float = 1.0
    length: float = 0.3
    freq: float = 1000.0
    dbfs: float = -6.0  # peak level of the sine


def tone_bursts(
    duration: float, rate: int, bursts: list[Burst], *, channels: int = 1, noise_dbfs: float | None = -70.0, seed: int = 0
) -> np.ndarray:
    """(channels, n) float32 signal: faint noise with tone bursts at known times.

    Each burst has 5 ms raised-cosine ramps so lossy codecs do not smear a click over
    the onset; the half-amplitude point is 2.5 ms after ``at``.
    """
    n = int(round(duration * rate))
    rng = np.random.default_rng(seed)
    if noise_dbfs is None:
        sig = np.zeros((channels, n), dtype=np.float32)
    else:
        sig = rng.normal(0, 10 ** (noise_dbfs / 20), (channels, n)).astype(np.float32)
    for b in bursts:
        i0 = int(round(b.at * rate))
        m = int(round(b.length * rate))
        t = np.arange(m) / rate
        tone = 10 ** (b.dbfs / 20) * np.sin(2 * np.pi * b.freq * t)
        ramp = min(int(0.005 * rate), m // 2)
        env = np.ones(m)
        env[:ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        env[m - ramp :] = env[:ramp][::-1]
        sig[b.channel, i0 : i0 + m] += (tone * env)[: n - i0].astype(np.float32)
    return sig


def write_audio(
    path: Path, samples: np.ndarray, rate: int, fmt: str, *, bitrate: int | None = None, seekable: bool = True
) -> Path:
    """Encode (channels, n) float samples in [-1, 1] to ``path`` in format ``fmt``.

    ``seekable=False`` writes as to a pipe, so the muxer cannot go back and fill in the
    duration (WebM, FLAC): the file then declares no duration, like a live recording.
    """
    import av

    spec = FORMATS[fmt]
    if spec.rates is not None and rate not in spec.rates:
        raise ValueError(f"{spec.codec} cannot encode at {rate} Hz; use one of {spec.rates}")
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    channels = samples.shape[0]
    layout = {1: "mono", 2: "stereo"}.get(channels) or av.AudioLayout(f"{channels}c").name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, av.open(raw if seekable else _Pipe(raw), "w", format=spec.container) as out:
        stream = out.add_stream(spec.codec, rate=rate, layout=layout)
        stream.codec_context.format = spec.sample_fmt
        if bitrate is not None:
            stream.codec_context.bit_rate = bitrate
        block = rate  # one second per frame; PyAV re-frames to the codec's frame size
        for start in range(0, samples.shape[1], block):
            frame = _frame(samples[:, start : start + block], spec.sample_fmt, layout, rate)
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


class _Pipe(io.RawIOBase):
    def __init__(self, f):
        self.f = f

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, b) -> int:
        return self.f.write(b)


def _frame(x: np.ndarray, sample_fmt: str, layout: str, rate: int):
    import av

    x = np.clip(x, -1.0, 1.0)
    planar = sample_fmt.endswith("p")
    if sample_fmt.startswith("flt"):
        arr = x.astype(np.float32)
    elif sample_fmt.startswith("s16"):
        arr = np.round(x * 32767).astype(np.int16)
    elif sample_fmt.startswith("s32"):
        arr = np.round(x.astype(np.float64) * 2147483647).astype(np.int32)
    elif sample_fmt.startswith("u8"):
        arr = np.round(x * 127 + 128).astype(np.uint8)
    else:
        raise ValueError(sample_fmt)
    if not planar:
        arr = arr.T.reshape(1, -1)  # interleave
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(arr), format=sample_fmt, layout=layout)
    frame.rate = rate
    return frame


def speech_file(path: Path, fmt: str, script, *, stereo: bool = False, rate: int = 16000, **kwargs):
    """Render a ``callsynth`` script and encode it in ``fmt`` at ``rate``; returns the truth."""
    from scipy.signal import resample_poly

    from callsynth import SR, make_call

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "call.wav"
        truth = make_call(script, wav, stereo=stereo, **kwargs)
        samples, wav_rate = read_wav(wav)
    if rate != wav_rate:
        from math import gcd

        g = gcd(rate, SR)
        samples = resample_poly(samples, rate // g, SR // g, axis=1).astype(np.float32)
    write_audio(path, samples, rate, fmt)
    return truth


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as (channels, n) float32, without going through FFmpeg."""
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return data.reshape(-1, w.getnchannels()).T.copy(), w.getframerate()


# --- damaged files -------------------------------------------------------------------


def cut(src: Path, dst: Path, keep: float = 0.5) -> Path:
    """The first ``keep`` of ``src``'s bytes: an upload that stopped half-way."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


def random_after_header(src: Path, dst: Path, header_bytes: int | None = None, seed: int = 0) -> Path:
    """``src``'s header then random bytes, same total size.

    ``header_bytes`` None: a WAV keeps everything up to its sample data (so the header
    is intact and declares the right length); other formats keep their first 1 KB.
    """
    data = src.read_bytes()
    if header_bytes is None:
        header_bytes = data.index(b"data") + 8 if data[:4] == b"RIFF" else 1024
    rng = np.random.default_rng(seed)
    junk = rng.integers(0, 256, len(data) - header_bytes, dtype=np.uint8).tobytes()
    dst.write_bytes(data[:header_bytes] + junk)
    return dst


def garbage_middle(src: Path, dst: Path, fraction: float = 0.4, seed: int = 0) -> Path:
    """``src`` with its middle ``fraction`` of bytes overwritten by random bytes."""
    data = bytearray(src.read_bytes())
    n = int(len(data) * fraction)
    start = (len(data) - n) // 2
    rng = np.random.default_rng(seed)
    data[start : start + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def empty_wav(path: Path, rate: int = 16000, channels: int = 1) -> Path:
    """A valid WAV header that declares zero frames."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"")
    return path


def video_without_audio(path: Path, seconds: float = 1.0) -> Path:
    """A small video file (MPEG-4 in MP4) with no audio stream."""
    import av

    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(int(seconds * 10)):
            img = np.full((48, 64, 3), (i * 20) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


# --- hostile files: built here, never committed --------------------------------------


def pcm_wav(path: Path, samples: np.ndarray, rate: int, *, header_rate: int | None = None) -> Path:
    """(channels, n) float samples as a plain 16-bit WAV, written directly (any channel count).

    ``header_rate`` writes a different sample rate into the header than the data has:
    a header that lies.
    """
    import struct

    channels = samples.shape[0]
    pcm = (np.clip(samples.T, -1, 1) * 32767).astype("<i2").tobytes()
    hdr_rate = header_rate or rate
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, hdr_rate, hdr_rate * 2 * channels, 2 * channels, 16))
        f.write(b"data" + struct.pack("<I", len(pcm)) + pcm)
    return path


def silent_flac(path: Path, seconds: float, *, rate: int = 8000, channels: int = 1) -> Path:
    """``seconds`` of digital silence as FLAC: hours fit in well under a megabyte."""
    import soundfile as sf

    block = np.zeros((rate * 600, channels), dtype=np.int16)
    left = int(seconds * rate)
    with sf.SoundFile(path, "w", samplerate=rate, channels=channels, format="FLAC", subtype="PCM_16") as f:
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return path


def flac_declaring(src: Path, dst: Path, seconds: float) -> Path:
    """``src`` (a FLAC) with its STREAMINFO header claiming ``seconds`` of audio, whatever it holds."""
    data = bytearray(src.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0, "STREAMINFO must be the first block"
    info = 8  # "fLaC" + the block header
    packed = int.from_bytes(data[info + 10 : info + 18], "big")  # rate:20 channels:3 bps:5 total:36
    rate = packed >> 44
    packed = (packed & ~((1 << 36) - 1)) | int(seconds * rate)
    data[info + 10 : info + 18] = packed.to_bytes(8, "big")
    dst.write_bytes(bytes(data))
    return dst


# Stand-ins for a decoder that misbehaves, run in the decoding child in place of the real
# one (they are importable, so the child can find them by name).


def decoder_segfault(*args):
    import faulthandler

    faulthandler._sigsegv()


def decoder_hog(*args):
    hoard = []
    while True:
        hoard.append(np.ones(1 << 25, dtype=np.uint8))  # 32 MB at a time, touched


def decoder_hang(*args):
    import time

    while True:
        time.sleep(1)


def counting_samples(channels: int, n: int):
    """What a decode returns, (info, (channels, n) samples), with every sample distinct."""
    return {"made": "counting"}, np.arange(channels * n, dtype=np.float32).reshape(channels, n)
