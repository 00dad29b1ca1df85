"""CLI commands of this area; ``register`` adds them to the ``listenlens`` app."""

import typer


def register(app: typer.Typer) -> None:
    return None
