"""The ``listenlens`` command.

Each command is a thin shell over a library function: options are parsed in the
area's ``commands`` module, work is done in ``listenlens.pipeline``,
``listenlens.evaluation`` and ``listenlens.service``. A ``ListenlensError`` from any
command becomes one line on stderr and a non-zero exit (``_Commands``); nothing else is
caught, so a bug keeps its traceback.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from listenlens.errors import ListenlensError


class _Commands(TyperGroup):
    """Every command's user errors end the same way: one line on stderr, a non-zero exit."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ListenlensError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted: nothing was written", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_Commands,
    name="listenlens",
    help="Listening-skills analyzer for recorded sales calls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_subcommands() -> None:
    # Each area owns its commands; importing these modules is cheap (heavy imports
    # happen inside the commands).
    from listenlens.config import commands as config_commands
    from listenlens.evaluation import commands as eval_commands
    from listenlens.pipeline import commands as pipeline_commands
    from listenlens.service import commands as service_commands

    pipeline_commands.register(app)
    eval_commands.register(app)
    service_commands.register(app)
    config_commands.register(app)


_register_subcommands()


def main() -> None:  # pragma: no cover - console entry point
    app()
