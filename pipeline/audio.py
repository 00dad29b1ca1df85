"""Audio in: any recording -> float32 samples at 16 kHz, one row per channel.

Decoding goes through PyAV (FFmpeg), as faster-whisper's own ``decode_audio`` does, so
every container and codec FFmpeg reads works. Unlike ``decode_audio`` the channels are
kept: a call-recording platform puts one party on each channel, and averaging them
would throw away the best speaker information the call has.

Everything a user can get wrong about the file (missing, empty, not audio, cut short,
damaged, too long, too many channels, too big once decoded) is an ``AudioError`` with
one line saying what is wrong and what to do. ``probe_audio`` makes the same checks
cheaply, for rejecting an upload up front.

The file is untrusted: ``load_audio`` and ``probe_audio`` decode it in a child process
(``decode_sandbox``) under a memory and a time limit, so a decoder crash or a runaway
file costs that one file. The ``AudioLimits`` are enforced while decoding, not only
from the header: decoding stops as soon as a limit is passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from listenlens.errors import AudioError, TooLongError
from listenlens.pipeline.constants import SAMPLE_RATE

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


@dataclass(frozen=True)
class AudioLimits:
    """What a recording may be: the ``[audio]`` settings (``docs/configuration.md``)."""

    max_duration_s: float | None = 4 * 3600.0
    max_channels: int = 8
    min_sample_rate: int = 4000
    max_sample_rate: int = 384000
    # The decoded audio (16 kHz float32, every channel): 4 h of stereo is 1.8 GB.
    max_decoded_mb: float = 2048.0
    decode_timeout_s: float = 900.0
    probe_timeout_s: float = 60.0

    @property
    def max_decoded_bytes(self) -> int:
        return int(self.max_decoded_mb * 1024 * 1024)

    @classmethod
    def from_settings(cls, settings) -> AudioLimits:
        """The limits the ``[audio]`` settings (or anything with the same fields) name."""
        return cls(**{f: getattr(settings, f) for f in cls.__dataclass_fields__ if hasattr(settings, f)})


_BYTES_PER_SECOND = SAMPLE_RATE * 4  # one decoded channel


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


def load_audio(
    path: str | Path,
    *,
    max_duration_s: float | None = None,
    limits: AudioLimits | None = None,
    isolate: bool = True,
) -> Audio:
    """Decode ``path`` to 16 kHz float32, keeping channels. Raises ``AudioError``.

    A recording over a limit (``limits``; ``max_duration_s`` overrides its duration)
    is refused from its header or packets before any decoding, or as soon as decoding
    passes the limit. With ``isolate`` (the default) decoding runs in a child process;
    ``isolate=False`` decodes here, for trusted files and tests of the decoder itself.
    """
    limits = _limits(limits, max_duration_s)
    path = _check_path(path)
    if isolate:
        from listenlens.pipeline import decode_sandbox

        info, samples = decode_sandbox.run(
            _load_here, path, limits, name=path.name, timeout_s=limits.decode_timeout_s,
            memory_mb=_child_memory_mb(limits),
        )
    else:
        info, samples = _load_here(path, limits)
    return Audio(samples=samples, source=info)


def probe_audio(
    path: str | Path,
    *,
    max_duration_s: float | None = None,
    probe_s: float = 5.0,
    limits: AudioLimits | None = None,
    isolate: bool = True,
) -> dict:
    """Check cheaply that ``path`` is a usable recording; raise ``AudioError`` if not.

    Opens the file, checks its audio stream against the limits (channels, sample
    rate, declared duration and, for compressed audio, the duration its packets add
    up to, read without decoding), and decodes the first ``probe_s`` seconds to prove
    the codec data is readable. Meant for refusing a bad upload before queueing a
    job: a file damaged only further in still passes here and fails in ``load_audio``.
    Returns what ``Audio.source`` holds, with ``duration`` the declared one (None if
    the container does not say) and ``probed_s`` how much was decoded.
    """
    limits = _limits(limits, max_duration_s)
    path = _check_path(path)
    if isolate:
        from listenlens.pipeline import decode_sandbox

        info, _ = decode_sandbox.run(
            _probe_here, path, limits, probe_s, name=path.name, timeout_s=limits.probe_timeout_s,
            memory_mb=_child_memory_mb(limits),
        )
        return info
    return _probe_here(path, limits, probe_s)[0]


def _limits(limits: AudioLimits | None, max_duration_s: float | None) -> AudioLimits:
    from dataclasses import replace

    limits = limits or AudioLimits()
    return limits if max_duration_s is None else replace(limits, max_duration_s=max_duration_s)


# Memory a decoding child may take beside the decoded audio: demuxer and codec buffers,
# frames, the resampler, the checks' temporaries (all well under 100 MB when measured).
_DECODE_HEADROOM_MB = 512


def _child_memory_mb(limits: AudioLimits) -> float:
    return limits.max_decoded_mb + _DECODE_HEADROOM_MB


def _load_here(path: Path, limits: AudioLimits) -> tuple[dict, np.ndarray]:
    samples, info = _read(path, limits)
    info["duration"] = round(samples.shape[1] / SAMPLE_RATE, 3)
    return info, samples


def _probe_here(path: Path, limits: AudioLimits, probe_s: float) -> tuple[dict, None]:
    samples, info = _read(path, limits, stop_after_s=probe_s)
    info["duration"] = info["declared_duration"]
    info["probed_s"] = round(samples.shape[1] / SAMPLE_RATE, 3)
    return info, None


def _read(path: Path, limits: AudioLimits, stop_after_s: float | None = None):
    """(samples, source info) of the whole file, or of its first ``stop_after_s`` seconds."""
    path = _check_path(path)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        _check_format(stream.codec_context.channels, stream.codec_context.sample_rate, path, limits)
        declared = _check_declared(container, stream, path, limits)
        scanned, beyond = (None, False) if _exact_pcm(stream, declared) else _scan_duration(path, limits)
        if scanned is not None:
            _check_length(scanned, stream.codec_context.channels, path, limits, over=beyond)
        known = declared if declared is not None else scanned
        if stop_after_s is None:
            capacity = _initial_capacity(known, limits.max_duration_s)
        else:
            capacity = int((stop_after_s + 1.0) * SAMPLE_RATE)
        decoder = _Decoder(container, stream, path, limits=limits, stop_after_s=stop_after_s)
        buffer = None
        for block in decoder.blocks():
            if buffer is None:
                rows = block.shape[0]
                buffer = _SampleBuffer(rows, min(capacity, limits.max_decoded_bytes // (4 * rows) + SAMPLE_RATE))
            buffer.append(block)
        info = _describe(container, stream, path, declared)
    if buffer is not None and decoder.finished and declared is not None and "mp4" in (info["container"] or ""):
        # The MP4 edit list gives the exact length; AAC pads its last frame past it.
        exact = int(round(declared * SAMPLE_RATE))
        if exact < buffer.n <= exact + SAMPLE_RATE // 2:
            buffer.n = exact
    samples = buffer.finish() if buffer is not None else None
    decoder.check_complete(samples, declared if decoder.finished else None)
    assert samples is not None  # check_complete refuses a file that decoded to nothing
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


def _check_declared(container, stream, path: Path, limits: AudioLimits) -> float | None:
    """The declared duration if believable; refuse the file if it exceeds a limit."""
    declared = _declared_duration(container, stream)
    if declared is None or not math.isfinite(declared) or declared < 0:
        return None
    if declared > 0 and path.stat().st_size * 8 / declared < _MIN_PLAUSIBLE_BPS:
        return None  # a header too big for the file (or audio that packs tighter): count the packets
    shortfall = _riff_shortfall(path)
    if shortfall is not None:
        raise AudioError(
            f"{path.name} is truncated: its header declares {_human(shortfall[0])} but the file holds only"
            f" {_human(shortfall[1])}; re-export or re-upload it"
        )
    _check_length(declared, stream.codec_context.channels, path, limits)
    return declared


def _check_format(channels: int | None, rate: int | None, path: Path, limits: AudioLimits) -> None:
    if channels and channels > limits.max_channels:
        raise AudioError(
            f"{path.name} has {channels} channels, over the {limits.max_channels}-channel limit: mix it down to"
            " one channel per party (stereo for a two-party call) or raise the limit (LISTENLENS_MAX_CHANNELS)"
        )
    if rate and not limits.min_sample_rate <= rate <= limits.max_sample_rate:
        raise AudioError(
            f"{path.name} is sampled at {rate} Hz, outside the {limits.min_sample_rate}-{limits.max_sample_rate} Hz"
            " that is read: re-export it at 8, 16, 44.1 or 48 kHz (limits: LISTENLENS_MIN_SAMPLE_RATE,"
            " LISTENLENS_MAX_SAMPLE_RATE)"
        )


def _check_length(seconds: float, channels: int | None, path: Path, limits: AudioLimits, *, over: bool = False) -> None:
    """Refuse ``seconds`` of audio over the duration limit or too big once decoded.

    ``over``: decoding stopped on passing the limit, so the real length is unknown.
    """
    limit = limits.max_duration_s
    if limit is not None and seconds > limit:
        lasts = "lasts over" if over else f"lasts {_human(seconds)}, over"
        raise TooLongError(
            f"{path.name} {lasts} the {_human(limit)} limit: split the recording or raise the limit"
            " (LISTENLENS_MAX_DURATION_S)"
        )
    channels = max(1, channels or 1)
    if seconds * channels * _BYTES_PER_SECOND > limits.max_decoded_bytes:
        raise TooLongError(
            f"{path.name} decodes to more than the {limits.max_decoded_mb:g} MB limit ({channels} channel"
            f"{'s' if channels > 1 else ''} x {_human(seconds)}{'+' if over else ''}): split the recording,"
            " mix it down to fewer channels or raise the limit (LISTENLENS_MAX_DECODED_MB)"
        )


def _exact_pcm(stream, declared: float | None) -> bool:
    """True when the declared duration is exact: uncompressed PCM sized by the file itself."""
    return declared is not None and (stream.codec_context.name or "").startswith("pcm_")


def _scan_duration(path: Path, limits: AudioLimits) -> tuple[float | None, bool]:
    """Seconds the audio packets say they hold, read without decoding (None if they do not
    say), and whether counting stopped past the duration limit.

    Compressed audio can hold hours in a few kilobytes (silence in FLAC takes ~40 bytes
    a second) and a header can understate it, so the packets are counted. The count
    stops once past the duration limit; the decoder enforces the limit again on the
    samples themselves, for packets that understate what they decode to.
    """
    import av

    stop = None if limits.max_duration_s is None else limits.max_duration_s + 1.0
    total, tb = 0, 0.0
    try:
        with av.open(str(path), metadata_errors="ignore", options={"max_size": "65536"}) as container:
            stream = container.streams.audio[0]
            if stream.time_base is None:
                return None, False
            tb = float(stream.time_base)
            for packet in container.demux(stream):
                if packet.duration:
                    total += packet.duration
                    if stop is not None and total * tb > stop:
                        return total * tb, True
    except (av.error.FFmpegError, ValueError, OSError):
        pass  # damage is the decoder's to report, with its position
    return (total * tb if total else None), False


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


def _initial_capacity(known: float | None, max_duration_s: float | None) -> int:
    # Untouched pages of a large np.empty cost no memory, so an over-estimate is free;
    # the buffer grows (in place where the allocator can) if the estimate is short.
    seconds = known + 1.0 if known is not None else 600.0
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

    def __init__(self, container, stream, path: Path, *, limits: AudioLimits, stop_after_s=None):
        self.container, self.stream, self.path = container, stream, path
        self.limits = limits
        self.stop_after_s = stop_after_s
        self.channels: int | None = None
        self.packets = 0
        self.bad_packets = 0
        self.first_error: str | None = None
        self.demux_failed_at: float | None = None
        self.nonfinite = 0
        self.decoded = 0  # samples at SAMPLE_RATE
        self.finished = False  # reached the end of the stream (not stopped early)
        # Only float PCM can carry NaN/inf; one NaN would poison every later sum.
        self.check_finite = (stream.codec_context.name or "").startswith("pcm_f")
        # Audio decoders gain nothing from threads, and each would reserve memory (a stack,
        # a malloc arena) under the decoding child's address-space limit.
        stream.codec_context.thread_count = 1

    def blocks(self):
        import av

        # Output layout None keeps the input's channels: nothing is mixed down here.
        # Packed output: PyAV finds a frame's planes by a NULL after the last one, which
        # FFmpeg leaves only below 8 channels; reading planar frames of 8 or more
        # channels runs off the end of the pointer array and crashes the process.
        resampler = av.AudioResampler(format="flt", layout=None, rate=SAMPLE_RATE)
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
                if self.channels is None:  # the header may be absent or lie: check what decodes
                    self.channels = frame.layout.nb_channels
                    _check_format(self.channels, frame.sample_rate, self.path, self.limits)
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
            k, channels = out.samples, out.layout.nb_channels
            # A (channels, k) view on the frame's one interleaved plane; the buffer
            # copies it at once, which spares a copy per frame.
            block = np.frombuffer(out.planes[0], dtype=np.float32, count=k * channels).reshape(k, channels).T
            if self.check_finite:
                block = self._finite(block)
            self.decoded += k
            yield block

    def _finite(self, x: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(x)
        if bad.any():
            self.nonfinite += int(bad.sum())
            x = np.where(bad, np.float32(0), x)
        return x

    def _stop(self) -> bool:
        seconds = self.decoded / SAMPLE_RATE
        _check_length(seconds, self.channels, self.path, self.limits, over=True)
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

    def append(self, block: np.ndarray) -> None:
        """Add one stretch of samples, ``(channels, k)``."""
        k = block.shape[1]
        if self.n + k > self.capacity:
            self._restride(max(self.n + k, int(self.capacity * 1.5)))
        rows = self.flat.reshape(self.channels, self.capacity)
        rows[:, self.n : self.n + k] = block
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
