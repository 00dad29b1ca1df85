"""``listenlens eval``: accuracy and speed of the pipeline against RTTM truth, or its
events against event truth (a folder with ``truth/<id>.events.json``: ``events/``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from listenlens.cli_progress import ProgressDisplay
from listenlens.config.commands import ConfigOpt, SetOpt
from listenlens.evaluation.cases import EvalError
from listenlens.evaluation.targets import TARGETS_HELP
from listenlens.pipeline.diarize.settings import CHOICES


def register(app: typer.Typer) -> None:
    app.command("eval")(evaluate)


def evaluate(
    folder: Path = typer.Argument(
        ...,
        help="folder of recordings with RTTM truth (one RTTM per recording, or several keyed by file id), or a folder of calls "
        "with event truth (truth/<id>.events.json beside dual/, mono/, telephone/ recordings: their events are scored)",
        show_default=False,
    ),
    uem: list[Path] | None = typer.Option(None, "--uem", help="UEM file(s) of the scored regions [default: every *.uem in the folder]"),
    json_out: Path | None = typer.Option(None, "--json", help="also write the full report as JSON to this file"),
    diarizer: str | None = typer.Option(None, "--diarizer", help=f"{', '.join(CHOICES)} [default: auto]"),
    collar: list[float] | None = typer.Option(
        None, "--collar", help="forgiveness collar in seconds on each side of a boundary; repeatable [default: 0 and 0.25]"
    ),
    num_speakers: int | None = typer.Option(None, "--num-speakers", min=1, max=6, help="tell the diarizer how many speakers there are"),
    hyp: Path | None = typer.Option(None, "--hyp", help="score RTTM hypotheses from this folder instead of running the pipeline"),
    targets: str = typer.Option("auto", "--targets", help=f"which targets to check: {TARGETS_HELP}"),
    config: Path | None = ConfigOpt,
    sets: list[str] | None = SetOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress display"),
    variant: list[str] | None = typer.Option(
        None, "--variant", help="event truth: run only this quality (dual, mono, telephone, or script: the scorecard on the "
        "truth's own timeline); repeatable [default: every recorded quality present]"
    ),
    only: list[str] | None = typer.Option(None, "--only", help="event truth: only this call id; repeatable"),
    split: str | None = typer.Option(None, "--split", help="event truth: only the calls of this split (e.g. held-out)"),
    misses: bool = typer.Option(False, "--misses", help="event truth: list every missed or extra event"),
) -> None:
    """Diarization error (DER, JER) and timing-metric error against RTTM truth, per file and overall.

    On a folder of calls with event truth (truth/<id>.events.json), the scorecard's events
    instead: precision and recall per kind, phantom questions, verdicts, word attribution,
    talk ratio and the event targets, per quality (docs/benchmarks.md)."""
    from rich.console import Console

    from listenlens.evaluation.der import DEFAULT_COLLARS
    from listenlens.evaluation.events.truth import has_event_truth
    from listenlens.evaluation.hypotheses import rttm_hypothesis
    from listenlens.evaluation.runner import run_eval
    from listenlens.evaluation.targets import bench_figure

    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 120))  # logs and pipes: no wrapped columns
    if has_event_truth(folder):
        rttm_only = [name for name, given in (("--uem", uem), ("--collar", collar), ("--hyp", hyp), ("--targets", targets != "auto"))
                     if given]
        if rttm_only:
            raise EvalError(f"{', '.join(rttm_only)}: for RTTM truth; {folder} holds event truth, scored by its events")
        _evaluate_events(folder, console, variant=variant, only=only, split=split, misses=misses, json_out=json_out,
                         settings=_settings(config, sets, diarizer, num_speakers), quiet=quiet)
        return
    if (folder / "truth").is_dir():
        raise EvalError(f"{folder / 'truth'} holds no <id>.events.json event truth; build the calls "
                        "(bench/sales_calls/build.py) or write it in the format of docs/benchmarks.md")
    event_only = [name for name, given in (("--variant", variant), ("--only", only), ("--split", split), ("--misses", misses))
                  if given]
    if event_only:
        raise EvalError(f"{', '.join(event_only)}: for a folder of calls with event truth (truth/<id>.events.json); "
                        f"{folder} has none")
    with ProgressDisplay(quiet, stage_lines=False, prefix="[eval] ") as progress:
        settings = _settings(config, sets, diarizer, num_speakers)
        report = run_eval(
            folder,
            hypothesize=rttm_hypothesis(hyp) if hyp else None,
            uem_paths=uem or (),
            collars=tuple(collar) if collar else DEFAULT_COLLARS,
            kind=targets,
            memory_mb=bench_figure("memory_60min_peak_mb"),
            bench_speed_x=bench_figure("speed_30min_x"),
            progress=progress,
            on_file=progress.file,
            settings=settings,
        )
        if json_out:
            _write_atomically(json_out, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    render(report, console)
    if json_out:
        console.print(f"[dim]report:[/dim] {json_out}")


def _evaluate_events(folder: Path, console, *, variant, only, split, misses, json_out, settings, quiet) -> None:
    from listenlens.evaluation.events.command import event_document, run_event_eval
    from listenlens.evaluation.events.render import render_report, render_targets

    with ProgressDisplay(quiet, stage_lines=False, prefix="[eval] ") as progress:
        calls, reports = run_event_eval(folder, variants=variant, only=only, split=split, settings=settings,
                                         progress=progress, say=progress.note)
        if json_out:
            _write_atomically(json_out, json.dumps(event_document(folder, calls, reports), indent=1, ensure_ascii=False,
                                                   default=_plain) + "\n")
    for report in reports:
        render_report(report, console, misses=misses)
    render_targets(reports, console)
    if json_out:
        console.print(f"[dim]report:[/dim] {json_out}")


def _plain(o):
    """numpy scalars (a bool or float from a metric) as the Python values they hold."""
    return o.item() if hasattr(o, "item") else str(o)


def _settings(config: Path | None, sets: list[str] | None, diarizer: str | None, num_speakers: int | None):
    from listenlens.config.commands import cli_settings
    from listenlens.errors import ConfigError

    if diarizer is not None and diarizer not in CHOICES:
        raise ConfigError(f"--diarizer {diarizer!r}: choose one of {', '.join(CHOICES)}")
    return cli_settings(config, sets, {"diarizer.backend": diarizer, "diarizer.num_speakers": num_speakers})


def render(report: dict, console) -> None:
    from rich.table import Table

    collars = [f"{c:g}" for c in report["collars"]]
    groups = [(f"[bold]{name}[/bold] ({g['files']})", g) for name, g in report["overall"].items()]

    dia = Table(title=f"diarization error: {report['folder']}")
    for col in ("file", "split", "dur s"):
        dia.add_column(col, justify="right" if col == "dur s" else "left")
    for c in collars:
        dia.add_column(f"DER @{c} s\n(miss/FA/conf)", justify="right")
        dia.add_column(f"JER @{c} s", justify="right")
    rows = [(f["file_id"], f["split"] or "", f["duration_s"], f["diarization"]) for f in report["files"]]
    for i, (name, split, dur, d) in enumerate(rows + [(n, "", g["duration_s"], g["diarization"]) for n, g in groups]):
        if i == len(rows):
            dia.add_section()
        dia.add_row(name, split, f"{dur:.0f}", *[x for c in collars for x in (_der(d[c]), _pct(d[c]["jer"]))])
    console.print(dia)

    tim = Table(title="timing metrics: hypothesis minus truth")
    for col in ("file", "talk ratio pp", "monologue s", "interruptions\ntruth/found/hit", "patience s", "wait |err| s", "speed x rt"):
        tim.add_column(col, justify="left" if col == "file" else "right")
    for f in report["files"]:
        t, i = f["timing"], f["timing"]["interruptions"]
        tim.add_row(
            f["file_id"], _num(t["talk_ratio_error_pp"], "+.1f"), _num(t["longest_monologue_error_s"], "+.1f"),
            f"{i['truth']}/{i['found']}/{i['matched']}", _num(t["patience_error_s"], "+.2f"),
            _num(t["wait"]["mean_abs_error_s"], ".2f"), _num(f.get("speed", {}).get("x_real_time"), ".1f"),
        )
    tim.add_section()
    for name, g in groups:
        t = g["timing"]
        tim.add_row(
            name,
            _num(t["talk_ratio_mean_abs_error_pp"], ".1f", "|mean| "),
            _num(t["longest_monologue_mean_abs_error_s"], ".1f", "|mean| "),
            f"{t['interruptions_truth']}/{t['interruptions_found']}/{t['interruptions_matched']}",
            _num(t["patience_mean_abs_error_s"], ".2f", "|mean| "),
            _num(t["wait_mean_abs_error_s"], ".2f"),
            _num(g.get("speed", {}).get("x_real_time"), ".1f"),
        )
    console.print(tim)
    for f in report["files"]:
        if f.get("pipeline_refused"):
            console.print(
                f"[yellow]refused[/yellow] {f['file_id']}: {f['pipeline_refused']} (scored on its diarization alone)", highlight=False
            )
    for f in report.get("failed", []):
        console.print(f"[red]failed[/red] {f['file_id']}: {f['error']}", highlight=False)

    if report["targets"]:
        tt = Table(title=f"targets ({report['kind']})")
        for col in ("target", "value", "limit", "met", "note"):
            tt.add_column(col)
        for t in report["targets"]:
            sign = "<=" if t["at_most"] else ">="
            met = "[dim]n/a[/dim]" if t["met"] is None else ("[green]met[/green]" if t["met"] else "[red]MISSED[/red]")
            tt.add_row(t["target"], _num(t["value"], ".1f") + f" {t['unit']}", f"{sign} {t['limit']:g} {t['unit']}", met, t["note"])
        console.print(tt)
    for text in report["conventions"].values():
        console.print(f"[dim]{text}[/dim]")


def _der(d: dict) -> str:
    if d["der"] is None:
        return "-"
    return f"{100 * d['der']:.1f}% ({100 * d['missed']:.1f}/{100 * d['false_alarm']:.1f}/{100 * d['confusion']:.1f})"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x, fmt: str, prefix: str = "") -> str:
    return "-" if x is None else prefix + format(x, fmt)


def _write_atomically(path: Path, text: str) -> None:
    from listenlens.errors import ConfigError
    from listenlens.pipeline.export import write_files_atomically

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_files_atomically({path: text})
    except OSError as exc:
        raise ConfigError(f"--json {path}: cannot write it ({exc.strerror}); choose a writable path") from None
