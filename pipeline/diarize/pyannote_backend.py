"""The ``pyannote`` diarizer: an adapter over pyannote.audio's pretrained pipelines.

Optional: pyannote.audio needs torchaudio (a CUDA torch on most machines), so it is the
``pyannote`` extra, not a dependency. Works with pyannote.audio 3.1 and 4.x:

- loading: ``Pipeline.from_pretrained(checkpoint, ...)``. The token keyword is
  ``use_auth_token`` in 3.x and ``token`` in 4.x; 3.x reads a local pipeline only from
  its ``config.yaml`` file path (4.x takes the folder too), so the file path is passed.
- input: the waveform in memory, ``{"waveform": (channel, time) tensor, "sample_rate"}``,
  so pyannote does no decoding of its own and sees exactly the audio the rest of the
  pipeline sees.
- output: 3.x returns a ``pyannote.core.Annotation``; 4.x a ``DiarizeOutput`` whose
  ``speaker_diarization`` is that Annotation (overlaps kept, which the metrics want).
- progress: the pipeline calls ``hook(step, artefact, file=..., completed=, total=)``.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from listenlens.errors import ConfigError, ModelError
from listenlens.pipeline.audio import Audio
from listenlens.pipeline.diarize.base import Diarization, Progress, no_progress
from listenlens.pipeline.diarize.settings import PyannoteSettings
from listenlens.pipeline.timeline import Turn, annotation_turns

CONFIG_FILE = "config.yaml"
ENABLE = (
    "set LISTENLENS_PYANNOTE_PIPELINE=/path/to/folder (or --pyannote-pipeline) to a local pipeline folder "
    "holding config.yaml, or to a hub id such as pyannote/speaker-diarization-3.1 with LISTENLENS_HF_TOKEN set"
)

_cache: dict[tuple[str, str | None, str], Any] = {}
_cache_lock = threading.Lock()


class PyannoteDiarizer:
    name = "pyannote"

    def __init__(self, settings: PyannoteSettings | None = None, *, device: str | None = None, pipeline: Any = None):
        """``pipeline``: an already loaded pyannote pipeline (or any callable with its
        interface); when None it is loaded from ``settings`` on first use, on ``device``
        (cpu, cuda or auto)."""
        self.settings = settings or PyannoteSettings()
        self.device = device
        self._pipeline = pipeline
        if pipeline is None:
            self.checkpoint = resolve_checkpoint(self.settings.pipeline, self.settings.token)
        else:
            self.checkpoint = "(given pipeline)"

    @property
    def pipeline(self) -> Any:
        if self._pipeline is None:
            self._pipeline = load_pipeline(self.checkpoint, self.settings.token, _device(self.device))
        return self._pipeline

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int = 1,
        max_speakers: int = 6,
        progress: Progress = no_progress,
    ) -> Diarization:
        import torch

        pipeline = self.pipeline
        mono = np.ascontiguousarray(audio.mono(), dtype=np.float32)
        file = {
            "waveform": torch.from_numpy(mono).unsqueeze(0),  # (channel=1, time)
            "sample_rate": int(audio.sample_rate),
            "uri": str(audio.source.get("file") or "call"),
        }
        # num_speakers wins in pyannote too; min/max are passed only without it so the
        # pipeline does not warn about ignored bounds.
        counts = {"num_speakers": num_speakers} if num_speakers else {"min_speakers": min_speakers, "max_speakers": max_speakers}
        progress("pyannote", 0, None)
        output = pipeline(file, hook=_ProgressHook(progress), **counts)
        turns = annotation_to_turns(output)
        progress("pyannote", 1, 1)
        return Diarization(
            turns=turns,
            backend=self.name,
            info={"pipeline": str(self.checkpoint), "pyannote.audio": _version()},
        )


def annotation_to_turns(output: Any) -> list[Turn]:
    """pyannote's result -> Turns, sorted. Takes an Annotation (3.x) or a DiarizeOutput (4.x).

    The overlapping ``speaker_diarization`` of 4.x is used, not its
    ``exclusive_speaker_diarization``: interruptions are measured on overlaps.
    """
    annotation = getattr(output, "speaker_diarization", output)
    if not hasattr(annotation, "itertracks"):
        raise ModelError(
            f"the pyannote pipeline returned {type(output).__name__}, not a speaker diarization: "
            "point LISTENLENS_PYANNOTE_PIPELINE at a speaker-diarization pipeline"
        )
    return annotation_turns(annotation)


def resolve_checkpoint(spec: str | None, token: str | None) -> str:
    """Check the setup and say what ``from_pretrained`` gets: a config.yaml path or a hub id.

    Raises ConfigError saying how to enable the backend when pyannote.audio is missing,
    no pipeline is configured, the folder lacks config.yaml, or a hub id has no token.
    """
    if not installed():
        raise ConfigError(
            "the pyannote diarizer needs pyannote.audio, which is not installed: "
            f"pip install 'listenlens[pyannote]', then {ENABLE}"
        )
    if not spec or not str(spec).strip():
        raise ConfigError(f"the pyannote diarizer needs a pipeline: {ENABLE}")
    spec = str(spec).strip()
    path = Path(spec).expanduser()
    if path.is_dir():
        config = path / CONFIG_FILE
        if not config.is_file():
            raise ConfigError(
                f"{path} holds no {CONFIG_FILE}: point LISTENLENS_PYANNOTE_PIPELINE at the folder of a "
                "pyannote pipeline (the one with config.yaml)"
            )
        return str(config.resolve())
    if path.is_file():
        if path.suffix not in (".yaml", ".yml"):
            raise ConfigError(f"{path} is not a pipeline config.yaml: point LISTENLENS_PYANNOTE_PIPELINE at its folder")
        return str(path.resolve())
    if _looks_like_path(spec):
        raise ConfigError(f"pyannote pipeline folder {spec} does not exist: {ENABLE}")
    if not token:
        raise ConfigError(
            f"pyannote pipeline {spec!r} is a hub id, which needs a Hugging Face token: set LISTENLENS_HF_TOKEN "
            "(and accept the model's conditions on huggingface.co), or download it and set "
            "LISTENLENS_PYANNOTE_PIPELINE=/path/to/folder"
        )
    return spec


def installed() -> bool:
    """Whether pyannote.audio can be imported (without importing it: that is slow)."""
    try:
        return importlib.util.find_spec("pyannote.audio") is not None
    except (ImportError, ValueError):  # no ``pyannote`` namespace at all
        return False


def load_pipeline(checkpoint: str, token: str | None, device: str) -> Any:
    """``Pipeline.from_pretrained`` for 3.1 and 4.x, cached per process (it is slow)."""
    key = (checkpoint, token, device)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        from pyannote.audio import Pipeline

        params = inspect.signature(Pipeline.from_pretrained).parameters
        kwargs: dict[str, Any] = {}
        target = checkpoint
        local = Path(checkpoint).is_file()
        if local:
            target = _absolutize_config(Path(checkpoint))
        else:
            if "@" in checkpoint and "revision" in params:  # 4.x wants the revision apart
                target, kwargs["revision"] = checkpoint.split("@", 1)
            kwargs["token" if "token" in params else "use_auth_token"] = token
        try:
            pipeline = Pipeline.from_pretrained(target, **kwargs)
        except Exception as exc:  # hub, file and config errors all mean: this pipeline cannot load
            raise ModelError(
                f"cannot load pyannote pipeline {checkpoint}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; "
                "check LISTENLENS_PYANNOTE_PIPELINE (offline, only a local folder with its model files works)"
            ) from exc
        if pipeline is None:  # what from_pretrained returns when the hub refuses access
            raise ModelError(
                f"pyannote pipeline {checkpoint} could not be downloaded: check LISTENLENS_HF_TOKEN and accept the "
                "model's conditions on huggingface.co, or use a local folder"
            )
        if device != "cpu":
            import torch

            pipeline.to(torch.device(device))
        _cache[key] = pipeline
        return pipeline


def _absolutize_config(config: Path) -> str:
    """A config.yaml whose model paths are relative to its folder, made loadable anywhere.

    pyannote.audio 3.x resolves relative model paths against the working directory, so
    a downloaded pipeline folder only loads from inside it. Relative paths that exist in
    the folder are rewritten as absolute into a private copy of the config; a config
    without such paths (hub ids, ``$model/...`` in 4.x, absolute paths) is used as is.
    """
    import yaml

    text = config.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    changed = _rewrite_paths(data, config.parent)
    if not changed:
        return str(config)
    fd, tmp = tempfile.mkstemp(prefix="listenlens-pyannote-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh)
    return tmp


def _rewrite_paths(node: Any, base: Path) -> bool:
    changed = False
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if isinstance(value, str):
            if value and not value.startswith("$") and not os.path.isabs(value) and (base / value).exists():
                node[key] = str((base / value).resolve())
                changed = True
        else:
            changed |= _rewrite_paths(value, base)
    return changed


def _looks_like_path(spec: str) -> bool:
    # Hub ids are "owner/name" (optionally "@revision"); anything else is meant as a path.
    return spec.startswith((".", "/", "~")) or "\\" in spec or spec.count("/") != 1


def _device(device: str | None) -> str:
    device = (device or "cpu").lower()
    if device == "auto":
        try:
            import torch

            return "cuda" if torch.cuda.is_available() else "cpu"
        except ImportError:
            return "cpu"
    return device


def _version() -> str | None:
    try:
        from importlib.metadata import version

        return version("pyannote.audio")
    except Exception:
        return None


class _ProgressHook:
    """pyannote's ``hook(step, artefact, file=, completed=, total=)`` -> our Progress."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def __call__(
        self, step_name: str, step_artefact: Any = None, file: Any = None, total: int | None = None, completed: int | None = None, **_: Any
    ) -> None:
        if completed is not None:
            self.progress(f"pyannote {step_name}", float(completed), None if total is None else float(total))
        else:
            self.progress(f"pyannote {step_name}", 1.0, 1.0)
