"""The settings tree: one root ``Settings`` with a section per part of listenlens.

    asr         the recogniser (faster-whisper)
    audio       what recordings are accepted
    diarizer    who spoke when, with one sub-section per backend
    voiceprints how a call's speakers are matched to the team's enrolled voices
    scorecard   score targets and weights, with the metrics' thresholds in scorecard.metrics
    service     the API, its workers, storage and webhooks

Values come from, lowest to highest precedence: the defaults here, a TOML file
(``--config FILE`` or ``LISTENLENS_CONFIG``), environment variables
(``LISTENLENS_ASR__MODEL``, or the short names in ``sources.ALIASES`` such as
``LISTENLENS_MODEL``), and command-line flags. ``docs/configuration.md`` describes
every section.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from listenlens.pipeline.diarize.settings import DiarizerSettings
from listenlens.pipeline.scorecard import ScorecardConfig, Target
from listenlens.pipeline.voiceprints.settings import VoiceprintSettings
from listenlens.service.settings import ServiceSettings

ENV_PREFIX = "LISTENLENS_"
CONFIG_ENV = "LISTENLENS_CONFIG"

# What ``asr.profile`` expands to. Explicit settings win over a profile.
PROFILES: dict[str, dict[str, str]] = {
    "cpu": {"model": "base", "device": "cpu", "compute_type": "int8"},
    "gpu": {"model": "large-v3", "device": "cuda", "compute_type": "float16"},
}

# The TOML file of the settings being built; set by ``load_settings``, read by the sources.
_config_file: contextvars.ContextVar[Path | None] = contextvars.ContextVar("listenlens_config_file", default=None)


class AsrSettings(BaseModel):
    """Speech recognition (faster-whisper). ``profile`` fills model/device/compute_type left unset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: Literal["cpu", "gpu"] = Field("cpu", description="cpu: base int8 on CPU; gpu: large-v3 float16 on CUDA")
    model: str | None = Field(
        None, description="faster-whisper model name (base, tiny.en, large-v3, ...) or a local CTranslate2 folder"
    )
    device: str | None = Field(None, description="cpu, cuda or auto")
    compute_type: str | None = Field(None, description="int8, float16, int8_float16, ...")
    cpu_threads: int = Field(0, ge=0, description="0: one per core")
    language: str | None = Field("en", description="spoken language; null detects it")
    beam_size: int = Field(1, ge=1, description="1: greedy decoding")
    # Greedy decoding mishears telephone audio most: on the 8 kHz sales calls a beam of 5
    # cut the word error rate (docs/design.md, "Which recogniser") for ~30% more
    # recognition time on those calls only; on wide-band calls it bought nothing.
    phone_beam_size: int = Field(
        5, ge=1, description="beam width on telephone-band calls (8 kHz, or nothing above 4 kHz); 1: greedy"
    )
    batch_size: int = Field(
        4, ge=1, description="greedy decoding: 30 s clips decoded together (1, and any beam search: one window after another)"
    )
    # Off: bench/fillers_asr.py measures what the prompt keeps and what it costs
    # (bench/results.md, "Beyond timing").
    keep_fillers: bool = Field(False, description="prompt the recogniser with fillers so it keeps the um and uh it hears")

    def resolved(self) -> AsrSettings:
        """Fill model/device/compute_type left unset from the chosen profile."""
        preset = PROFILES[self.profile]
        return self.model_copy(update={k: getattr(self, k) or v for k, v in preset.items()})


class AudioSettings(BaseModel):
    """What a recording may be (the CLI and the service refuse the same ones). Each limit
    is checked from the header and again while decoding, which stops as soon as one is passed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_duration_s: float = Field(4 * 3600.0, gt=0, description="longer recordings are refused")
    max_channels: int = Field(8, ge=1, description="recordings with more channels are refused")
    min_sample_rate: int = Field(4000, ge=1, description="recordings sampled below this (Hz) are refused")
    max_sample_rate: int = Field(384000, ge=1, description="recordings sampled above this (Hz) are refused")
    max_decoded_mb: float = Field(
        2048.0, gt=0, description="largest decoded audio (16 kHz float32, all channels) in MB; bigger is refused"
    )
    decode_timeout_s: float = Field(900.0, gt=0, description="longest one recording may take to decode")
    probe_timeout_s: float = Field(60.0, gt=0, description="longest the upload check of one recording may take")

    def limits(self):
        """These limits as ``pipeline.audio.AudioLimits``, which decoding enforces."""
        from listenlens.pipeline.audio import AudioLimits

        return AudioLimits.from_settings(self)


class Settings(BaseSettings):
    """Every setting of listenlens; build it with ``load_settings`` (or ``Settings()``)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_parse_none_str="null",
        extra="forbid",
    )

    asr: AsrSettings = Field(default_factory=AsrSettings)
    audio: AudioSettings = Field(default_factory=AudioSettings)
    diarizer: DiarizerSettings = Field(default_factory=DiarizerSettings)
    voiceprints: VoiceprintSettings = Field(default_factory=VoiceprintSettings)
    scorecard: ScorecardConfig = Field(default_factory=ScorecardConfig)
    service: ServiceSettings = Field(default_factory=ServiceSettings)

    @field_validator("scorecard", mode="before")
    @classmethod
    def _targets_over_defaults(cls, value: Any) -> Any:
        # A source may change one field of one target (scorecard.targets.talk_ratio.weight):
        # the target's other fields keep their defaults.
        if isinstance(value, Mapping) and isinstance(value.get("targets"), Mapping):
            defaults = ScorecardConfig().targets
            targets = {
                name: {**defaults[name].model_dump(), **t} if isinstance(t, Mapping) and name in defaults else t
                for name, t in value["targets"].items()
            }
            value = {**value, "targets": targets}
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        from listenlens.config.sources import AliasEnvSource, SectionEnvSource, toml_source

        # Highest precedence first.
        sources: list[PydanticBaseSettingsSource] = [init_settings, SectionEnvSource(settings_cls), AliasEnvSource(settings_cls)]
        path = config_file()
        if path is not None:
            sources.append(toml_source(settings_cls, path))
        return tuple(sources)

    # -- what the pipeline reads ---------------------------------------------------------

    def resolved(self) -> Settings:
        """A copy with the ASR profile applied (model, device and compute type filled in)."""
        return self.model_copy(update={"asr": self.asr.resolved()})

    def updated(self, changes: Mapping[str, Any]) -> Settings:
        """A validated copy with ``changes`` (dotted keys: ``{"diarizer.backend": "embedded"}``)."""
        from listenlens.config.sources import deep_merge, nest

        return type(self).model_validate(deep_merge(self.model_dump(), nest(changes)))

    def echo(self) -> dict[str, Any]:
        """What a run of the pipeline used (secrets redacted), for the timeline's ``source``."""
        from listenlens.config.report import redacted

        return redacted(self.resolved(), include={"asr", "audio", "diarizer", "voiceprints"})


def config_file() -> Path | None:
    """The TOML file being read: ``--config`` (through ``load_settings``), else ``LISTENLENS_CONFIG``."""
    given = _config_file.get()
    if given is not None:
        return given
    env = os.environ.get(CONFIG_ENV)
    return Path(env).expanduser() if env else None


__all__ = ["AsrSettings", "AudioSettings", "PROFILES", "Settings", "Target", "config_file"]
