"""Pipeline settings: one place for every knob, each also an environment variable.

``PipelineSettings()`` reads ``LISTENLENS_*`` variables, so ``LISTENLENS_MODEL=large-v3``
or ``LISTENLENS_DEVICE=cuda`` work for the CLI, the service and its workers alike. The
``gpu`` profile is the one-flag switch for a machine with a CUDA card.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from listenlens.pipeline.diarize import CHOICES

DiarizerName = Literal[CHOICES]  # auto and every backend: one list, in pipeline/diarize

# What the ``--profile`` flag expands to. Explicit settings win over a profile.
PROFILES: dict[str, dict[str, str]] = {
    "cpu": {"model": "tiny.en", "device": "cpu", "compute_type": "int8"},
    "gpu": {"model": "large-v3", "device": "cuda", "compute_type": "float16"},
}


class PipelineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LISTENLENS_", extra="ignore")

    profile: Literal["cpu", "gpu"] = "cpu"
    model: str | None = Field(
        None, description="faster-whisper model name (tiny.en, large-v3, ...) or a local CTranslate2 folder"
    )
    device: str | None = Field(None, description="cpu, cuda or auto")
    compute_type: str | None = Field(None, description="int8, float16, int8_float16, ...")
    cpu_threads: int = Field(0, description="0: one per core")
    language: str | None = Field("en", description="spoken language; None detects it")
    beam_size: int = 1

    diarizer: DiarizerName = "auto"
    num_speakers: int | None = None
    min_speakers: int = 1
    max_speakers: int = 6
    pyannote_pipeline: str | None = Field(
        None, description="local folder of a pyannote.audio pipeline, or a hub id used with LISTENLENS_HF_TOKEN"
    )
    hf_token: str | None = None

    # What a recording may be (see AudioLimits in pipeline/audio.py): each is checked from
    # the header and again while decoding, which stops as soon as one is passed.
    max_duration_s: float = Field(4 * 3600.0, description="longer recordings are refused")
    max_channels: int = Field(8, ge=1, description="recordings with more channels are refused")
    min_sample_rate: int = Field(4000, ge=1, description="recordings sampled below this (Hz) are refused")
    max_sample_rate: int = Field(384000, ge=1, description="recordings sampled above this (Hz) are refused")
    max_decoded_mb: float = Field(
        2048.0, gt=0, description="largest decoded audio (16 kHz float32, all channels) in MB; bigger is refused"
    )
    decode_timeout_s: float = Field(900.0, gt=0, description="longest one recording may take to decode")
    probe_timeout_s: float = Field(60.0, gt=0, description="longest the upload check of one recording may take")

    def audio_limits(self):
        from listenlens.pipeline.audio import AudioLimits

        return AudioLimits.from_settings(self)

    def resolved(self) -> "PipelineSettings":
        """Fill model/device/compute_type left unset from the chosen profile."""
        preset = PROFILES[self.profile]
        return self.model_copy(
            update={k: getattr(self, k) or v for k, v in preset.items()}
        )
