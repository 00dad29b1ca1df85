"""Where settings come from: the TOML file, environment variables, ``--set`` assignments.

Nested variables name the path with ``__``: ``LISTENLENS_DIARIZER__EMBEDDED__STEP_S``.
The short names users already rely on (``LISTENLENS_MODEL``, ``LISTENLENS_DIARIZER``,
``LISTENLENS_HOME``, ...) stay: ``ALIASES`` maps each to its place in the tree, and a
nested name wins over the short one when both are set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomllib
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, TomlConfigSettingsSource

from listenlens.errors import ConfigError

PREFIX = "LISTENLENS_"
DELIMITER = "__"
NULL = "null"

# Short environment names -> their dotted path in the tree.
ALIASES: dict[str, str] = {
    "LISTENLENS_PROFILE": "asr.profile",
    "LISTENLENS_MODEL": "asr.model",
    "LISTENLENS_DEVICE": "asr.device",
    "LISTENLENS_COMPUTE_TYPE": "asr.compute_type",
    "LISTENLENS_CPU_THREADS": "asr.cpu_threads",
    "LISTENLENS_LANGUAGE": "asr.language",
    "LISTENLENS_BEAM_SIZE": "asr.beam_size",
    **{
        f"LISTENLENS_{name.upper()}": f"audio.{name}"
        for name in (
            "max_duration_s", "max_channels", "min_sample_rate", "max_sample_rate", "max_decoded_mb",
            "decode_timeout_s", "probe_timeout_s",
        )
    },
    "LISTENLENS_DIARIZER": "diarizer.backend",
    "LISTENLENS_NUM_SPEAKERS": "diarizer.num_speakers",
    "LISTENLENS_MIN_SPEAKERS": "diarizer.min_speakers",
    "LISTENLENS_MAX_SPEAKERS": "diarizer.max_speakers",
    "LISTENLENS_PYANNOTE_PIPELINE": "diarizer.pyannote.pipeline",
    "LISTENLENS_HF_TOKEN": "diarizer.pyannote.hf_token",
    **{
        f"LISTENLENS_{name.upper()}": f"service.{name}"
        for name in (
            "home", "database_url", "broker_url", "storage_url", "celery_queue", "max_upload_mb", "db_busy_timeout_s",
            "stale_upload_s", "retention_days",
            "housekeeping_interval_s", "worker_threads", "job_lease_s", "job_max_attempts", "poll_interval_s",
            "webhook_max_attempts", "webhook_backoff_s", "webhook_timeout_s", "webhook_threads", "webhook_allow_http",
            "webhook_allow_networks", "session_hours", "login_max_failures", "login_lockout_s", "trust_proxy",
        )
    },
}


def env_name(path: str) -> str:
    """The nested environment variable of a dotted path."""
    return PREFIX + DELIMITER.join(path.split(".")).upper()


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1, "a.c": 2}`` -> ``{"a": {"b": 1, "c": 2}}``."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, last = path.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{path}: {key} is set both as a value and as a section")
        node[last] = value
    return out


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``top`` laid over it, merging nested mappings key by key."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def leaves(tree: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """(dotted path, value) of every non-mapping value of ``tree``."""
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path + ".")
        else:
            yield path, value


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML value (``0.5``, ``true``, ``["a", "b"]``), ``null``, or else the text itself."""
    if text.strip() == NULL:
        return None
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    """``["diarizer.embedded.step_s=0.5", ...]`` -> a nested dict of overrides."""
    flat: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or "." not in key or any(not part for part in key.split(".")):
            raise ConfigError(
                f"--set {pair!r}: write section.key=value, e.g. --set diarizer.embedded.step_s=0.5 "
                "(`listenlens config show` lists every key)"
            )
        flat[key] = parse_value(value)
    return nest(flat)


def toml_source(settings_cls: type[BaseSettings], path: Path) -> TomlConfigSettingsSource:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist: check --config or LISTENLENS_CONFIG")
    try:
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


class SectionEnvSource(EnvSettingsSource):
    """``LISTENLENS_<SECTION>__<KEY>`` variables. A bare section name is not read here:
    ``LISTENLENS_DIARIZER`` is the short name of ``diarizer.backend`` (``AliasEnvSource``)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        _value, key, is_complex = super().get_field_value(field, field_name)
        return None, key, is_complex

    def __call__(self) -> dict[str, Any]:
        sections = set(self.settings_cls.model_fields)
        for name in self.env_vars:
            if name.upper().startswith(PREFIX) and DELIMITER in name:
                section = name[len(PREFIX):].split(DELIMITER, 1)[0].lower()
                if section not in sections:
                    raise ConfigError(
                        f"{name.upper()}: there is no settings section {section!r}; "
                        f"sections: {', '.join(sorted(sections))}"
                    )
        return super().__call__()


class AliasEnvSource(PydanticBaseSettingsSource):
    """The short environment names of ``ALIASES``."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return nest(alias_values(os.environ))


def alias_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """{dotted path: value} of the short names set in ``environ`` (``null`` is None; a
    list or table is JSON, as in the nested names)."""
    return {path: _env_value(name, environ[name]) for name, path in ALIASES.items() if name in environ}


def _env_value(name: str, text: str) -> Any:
    if text == NULL:
        return None
    if text.lstrip().startswith(("[", "{")):
        try:
            return json.loads(text)
        except ValueError:
            raise ConfigError(f"{name}={text!r} is not valid JSON: write a list as [\"a\", \"b\"]") from None
    return text
