"""``listenlens config show|schema``, and the ``--config`` / ``--set`` options every
command that runs the pipeline or the service takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

config_app = typer.Typer(help="The settings tree: what is in effect and what can be set.", no_args_is_help=True)

ConfigOpt = typer.Option(
    None, "--config", help="TOML settings file (docs/configuration.md) [env LISTENLENS_CONFIG]", show_default=False
)
SetOpt = typer.Option(
    None, "--set", metavar="SECTION.KEY=VALUE",
    help="set any setting, e.g. --set diarizer.embedded.step_s=0.5; repeatable (`listenlens config show` lists them)",
    show_default=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


def cli_settings(config: Path | None, sets: list[str] | None, flags: dict[str, Any] | None = None):
    """The effective settings for a command: ``flags`` maps dotted keys to flag values
    (None: the flag was not given, the other sources decide)."""
    from listenlens.config import load_settings
    from listenlens.config.sources import nest

    given = nest({k: v for k, v in (flags or {}).items() if v is not None})
    return load_settings(config, given, sets or ())


@config_app.command("show")
def show(
    config: Path | None = ConfigOpt,
    sets: list[str] | None = SetOpt,
    as_json: bool = typer.Option(False, "--json", help="print JSON (no sources) instead of annotated TOML"),
) -> None:
    """Print the effective settings, each with where it came from (default, file, env, command line); secrets are hidden."""
    from listenlens.config import config_file, load_settings
    from listenlens.config.report import origin_of, origins, redacted, to_toml
    from listenlens.config.sources import leaves, parse_assignments

    settings = load_settings(config, assignments=sets or ())
    tree = redacted(settings)
    if as_json:
        typer.echo(json.dumps(tree, indent=2, ensure_ascii=False))
        return
    path = Path(config).expanduser() if config is not None else config_file()
    found = origins(path, parse_assignments(sets or ()))
    notes = {key: origin_of(key, found) for key, _ in leaves(tree)}
    notes = {key: note for key, note in notes.items() if note != "default"}
    typer.echo("# The settings in effect; a note names where a value came from, unnoted values are defaults.\n")
    typer.echo(to_toml(tree, notes), nl=False)


@config_app.command("schema")
def schema() -> None:
    """Print the JSON schema of the settings tree (every section, key, type, default and description)."""
    from listenlens.config import Settings

    typer.echo(json.dumps(Settings.model_json_schema(), indent=2, ensure_ascii=False))
