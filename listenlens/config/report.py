"""Showing settings: redacted values, where each came from, and the tree as TOML."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from listenlens.config.sources import ALIASES, alias_values, env_name, leaves

# user:password@ in a URL (database, broker, object store).
_URL_PASSWORD = re.compile(r"(?<=://)([^:/@\s]*):[^@\s]+@")


def redacted(settings: BaseModel, include: set[str] | None = None) -> dict[str, Any]:
    """JSON-ready settings with secrets hidden: tokens print as ********, URL passwords as ***."""
    return _scrub(settings.model_dump(mode="json", include=include))


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\1:***@", value)
    return value


def origins(config_file: Path | None, overrides: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """{dotted path: where its value came from} for every path a source sets.

    Sources are read again here, in precedence order, so the highest one setting a path
    (or a table holding it) is the one named."""
    import tomllib

    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    if config_file is not None and config_file.is_file():
        with config_file.open("rb") as f:
            for path, _ in leaves(tomllib.load(f)):
                out[path] = f"file {config_file}"
    by_path = {path: name for name, path in ALIASES.items()}
    for path in alias_values(environ):
        out[path] = f"env {by_path[path]}"
    for name in environ:
        if name.startswith("LISTENLENS_") and "__" in name:
            path = ".".join(part.lower() for part in name[len("LISTENLENS_"):].split("__"))
            if env_name(path) == name:
                out[path] = f"env {name}"
    for path, _ in leaves(overrides):
        out[path] = "command line"
    return out


def origin_of(path: str, found: Mapping[str, str]) -> str:
    """The source of ``path``: its own entry, the nearest table above it that a source set,
    or (for a table) a source setting something inside it."""
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        hit = found.get(".".join(parts[:n]))
        if hit:
            return hit
    inside = [source for key, source in found.items() if key.startswith(path + ".")]
    return inside[-1] if inside else "default"


def to_toml(tree: Mapping[str, Any], notes: Mapping[str, str] | None = None) -> str:
    """``tree`` as TOML, each value followed by its note (``# env LISTENLENS_MODEL``).

    Unset values (None, which TOML cannot hold) are written as comments."""
    notes = notes or {}
    lines: list[str] = []

    def table(node: Mapping[str, Any], path: list[str]) -> None:
        scalars = [(k, v) for k, v in node.items() if not isinstance(v, Mapping)]
        tables = [(k, v) for k, v in node.items() if isinstance(v, Mapping)]
        if path and (scalars or not tables):
            lines.append(("\n" if lines else "") + f"[{'.'.join(path)}]")
        for key, value in scalars:
            dotted = ".".join([*path, key])
            note = notes.get(dotted)
            comment = f"  # {note}" if note else ""
            if value is None:
                lines.append(f"# {key} = null{comment}")
            else:
                lines.append(f"{key} = {_toml_value(value)}{comment}")
        for key, value in tables:
            table(value, [*path, key])

    table(tree, [])
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")
