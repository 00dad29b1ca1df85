"""Audio in: any recording -> float32 samples at 16 kHz, one row per channel.

Decoding goes through PyAV (FFmpeg), as faster-whisper's own ``decode_audio`` does, so
every container and codec FFmpeg reads works. Unlike ``decode_audio`` the channels are
kept: a call-recording platform puts one party on each channel, and averaging them
would throw away the best speaker information the call has.

Everything a user can get wrong about the file (missing, empty, not audio, cut short,
damaged, too long) is an ``AudioError`` with one line saying what is wrong and what to
do. ``probe_audio`` makes the same checks cheaply, for rejecting an upload up front.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from listenlens.errors import AudioError

SAMPLE_RATE = 16000
FORMATS_HINT = "WAV, MP3, M4A, OGG, FLAC or WebM"

# A declared duration is only believed if the file is big enough to hold it at this
# bitrate (below any speech codec FFmpeg ships); a corrupt header claiming 90 hours in
# a 2 MB file must not be reported as "too long".
_MIN_PLAUSIBLE_BPS = 2000
# Decoding less than this share of the declared duration means the file is cut short.
_TRUNCATED_BELOW = 0.9
# Decode errors tolerated (one bad packet in an hour-long call should not lose the call)
# as a share of packets read; above it the file is reported corrupt.
_BAD_PACKET_SHARE = 0.02
_GIVE_UP_AFTER = 50  # bad packets, when they are also most of what was read


@dataclass
class Audio:
    samples: np.ndarray  # (channels, n) float32 in [-1, 1] at ``sample_rate``
    sample_rate: int = SAMPLE_RATE
    source: dict = field(default_factory=dict)  # file, container, codec, original rate, channels, ...

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def channel(self, i: int) -> np.ndarray:
        return self.samples[i]

    def mono(self) -> np.ndarray:
        """A mono mix for models that take one signal; ``samples`` keeps every channel."""
        if self.channels == 1:
            return self.samples[0]
        return self.samples.mean(axis=0, dtype=np.float32)


def load_audio(path: str | Path, *, max_duration_s: float | None = None) -> Audio:
    """Decode ``path`` to 16 kHz float32, keeping channels. Raises ``AudioError``.

    A recording longer than ``max_duration_s`` is refused from its declared duration
    before any decoding, or as soon as decoding passes the limit when the container
    does not declare one.
    """
    samples, info = _read(path, max_duration_s=max_duration_s)
    info["duration"] = round(samples.shape[1] / SAMPLE_RATE, 3)
    return Audio(samples=samples, source=info)


def probe_audio(path: str | Path, *, max_duration_s: float | None = None, probe_s: float = 5.0) -> dict:
    """Check cheaply that ``path`` is a usable recording; raise ``AudioError`` if not.

    Opens the file, checks it has an audio stream and that its declared duration is
    within ``max_duration_s``, and decodes the first ``probe_s`` seconds to prove the
    codec data is readable. Meant for refusing a bad upload before queueing a job: a
    file damaged only further in still passes here and fails in ``load_audio``.
    Returns what ``Audio.source`` holds, with ``duration`` the declared one (None if
    the container does not say) and ``probed_s`` how much was decoded.
    """
    samples, info = _read(path, max_duration_s=max_duration_s, stop_after_s=probe_s)
    info["duration"] = info["declared_duration"]
    info["probed_s"] = round(samples.shape[1] / SAMPLE_RATE, 3)
    return info


def _read(path: str | Path, *, max_duration_s: float | None, stop_after_s: float | None = None):
    """(samples, source info) of the whole file, or of its first ``stop_after_s`` seconds."""
    path = _check_path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        declared = _check_declared(container, stream, path, max_duration_s)
        if stop_after_s is None:
            capacity = _initial_capacity(declared, max_duration_s)
        else:
            capacity = int((stop_after_s + 1.0) * SAMPLE_RATE)
        decoder = _Decoder(container, stream, path, max_duration_s=max_duration_s, stop_after_s=stop_after_s)
        buffer = None
        for planes in decoder.blocks():
            if buffer is None:
                buffer = _SampleBuffer(len(planes), capacity)
            buffer.append(planes)
        info = _describe(container, stream, path, declared)
    if buffer is not None and decoder.finished and declared is not None and "mp4" in (info["container"] or ""):
        # The MP4 edit list gives the exact length; AAC pads its last frame past it.
        exact = int(round(declared * SAMPLE_RATE))
        if exact < buffer.n <= exact + SAMPLE_RATE // 2:
            buffer.n = exact
    samples = buffer.finish() if buffer is not None else None
    decoder.check_complete(samples, declared if decoder.finished else None)
    np.clip(samples, -1.0, 1.0, out=samples)  # resampling overshoots full-scale peaks slightly
    _check_not_garbage(samples, path)
    info.update(channels=int(samples.shape[0]), decode_errors=decoder.bad_packets)
    return samples, info


def level_dbfs(x: np.ndarray) -> float:
    """RMS level of ``x`` in dB relative to full scale (-inf for digital silence)."""
    if x.size == 0:
        return -math.inf
    flat = x.reshape(-1)
    ms = float(np.einsum("i,i->", flat, flat, dtype=np.float64)) / flat.size
    return 10 * math.log10(ms) if ms > 0 else -math.inf


def is_silent(audio: Audio, threshold_dbfs: float = -60.0, *, min_sound_s: float = 1.0, window_s: float = 0.5) -> bool:
    """True when no channel holds ``min_sound_s`` of sound above ``threshold_dbfs``.

    The RMS is taken over ``window_s`` windows, not the whole file, so a long call
    with little speech is not mistaken for silence, while a pick-up click or a short
    beep in an otherwise empty recording does not count as sound.
    """
    win = max(1, int(window_s * audio.sample_rate))
    need = max(1, math.ceil(min_sound_s / window_s))
    threshold_ms = 10 ** (threshold_dbfs / 10)
    for ch in range(audio.channels):
        loud = int((_window_power(audio.samples[ch], win) > threshold_ms).sum())
        if loud >= need:
            return False
    return True


# --- checks before decoding ------------------------------------------------------


def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise AudioError(f"{path} is a folder: give a recording file")
    if not path.is_file():  # a FIFO or device would block or never end
        raise AudioError(f"{path} is not a regular file: give a recording file")
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise AudioError(f"{path.name} cannot be read ({exc.strerror}): check its permissions") from exc
    if size == 0:
        raise AudioError(f"{path.name} is empty (0 bytes): give a recording")
    return path


def _open(path: Path):
    import av

    try:
        return av.open(str(path), metadata_errors="ignore", options={"max_size": "65536"})
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise AudioError(
            f"{path.name} is not a recording FFmpeg can read ({reason}): it is damaged, cut short or not audio;"
            f" give a complete {FORMATS_HINT} file"
        ) from exc


def _audio_stream(container, path: Path):
    if container.streams.audio:
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            raise AudioError(
                f"{path.name} uses an audio codec this FFmpeg cannot decode: convert it to {FORMATS_HINT}"
            )
        return stream
    fmt = container.format.name if container.format else "unknown"
    if container.streams.video and not fmt.endswith("_pipe") and fmt != "image2":
        what = "a video with no audio track"
    else:
        what = f"not a recording (FFmpeg reads it as {fmt}, with no audio stream)"
    raise AudioError(f"{path.name} is {what}: give a {FORMATS_HINT} recording of the call")


def _declared_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _check_declared(container, stream, path: Path, max_duration_s: float | None) -> float | None:
    """The declared duration if believable; refuse the file if it exceeds the limit."""
    declared = _declared_duration(container, stream)
    if declared is None or not math.isfinite(declared) or declared < 0:
        return None
    if declared > 0 and path.stat().st_size * 8 / declared < _MIN_PLAUSIBLE_BPS:
        return None  # a header too big for the file: decode and count instead
    shortfall = _riff_shortfall(path)
    if shortfall is not None:
        raise AudioError(
            f"{path.name} is truncated: its header declares {_human(shortfall[0])} but the file holds only"
            f" {_human(shortfall[1])}; re-export or re-upload it"
        )
    if max_duration_s is not None and declared > max_duration_s:
        raise AudioError(
            f"{path.name} lasts {_human(declared)}, over the {_human(max_duration_s)} limit:"
            " split the recording or raise the limit (LISTENLENS_MAX_DURATION_S)"
        )
    return declared


def _riff_shortfall(path: Path) -> tuple[float, float] | None:
    """(declared, present) seconds when a WAV's data chunk claims more bytes than the file has.

    FFmpeg quietly sizes a plain PCM WAV by what is on disk, so a half-uploaded WAV
    would decode as a shorter, valid call; the header still knows the real length.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        byte_rate = None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if cid == b"fmt " and size >= 16:
                fmt = f.read(size + (size & 1))
                byte_rate = int.from_bytes(fmt[8:12], "little")
                continue
            if cid == b"data":
                present = path.stat().st_size - f.tell()
                if not byte_rate or size in (0, 0xFFFFFFFF) or size <= present:
                    return None  # 0 / all-ones: written by a streamer that never knew the size
                if present >= _TRUNCATED_BELOW * size:
                    return None
                return size / byte_rate, max(present, 0) / byte_rate
            f.seek(size + (size & 1), 1)


