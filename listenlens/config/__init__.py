"""listenlens's settings: one tree, read from defaults, a TOML file, the environment and flags.

    from listenlens.config import load_settings
    settings = load_settings(config_file="listenlens.toml", overrides={"diarizer": {"backend": "embedded"}})
    settings.asr.model, settings.diarizer.embedded.step_s, settings.scorecard.targets["talk_ratio"]

``docs/configuration.md`` describes every section, the precedence and the variable names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from listenlens.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from listenlens.config.tree import PROFILES, AsrSettings, AudioSettings, Settings, config_file

# The tree imports every section's module (the scorecard's pulls in the metrics); it is
# loaded on first use so ``listenlens --help`` and the option definitions stay fast.
_LAZY = {"PROFILES", "AsrSettings", "AudioSettings", "Settings", "config_file"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from listenlens.config import tree

        return getattr(tree, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_settings(
    config_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    assignments: Iterable[str] = (),
) -> Settings:
    """The effective settings: defaults < ``config_file`` (else ``LISTENLENS_CONFIG``) <
    environment < ``assignments`` (``--set section.key=value``) < ``overrides`` (nested,
    as flags give them). Any mistake is a ``ConfigError`` naming the key and its source."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from listenlens.config import tree
    from listenlens.config.sources import deep_merge, parse_assignments

    given = deep_merge(parse_assignments(assignments), dict(overrides or {}))
    path = Path(config_file).expanduser() if config_file is not None else None
    token = tree._config_file.set(path)
    try:
        try:
            return tree.Settings(**given)
        except ValidationError as exc:
            raise ConfigError(_explain(exc, given)) from None
        except SettingsError as exc:
            raise ConfigError(f"{exc}: a list or table in a LISTENLENS_* variable is written as JSON, e.g. '[\"yeah\", \"mm\"]'") from None
    finally:
        tree._config_file.reset(token)


def _explain(exc: ValidationError, given: Mapping[str, Any]) -> str:
    from listenlens.config.report import origin_of, origins
    from listenlens.config.tree import config_file

    found = origins(config_file(), given)
    problems = []
    for err in exc.errors()[:3]:
        path = ".".join(str(part) for part in err["loc"])
        source = origin_of(path, found)
        where = "" if source == "default" else f" (from {source})"
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown setting {path}{where}; {_known_keys(err['loc'])}")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, (dict, list)) else f", got {got!r}"
            problems.append(f"{path}{where}: {err['msg']}{shown}")
    more = len(exc.errors()) - len(problems)
    return "; ".join(problems) + (f"; and {more} more" if more > 0 else "") + " (see `listenlens config show`)"


def _known_keys(loc: tuple) -> str:
    """The keys the section holding ``loc`` does have."""
    from pydantic import BaseModel

    from listenlens.config.tree import Settings

    model: Any = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part)) if isinstance(model, type) and issubclass(model, BaseModel) else None
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "check the spelling"
        model = annotation
    return "known here: " + ", ".join(model.model_fields)


__all__ = ["AsrSettings", "AudioSettings", "PROFILES", "Settings", "config_file", "load_settings"]
