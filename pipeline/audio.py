"""Audio in: any recording -> float32 samples at 16 kHz, one row per channel.

Decoding goes through PyAV (FFmpeg), as faster-whisper's own ``decode_audio`` does, so
every container and codec FFmpeg reads works. Unlike ``decode_audio`` the channels are
kept: a call-recording platform puts one party on each channel, and averaging them
would throw away the best speaker information the call has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from listenlens.errors import AudioError

SAMPLE_RATE = 16000


@dataclass
class Audio:
    samples: np.ndarray  # (channels, n) float32 in [-1, 1] at ``sample_rate``
    sample_rate: int = SAMPLE_RATE
    source: dict = field(default_factory=dict)  # codec, container, original rate, channels

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def channel(self, i: int) -> np.ndarray:
        return self.samples[i]

    def mono(self) -> np.ndarray:
        if self.channels == 1:
            return self.samples[0]
        return self.samples.mean(axis=0, dtype=np.float32)


def load_audio(path: str | Path, *, max_duration_s: float | None = None) -> Audio:
    """Decode ``path`` to 16 kHz float32, keeping channels. Raises ``AudioError``."""
    import av

    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path} is a folder: give a recording file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path.name} is empty (0 bytes): give a recording")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise AudioError(f"{path.name} is not a recording FFmpeg can read ({exc.__class__.__name__}): give WAV, MP3, M4A, OGG, FLAC or WebM") from exc
    with container:
        if not container.streams.audio:
            raise AudioError(f"{path.name} has no audio stream: give a recording with sound")
        stream = container.streams.audio[0]
        n_channels = stream.codec_context.channels or 1
        declared = _declared_duration(container, stream)
        if max_duration_s is not None and declared is not None and declared > max_duration_s:
            raise AudioError(
                f"{path.name} lasts {declared / 60:.0f} min, over the {max_duration_s / 60:.0f} min limit: split the recording"
            )
        layout = stream.layout.name if stream.layout and stream.layout.name else None
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        decoded = 0
        try:
            for frame in container.decode(stream):
                frame.pts = None  # let the resampler count; broken pts must not shift audio
                for out in resampler.resample(frame):
                    arr = out.to_ndarray()
                    chunks.append(arr)
                    decoded += arr.shape[1]
                if max_duration_s is not None and decoded / SAMPLE_RATE > max_duration_s:
                    raise AudioError(
                        f"{path.name} lasts over the {max_duration_s / 60:.0f} min limit: split the recording"
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as exc:
            raise AudioError(f"{path.name} is corrupt: decoding failed ({exc.__class__.__name__}); re-export the recording") from exc
    if not chunks or sum(c.shape[1] for c in chunks) == 0:
        raise AudioError(f"{path.name} holds no audio samples (zero length): give a recording with sound")
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if samples.shape[0] != n_channels and n_channels >= 1 and samples.shape[0] == 1:
        n_channels = 1
    np.clip(samples, -1.0, 1.0, out=samples)
    got = samples.shape[1] / SAMPLE_RATE
    if declared is not None and declared > 1.0 and got < 0.9 * declared:
        raise AudioError(
            f"{path.name} is truncated: it declares {declared:.1f} s but only {got:.1f} s could be decoded; re-export or re-upload it"
        )
    return Audio(
        samples=samples,
        source={
            "file": path.name,
            "container": container.format.name if container.format else None,
            "codec": stream.codec_context.name,
            "sample_rate": stream.codec_context.sample_rate,
            "channels": int(samples.shape[0]),
            "duration": round(got, 3),
        },
    )


def _declared_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None
