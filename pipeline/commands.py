"""``listenlens transcribe``, ``listenlens analyze`` and ``listenlens schema``."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from listenlens.cli_progress import ProgressDisplay
from listenlens.config.commands import ConfigOpt, SetOpt
from listenlens.pipeline.diarize.settings import CHOICES

# typer offers an Enum's values as the choices; built from CHOICES so the two cannot drift
# (mypy reads members only from a literal, hence the ignore).
DiarizerChoice = Enum("DiarizerChoice", {name: name for name in CHOICES}, type=str)  # type: ignore[misc]


class ProfileChoice(str, Enum):
    cpu = "cpu"
    gpu = "gpu"


CallArg = typer.Argument(..., help="the call recording (WAV, MP3, M4A, OGG, FLAC, WebM, ...)", show_default=False)
OutOpt = typer.Option(Path("listenlens-out"), "--out", "-o", help="folder the outputs are written to")
DiarizerOpt = typer.Option(
    None, "--diarizer", help="who-spoke-when backend [setting diarizer.backend, env LISTENLENS_DIARIZER; default auto]"
)
SpeakersOpt = typer.Option(None, "--num-speakers", min=1, max=6, help="how many speakers, if known (default: found automatically)")
RepOpt = typer.Option(None, "--rep", help="the rep: a speaker label (SPEAKER_01, CH0) or the name they introduce themselves with")
ChannelsOpt = typer.Option(None, "--channels", help="what each channel holds, e.g. rep,customer (dual-channel recordings)")
ModelOpt = typer.Option(
    None, "--model", help="faster-whisper model name or local CTranslate2 folder [env LISTENLENS_MODEL; default base; tiny.en also bundled]"
)
DeviceOpt = typer.Option(None, "--device", help="cpu, cuda or auto [env LISTENLENS_DEVICE]")
ComputeOpt = typer.Option(None, "--compute-type", help="int8, float16, ... [env LISTENLENS_COMPUTE_TYPE]")
ProfileOpt = typer.Option(None, "--profile", help="gpu: large-v3 on CUDA in float16; cpu: base int8 [env LISTENLENS_PROFILE]")
PyannoteOpt = typer.Option(None, "--pyannote-pipeline", help="folder (or hub id) of a pyannote.audio pipeline, for --diarizer pyannote")
QuietOpt = typer.Option(False, "--quiet", "-q", help="no progress display")


def register(app: typer.Typer) -> None:
    app.command("transcribe")(transcribe)
    app.command("analyze")(analyze)
    app.command("schema")(schema)


def transcribe(
    call: Path = CallArg,
    out: Path = OutOpt,
    diarizer: DiarizerChoice | None = DiarizerOpt,
    num_speakers: int | None = SpeakersOpt,
    rep: str | None = RepOpt,
    channels: str | None = ChannelsOpt,
    model: str | None = ModelOpt,
    device: str | None = DeviceOpt,
    compute_type: str | None = ComputeOpt,
    profile: ProfileChoice | None = ProfileOpt,
    pyannote_pipeline: str | None = PyannoteOpt,
    config: Path | None = ConfigOpt,
    sets: list[str] | None = SetOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Who said what, when: write the timeline as JSON, RTTM and WebVTT, and print the transcript."""
    from rich.console import Console

    from listenlens.pipeline.export import write_outputs
    from listenlens.pipeline.transcribe import transcribe_call

    settings = _settings(config, sets, diarizer, num_speakers, model, device, compute_type, profile, pyannote_pipeline)
    console = Console()
    with ProgressDisplay(quiet) as progress:
        timeline = transcribe_call(call, settings, rep=rep, channels=channels, progress=progress)
        paths = write_outputs(timeline, out, call.stem)
    _print_transcript(timeline, console)
    for kind, path in paths.items():
        console.print(f"[dim]{kind}:[/dim] {path}")


