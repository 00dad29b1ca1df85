"""How the commands show a call's progress on stderr.

One bar for the call (its stage, as ``pipeline/progress.py`` names it, and the share of
the whole call done) and, for commands that run many files, one for the files. When
stderr is not a terminal (a log, a pipe), one plain line per stage or file instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listenlens.pipeline.progress import ProgressUpdate

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID


class ProgressDisplay:
    """A context manager; the object is the pipeline's progress listener.

    ``stage_lines``: in plain mode, print a line when the stage changes (off for
    commands whose plain log should list files only); ``prefix`` starts every plain line.
    """

    def __init__(self, quiet: bool = False, *, stage_lines: bool = True, prefix: str = ""):
        self.quiet, self.stage_lines, self.prefix = quiet, stage_lines, prefix
        self._console: Console | None = None
        self._bar: Progress | None = None
        self._call: TaskID | None = None
        self._files: TaskID | None = None
        self._last_stage: str | None = None

    def __enter__(self) -> ProgressDisplay:
        if self.quiet:
            return self
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self._console = Console(stderr=True)
        if self._console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description:<22}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                console=self._console, transient=True,
            )
            self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def __call__(self, update: ProgressUpdate) -> None:
        if self._console is None:
            return
        if self._bar is None:
            if self.stage_lines and update.stage != self._last_stage:
                self._console.print(f"{self.prefix}{update.stage} ...", markup=False, highlight=False)
        elif self._call is None:
            # rich annotates add_task's completed as int; it is a float like update's (a share of total=1.0).
            self._call = self._bar.add_task(update.stage, total=1.0, completed=update.fraction)  # type: ignore[arg-type]
        else:
            self._bar.update(self._call, description=update.stage, completed=update.fraction)
        self._last_stage = update.stage

    def note(self, text: str) -> None:
        """A line of its own (above the bars on a terminal)."""
        if self._console is not None:
            self._console.print(text, markup=False, highlight=False)

    def file(self, done: int, total: int) -> None:
        """``done`` of ``total`` files finished; the next call's bar starts from zero."""
        if self._console is None:
            return
        if self._bar is None:
            if done < total:
                self._console.print(f"{self.prefix}file {done + 1} of {total}", markup=False, highlight=False)
            return
        description = f"file {min(done + 1, total)} of {total}"
        if self._files is None:
            self._files = self._bar.add_task(description, total=total, completed=done)
        else:
            self._bar.update(self._files, description=description, completed=done)
        if self._call is not None and done < total:
            self._bar.update(self._call, completed=0.0)