def _initial_capacity(declared: float | None, max_duration_s: float | None) -> int:
    # Untouched pages of a large np.empty cost no memory, so an over-estimate is free;
    # the buffer grows (in place where the allocator can) if the declaration is short.
    seconds = declared + 1.0 if declared is not None else 600.0
    if max_duration_s is not None:
        seconds = min(seconds, max_duration_s + 1.0)
    return max(int(seconds * SAMPLE_RATE), SAMPLE_RATE)


def _describe(container, stream, path: Path, declared: float | None) -> dict:
    return {
        "file": path.name,
        "container": container.format.name if container.format else None,
        "codec": stream.codec_context.name,
        "sample_rate": stream.codec_context.sample_rate,
        "declared_duration": None if declared is None else round(declared, 3),
    }


# --- decoding --------------------------------------------------------------------


class _Decoder:
    """Demux, decode and resample one audio stream, block by block, tolerating a few bad packets."""

    def __init__(self, container, stream, path: Path, *, max_duration_s=None, stop_after_s=None):
        self.container, self.stream, self.path = container, stream, path
        self.max_duration_s = max_duration_s
        self.stop_after_s = stop_after_s
        self.packets = 0
        self.bad_packets = 0
        self.first_error: str | None = None
        self.demux_failed_at: float | None = None
        self.nonfinite = 0
        self.decoded = 0  # samples at SAMPLE_RATE
        self.finished = False  # reached the end of the stream (not stopped early)
        # Only float PCM can carry NaN/inf; one NaN would poison every later sum.
        self.check_finite = (stream.codec_context.name or "").startswith("pcm_f")

    def blocks(self):
        import av

        # Output layout None keeps the input's channels: nothing is mixed down here.
        resampler = av.AudioResampler(format="fltp", layout=None, rate=SAMPLE_RATE)
        packets = self.container.demux(self.stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                self.demux_failed_at = self.decoded / SAMPLE_RATE
                self._note(exc)
                break
            if packet.size == 0 and packet.dts is None:
                continue  # the demuxer's end-of-stream marker
            self.packets += 1
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError) as exc:
                self.bad_packets += 1
                self._note(exc)
                if self.bad_packets >= _GIVE_UP_AFTER and self.bad_packets * 2 > self.packets:
                    # Mostly undecodable: stop now rather than grind through a large junk file.
                    raise AudioError(
                        f"{self.path.name} is corrupt: {self.bad_packets} of the first {self.packets} audio packets"
                        f" could not be decoded ({self.first_error}); re-export or re-upload it"
                    ) from exc
                continue
            for frame in frames:
                # Let the resampler count samples: broken timestamps must not shift audio.
                frame.pts = None
                yield from self._resample(resampler, frame)
                if self._stop():
                    return
        yield from self._resample(resampler, None)
        self.finished = True

    def _resample(self, resampler, frame):
        try:
            outs = resampler.resample(frame)
        except ValueError as exc:  # format or layout changed mid-stream
            raise AudioError(
                f"{self.path.name} changes audio format mid-stream ({exc}): re-export it as one {FORMATS_HINT} file"
            ) from exc
        for out in outs:
            k = out.samples
            # Views on the frame's planes (fltp: one float32 plane per channel); the
            # buffer copies them at once, which spares a stacked copy per frame.
            planes = [np.frombuffer(plane, dtype=np.float32, count=k) for plane in out.planes]
            if self.check_finite:
                planes = [self._finite(p) for p in planes]
            self.decoded += k
            yield planes

    def _finite(self, x: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(x)
        if bad.any():
            self.nonfinite += int(bad.sum())
            x = np.where(bad, np.float32(0), x)
        return x

    def _stop(self) -> bool:
        seconds = self.decoded / SAMPLE_RATE
        if self.max_duration_s is not None and seconds > self.max_duration_s:
            raise AudioError(
                f"{self.path.name} lasts over the {_human(self.max_duration_s)} limit:"
                " split the recording or raise the limit (LISTENLENS_MAX_DURATION_S)"
            )
        return self.stop_after_s is not None and seconds >= self.stop_after_s

    def _note(self, exc: Exception) -> None:
        if self.first_error is None:
            self.first_error = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__

    def check_complete(self, samples: np.ndarray | None, declared: float | None) -> None:
        """Raise if decoding shows the file damaged, cut short or empty."""
        name = self.path.name
        got = 0.0 if samples is None else samples.shape[1] / SAMPLE_RATE
        if got == 0:
            if declared:
                raise AudioError(
                    f"{name} is corrupt: it declares {_human(declared)} but none of it could be decoded;"
                    " re-export or re-upload it"
                )
            if self.bad_packets or self.demux_failed_at is not None:
                raise AudioError(
                    f"{name} is corrupt: none of its audio could be decoded ({self.first_error}); re-export or re-upload it"
                )
            raise AudioError(f"{name} holds no audio samples (zero length): give a recording with sound")
        if self.packets and self.bad_packets > max(2, _BAD_PACKET_SHARE * self.packets):
            raise AudioError(
                f"{name} is corrupt: {self.bad_packets} of {self.packets} audio packets could not be decoded"
                f" ({self.first_error}); re-export or re-upload it"
            )
        if self.nonfinite > SAMPLE_RATE * 0.1:
            raise AudioError(f"{name} is corrupt: it holds invalid (NaN/infinite) samples; re-export it")
        if declared is not None and declared > 1.0 and got < _TRUNCATED_BELOW * declared:
            raise AudioError(
                f"{name} is truncated or damaged: it declares {_human(declared)} but only {_human(got)}"
                " could be decoded; re-export or re-upload it"
            )
        if self.demux_failed_at is not None:
            raise AudioError(
                f"{name} is damaged: reading stopped at {_clock(self.demux_failed_at)} ({self.first_error});"
                " re-export or re-upload it"
            )


class _SampleBuffer:
    """(channels, n) float32 filled in place, so decoding holds one copy of the audio.

    Rows live in one flat array with a stride of ``capacity``. Growing and the final
    trim resize that array (realloc: the pages move, the data is not copied) and slide
    the rows to their new stride in small steps, instead of concatenating chunks,
    which would need the whole recording twice at the peak.
    """

    _STEP = 1 << 20  # samples moved at a time; bounds numpy's temporary for overlapping copies

    def __init__(self, channels: int, capacity: int):
        self.channels = channels
        self.capacity = max(int(capacity), 1)
        self.n = 0
        self.flat = np.empty(channels * self.capacity, dtype=np.float32)

    def append(self, planes: list[np.ndarray]) -> None:
        """Add one stretch of samples, one 1-D array per channel."""
        k = planes[0].shape[0]
        if self.n + k > self.capacity:
            self._restride(max(self.n + k, int(self.capacity * 1.5)))
        rows = self.flat.reshape(self.channels, self.capacity)
        for i, plane in enumerate(planes):
            rows[i, self.n : self.n + k] = plane
        self.n += k

    def finish(self) -> np.ndarray:
        self._restride(self.n)
        flat, self.flat = self.flat, np.empty(0, dtype=np.float32)
        return flat.reshape(self.channels, self.n)

    def _restride(self, new_capacity: int) -> None:
        old = self.capacity
        if new_capacity == old:
            return
        if new_capacity > old:
            self.flat.resize(self.channels * new_capacity, refcheck=False)
            for i in range(self.channels - 1, 0, -1):  # last row first: it moves furthest
                self._move(i * old, i * new_capacity)
        else:
            for i in range(1, self.channels):  # first row first: each moves into freed space
                self._move(i * old, i * new_capacity)
            self.flat.resize(self.channels * new_capacity, refcheck=False)
        self.capacity = new_capacity

    def _move(self, src: int, dst: int) -> None:
        n, step, buf = self.n, self._STEP, self.flat
        starts = range(0, n, step)
        for s in reversed(starts) if dst > src else starts:
            e = min(s + step, n)
            buf[dst + s : dst + e] = buf[src + s : src + e]


# --- sanity of the decoded signal ------------------------------------------------

# Random bytes decoded as PCM are loud white noise; no call recording sits near full
# scale with a flat spectrum for long. Checked per block, only where the level is high.
_GARBAGE_BLOCK_S = 0.25
_GARBAGE_DBFS = -12.0
_GARBAGE_FLATNESS = 0.85  # random bytes: ~0.98; speech clipped by +40 dB: at most ~0.67
_GARBAGE_MIN_S = 0.5


def _check_not_garbage(samples: np.ndarray, path: Path) -> None:
    found = _garbage_span(samples)
    if found is not None:
        start, seconds = found
        raise AudioError(
            f"{path.name} is corrupt: {_human(seconds)} of it from {_clock(start)} is random data, not sound;"
            " re-export or re-upload it"
        )


def _garbage_span(samples: np.ndarray) -> tuple[float, float] | None:
    """(first start, total seconds) of blocks that look like random bytes, if enough of them."""
    from scipy.signal import welch

    block = int(_GARBAGE_BLOCK_S * SAMPLE_RATE)
    threshold = 10 ** (_GARBAGE_DBFS / 10)
    lo, hi = int(100 / (SAMPLE_RATE / 256)), int(3500 / (SAMPLE_RATE / 256))
    worst: tuple[float, float] | None = None
    for ch in range(samples.shape[0]):
        power = _window_power(samples[ch], block, partial=False)
        bad_starts = []
        for b in np.flatnonzero(power > threshold):
            _, psd = welch(samples[ch, b * block : (b + 1) * block], nperseg=256)
            band = psd[lo:hi].astype(np.float64) + 1e-20
            flatness = math.exp(np.log(band).mean()) / band.mean()
            if flatness > _GARBAGE_FLATNESS:
                bad_starts.append(b)
        seconds = len(bad_starts) * _GARBAGE_BLOCK_S
        if seconds >= _GARBAGE_MIN_S and (worst is None or seconds > worst[1]):
            worst = (bad_starts[0] * _GARBAGE_BLOCK_S, seconds)
    return worst


def _window_power(x: np.ndarray, win: int, *, partial: bool = True) -> np.ndarray:
    """Mean square of each ``win``-sample window (and of a trailing partial one if ``partial``)."""
    n = x.shape[0] // win
    full = x[: n * win].reshape(n, win)
    powers = np.einsum("ij,ij->i", full, full, dtype=np.float64) / win
    rest = x[n * win :]
    if partial and rest.size:
        powers = np.append(powers, float(np.dot(rest, rest)) / rest.size)
    return powers


def _human(seconds: float) -> str:
    if seconds >= 3600:
        h, m = divmod(round(seconds / 60), 60)
        return f"{h} h {m} min" if m else f"{h} h"
    if seconds >= 120:
        return f"{round(seconds / 60)} min"
    return f"{seconds:.1f} s"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
