"""Speaker embeddings of short windows with resemblyzer's GE2E voice encoder.

The encoder is a 3-layer LSTM over 40-band mel frames (25 ms windows, 10 ms hop) that
maps 1.6 s of speech to a 256-dimensional unit vector; two windows of the same voice
lie close in cosine terms. Its weights ship inside the ``resemblyzer`` package, so it
loads offline; it is loaded once per process and shared (``shared_encoder``), because
a service diarizes many calls with it.

The mel spectrogram is computed here with numpy rather than resemblyzer's librosa call:
the result is the same (checked to 1e-6) but librosa compiles numba kernels on its
first call, which costs tens of seconds on a fresh machine.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

from listenlens.errors import ModelError
from listenlens.pipeline.constants import MEL_FRAME_S as FRAME_S  # noqa: F401 - the name the diarizers import
from listenlens.pipeline.constants import MEL_HOP as HOP
from listenlens.pipeline.constants import MEL_N_FFT as N_FFT
from listenlens.pipeline.constants import SAMPLE_RATE

N_MELS = 40
_MEL_CHUNK_FRAMES = 6000  # one minute at a time: the complex STFT of an hour would not fit
_BATCH = 64
# Mean mel power of speech at -30 dBFS RMS, the level resemblyzer normalizes utterances
# to before training and embedding (``audio_norm_target_dBFS``); measured on speech.
_TARGET_MEL_POWER = 0.01  # windows per forward pass: larger batches stop paying off on CPU

_lock = threading.Lock()
_encoder = None


def shared_encoder():
    """The process-wide encoder, loaded on first use (about 50 ms) on CPU."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = load_encoder()
        return _encoder


def load_encoder(device: str = "cpu"):
    """Load a fresh resemblyzer ``VoiceEncoder`` from the weights in its package."""
    import warnings

    from listenlens.models.registry import resemblyzer_weights

    weights = resemblyzer_weights()
    if not weights.exists():
        raise ModelError(f"resemblyzer weights are missing at {weights}: reinstall resemblyzer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # webrtcvad's pkg_resources deprecation notice
        try:
            from resemblyzer import VoiceEncoder
        except ImportError as exc:
            raise ModelError("resemblyzer is not installed: pip install resemblyzer 'setuptools<81'") from exc
        encoder = VoiceEncoder(device, verbose=False, weights_fpath=weights)
    encoder.eval()
    return encoder


@lru_cache(maxsize=1)
def _mel_filterbank() -> np.ndarray:
    """Slaney-style mel filterbank, as ``librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)``."""

    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        lin = f / (200.0 / 3)
        log_part = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(f >= 1000.0, log_part, lin)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        lin = m * (200.0 / 3)
        log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
        return np.where(m >= 15.0, log_part, lin)

    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : N_MELS + 2] - mel_f[:N_MELS]))[:, None]
    return weights.astype(np.float32)


def mel_frames(x: np.ndarray) -> np.ndarray:
    """Mel power spectrogram (frames, 40), one frame per 10 ms, as the encoder expects."""
    fb = _mel_filterbank()
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann, as librosa
    padded = np.pad(x.astype(np.float32, copy=False), (N_FFT // 2, N_FFT // 2))
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    out = np.empty((n_frames, N_MELS), dtype=np.float32)
    for first in range(0, n_frames, _MEL_CHUNK_FRAMES):
        last = min(n_frames, first + _MEL_CHUNK_FRAMES)
        seg = padded[first * HOP : (last - 1) * HOP + N_FFT]
        frames = np.lib.stride_tricks.sliding_window_view(seg, N_FFT)[::HOP]
        power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
        out[first:last] = power.astype(np.float32) @ fb.T
    return out


def window_starts(n_frames: int, win: int, step: int) -> np.ndarray:
    """Start frames of windows of ``win`` frames every ``step`` covering ``n_frames``."""
    if n_frames <= win:
        return np.zeros(1, dtype=np.int64)
    starts = np.arange(0, n_frames - win + 1, step, dtype=np.int64)
    if starts[-1] + win < n_frames:
        starts = np.append(starts, n_frames - win)  # the tail must be covered too
    return starts


def embed_windows(
    encoder, mel: np.ndarray, starts: np.ndarray, win: int, progress=None, *, level_norm: bool = True
) -> np.ndarray:
    """Unit embeddings (len(starts), 256) of ``mel[s : s + win]`` for each start, batched.

    ``level_norm``: scale each window to the level the encoder was trained at. Its input
    is mel *power*, not log power, so without this the same voice louder or softer (a
    quiet line, a far microphone) lands elsewhere in the embedding space.
    """
    import torch

    win = min(win, len(mel))
    out = np.empty((len(starts), 256), dtype=np.float32)
    view = np.lib.stride_tricks.sliding_window_view(mel, win, axis=0)  # (n, 40, win), no copy
    with torch.inference_mode():
        for i in range(0, len(starts), _BATCH):
            batch = np.ascontiguousarray(view[starts[i : i + _BATCH]].transpose(0, 2, 1))
            if level_norm:
                power = batch.mean(axis=(1, 2), keepdims=True)
                batch *= _TARGET_MEL_POWER / np.maximum(power, 1e-12)
            out[i : i + len(batch)] = encoder(torch.from_numpy(batch)).numpy()
            if progress is not None:
                progress(i + len(batch), len(starts))
    # An all-silent window gives a zero vector (ReLU); make it harmless, not NaN.
    return np.nan_to_num(out)


def embed_ragged(encoder, pieces: list[np.ndarray], *, level_norm: bool = True) -> np.ndarray:
    """Unit embeddings (len(pieces), 256) of whole mel pieces of different lengths.

    The same as ``embed_windows(encoder, p, [0], len(p))`` for each piece, but batched:
    the pieces are padded and packed, so the LSTM's final state is each piece's own
    last frame. One forward pass per piece, a batch of one each, took about a third of
    the segmented diarizer's embedding time, spent on its short local speakers.
    """
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    out = np.empty((len(pieces), 256), dtype=np.float32)
    order = np.argsort([len(p) for p in pieces], kind="stable")  # similar lengths pad little
    with torch.inference_mode():
        for i in range(0, len(order), _BATCH):
            idx = order[i : i + _BATCH]
            lengths = [len(pieces[j]) for j in idx]
            batch = np.zeros((len(idx), max(lengths), N_MELS), dtype=np.float32)
            for b, j in enumerate(idx):
                batch[b, : lengths[b]] = pieces[j]
                if level_norm:
                    batch[b] *= _TARGET_MEL_POWER / max(float(pieces[j].mean()), 1e-12)
            packed = pack_padded_sequence(torch.from_numpy(batch), lengths, batch_first=True, enforce_sorted=False)
            # resemblyzer's VoiceEncoder.forward, with a packed sequence in.
            _, (hidden, _) = encoder.lstm(packed)
            raw = encoder.relu(encoder.linear(hidden[-1]))
            out[idx] = (raw / torch.norm(raw, dim=1, keepdim=True)).numpy()
    return np.nan_to_num(out)