def analyze(
    call: Path = CallArg,
    out: Path = OutOpt,
    as_json: bool = typer.Option(False, "--json", help="print the whole result as JSON on stdout (nothing else)"),
    plot: bool = typer.Option(False, "--plot", help="also draw the call (who spoke when, questions, interruptions) as OUT/NAME.png"),
    diarizer: DiarizerChoice | None = DiarizerOpt,
    num_speakers: int | None = SpeakersOpt,
    rep: str | None = RepOpt,
    channels: str | None = ChannelsOpt,
    model: str | None = ModelOpt,
    device: str | None = DeviceOpt,
    compute_type: str | None = ComputeOpt,
    profile: ProfileChoice | None = ProfileOpt,
    pyannote_pipeline: str | None = PyannoteOpt,
    config: Path | None = ConfigOpt,
    sets: list[str] | None = SetOpt,
    quiet: bool = QuietOpt,
) -> None:
    """The listening scorecard of a call: print it, and write the full result as JSON."""
    from rich.console import Console

    from listenlens.pipeline.analyze import analyze_call
    from listenlens.pipeline.export import write_outputs
    from listenlens.pipeline.report import render_scorecard
    from listenlens.pipeline.scorecard.names import names_from_timeline

    settings = _settings(config, sets, diarizer, num_speakers, model, device, compute_type, profile, pyannote_pipeline)
    with ProgressDisplay(quiet or as_json) as progress:
        result = analyze_call(call, settings, rep=rep, channels=channels, progress=progress)
        text = result.result().model_dump_json(indent=2)
        analysis_path = out / f"{call.stem}.analysis.json"
        write_outputs(result.timeline, out, call.stem, extra={analysis_path: text})
    # --rep may be the rep's name ("sam") rather than a speaker label: then it is what the rep is called.
    rep_name = rep if rep and rep not in result.timeline.labels() else None
    names = names_from_timeline(result.timeline, rep_name=rep_name)
    picture = None
    if plot:
        from listenlens.pipeline.plot import plot_call

        picture = plot_call(result.scorecard, result.timeline, out / f"{call.stem}.png", names=names)
    if as_json:
        sys.stdout.write(text + "\n")
        return
    console = Console()
    render_scorecard(result.scorecard, console, names=names)
    console.print(f"[dim]full result:[/dim] {analysis_path}")
    if picture:
        console.print(f"[dim]picture:[/dim] {picture}")


def schema() -> None:
    """Print the JSON Schema of the scorecard (listenlens.scorecard/1) that analyze and the API return."""
    from listenlens.pipeline.scorecard.models import schema_json

    sys.stdout.write(schema_json())


def _settings(config, sets, diarizer, num_speakers, model, device, compute_type, profile, pyannote_pipeline):
    from listenlens.config.commands import cli_settings

    # Flags override --set, the environment and the file; unset flags leave those in force.
    return cli_settings(config, sets, {
        "diarizer.backend": diarizer.value if diarizer else None,
        "diarizer.num_speakers": num_speakers,
        "diarizer.pyannote.pipeline": pyannote_pipeline,
        "asr.model": model,
        "asr.device": device,
        "asr.compute_type": compute_type,
        "asr.profile": profile.value if profile else None,
    })


def _print_transcript(timeline, console) -> None:
    from listenlens.pipeline.attribute import utterances

    colours = ["cyan", "magenta", "green", "yellow", "blue", "red"]
    labels = timeline.labels()
    for u in utterances(timeline.words):
        role = timeline.role_of(u.speaker).value
        colour = colours[labels.index(u.speaker) % len(colours)] if u.speaker in labels else "white"
        m, s = divmod(u.start, 60)
        console.print(f"[dim]{int(m):02d}:{s:04.1f}[/dim] [{colour}]{u.speaker} ({role})[/{colour}]: {u.text}", highlight=False)
    r = timeline.roles
    console.print(f"[dim]roles: {r.source.value}, confidence {r.confidence:.2f}; {'; '.join(r.evidence)}[/dim]")
