"""Diarization backends and how one is chosen.

``select_backend(requested, audio)`` turns the ``--diarizer`` setting into a backend
name for this recording (``auto``: ``channels`` for a true dual-channel call, else
``segmented``); ``get_diarizer(name, settings)`` builds it with its section of the
settings (``diarize/settings.py``). Backends are imported lazily: ``embedded`` loads a
voice encoder and ``pyannote`` an optional package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listenlens.errors import ConfigError
from listenlens.pipeline.diarize.settings import BACKENDS, CHOICES, DiarizerSettings

if TYPE_CHECKING:
    from listenlens.pipeline.audio import Audio
    from listenlens.pipeline.diarize.base import Diarizer

# Whether a backend can put two speakers on the same moment. Without that, a mono call's
# interruptions cannot be seen at all, and the scorecard says so instead of showing 0.
# A backend may override this per run in ``Diarization.info["detects_overlap"]`` (the
# embedded backend with its overlap detector switched off).
DETECTS_OVERLAP = {"channels": True, "embedded": True, "segmented": True, "pyannote": True}
__all__ = ["BACKENDS", "CHOICES", "DETECTS_OVERLAP", "DiarizerSettings", "get_diarizer", "select_backend"]


def select_backend(requested: str, audio: Audio) -> str:
    """The backend to run on ``audio`` for the ``--diarizer`` value ``requested``."""
    from listenlens.pipeline.diarize.channels import is_effectively_mono

    name = _known(requested)
    if name == "auto":
        return "channels" if audio.channels >= 2 and not is_effectively_mono(audio) else "segmented"
    if name == "channels":
        if audio.channels < 2:
            raise ConfigError(
                "--diarizer channels needs one party per channel, but this recording is mono: "
                "use --diarizer auto or segmented"
            )
        if is_effectively_mono(audio):
            raise ConfigError(
                f"--diarizer channels needs one party per channel, but the {audio.channels} channels of this "
                "recording carry the same audio (or all but one are silent): use --diarizer auto or segmented"
            )
    return name


def get_diarizer(name: str, settings: DiarizerSettings | None = None, *, device: str | None = None) -> Diarizer:
    """Build the backend ``name`` (not ``auto``: resolve it with ``select_backend``) with its
    knobs from ``settings``; ``device`` is where the ``pyannote`` backend runs (cpu, cuda,
    auto; None: cpu)."""
    name = _known(name)
    settings = settings or DiarizerSettings()
    if name == "channels":
        from listenlens.pipeline.diarize.channels import ChannelDiarizer

        return ChannelDiarizer(settings.channels)
    if name == "embedded":
        from listenlens.pipeline.diarize.embedded import EmbeddedDiarizer

        return EmbeddedDiarizer(settings.embedded)
    if name == "segmented":
        from listenlens.pipeline.diarize.segmented import SegmentedDiarizer

        return SegmentedDiarizer(settings.segmented, embedded=settings.embedded)
    if name == "pyannote":
        from listenlens.pipeline.diarize.pyannote_backend import PyannoteDiarizer

        return PyannoteDiarizer(settings.pyannote, device=device)
    raise ConfigError(
        "diarizer 'auto' depends on the recording: call select_backend(requested, audio) first"
    )


def _known(name: str) -> str:
    key = str(name).strip().lower()
    if key not in CHOICES:
        raise ConfigError(f"unknown diarizer {name!r}: choose one of {', '.join(CHOICES)}")
    return key
