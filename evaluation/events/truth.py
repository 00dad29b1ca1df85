"""A folder of calls with event truth -> ``EventCall`` (the truth, and a recording per quality).

The folder (``docs/benchmarks.md``, "Event truth format")::

    FOLDER/truth/<id>.events.json   (or FOLDER/<id>.events.json) the call's events
    FOLDER/dual/<id>.wav            rep on the left channel, customer on the right
    FOLDER/mono/<id>.wav            both sides mixed
    FOLDER/telephone/<id>.wav       the mix at telephone quality

Any quality may be missing; the ``script`` variant needs the truth alone.
``bench/sales_calls/build.py`` writes this layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from listenlens.evaluation.cases import AUDIO_SUFFIXES, EvalError

AUDIO_VARIANTS = ("dual", "mono", "telephone")
VARIANTS = ("script", *AUDIO_VARIANTS)
TRUTH_SUFFIX = ".events.json"
SCHEMA_PREFIX = "listenlens.sales-call-truth/"

Side = Literal["rep", "customer"]


class _Item(BaseModel):
    # Builders may add fields of their own (a line's text, a voice's source): kept, not read.
    model_config = ConfigDict(extra="allow")


class TruthSpeaker(_Item):
    side: Side


class TruthLine(_Item):
    speaker: str
    segments: list[tuple[float, float]] = Field(min_length=1)


class TruthWord(_Item):
    start: float
    end: float
    text: str | None  # None: a stretch of a real voice whose words nobody wrote down
    speaker: str


class TruthQuestion(_Item):
    start: float
    end: float
    text: str = ""
    verdict: Literal["honoured", "self_answered", "stacked"]
    wait_s: float | None = None


class TruthInterruption(_Item):
    start: float
    by_side: Side
    of_side: Side


class TruthEvent(_Item):
    start: float
    text: str = ""


class TruthBackchannel(TruthEvent):
    by_side: Side


class TruthMonologue(_Item):
    start: float
    end: float


class TruthTalk(_Item):
    ratio: float | None = Field(ge=0.0, le=1.0)


class CallTruth(_Item):
    """One call's event truth, as ``<id>.events.json`` holds it. Every kind is listed,
    empty when the call has none, so a forgotten kind is an error, not a perfect score."""

    schema_: str = Field(alias="schema")
    id: str
    split: str | None = None
    duration_s: float = Field(gt=0.0)
    speakers: dict[str, TruthSpeaker] = Field(min_length=1)
    lines: list[TruthLine]
    words: list[TruthWord]
    questions: list[TruthQuestion]
    interruptions: list[TruthInterruption]
    paraphrases: list[TruthEvent]
    backchannels: list[TruthBackchannel]
    monologues: list[TruthMonologue]
    talk: TruthTalk

    @field_validator("schema_")
    @classmethod
    def _known_schema(cls, v: str) -> str:
        if not v.startswith(SCHEMA_PREFIX):
            raise ValueError(f"is {v!r}; an event truth file says schema {SCHEMA_PREFIX}1")
        return v

    @model_validator(mode="after")
    def _speakers_known(self) -> CallTruth:
        said: list[tuple[str, int, str]] = [("lines", i, x.speaker) for i, x in enumerate(self.lines)]
        said += [("words", i, x.speaker) for i, x in enumerate(self.words)]
        for where, i, speaker in said:
            if speaker not in self.speakers:
                raise ValueError(f"{where}[{i}] is by {speaker!r}, who is not in speakers ({', '.join(self.speakers)})")
        return self


@dataclass(frozen=True)
class EventCall:
    id: str
    split: str | None
    truth: dict[str, Any]  # the validated truth, as JSON-ready dicts (what the matching reads)
    audio: dict[str, Path]  # quality -> recording, for the qualities present

    @property
    def duration_s(self) -> float:
        return float(self.truth["duration_s"])


def truth_files(folder: Path) -> list[Path]:
    """The event truth files of ``folder``: in its ``truth/`` subfolder, else in itself."""
    sub = folder / "truth"
    for place in (sub, folder):
        if place.is_dir():
            found = sorted(p for p in place.iterdir() if p.is_file() and p.name.endswith(TRUTH_SUFFIX))
            if found:
                return found
    return []


def has_event_truth(folder: str | Path) -> bool:
    folder = Path(folder)
    return folder.is_dir() and bool(truth_files(folder))


def read_truth(path: Path) -> dict[str, Any]:
    """One truth file, validated; an ``EvalError`` naming the file and the field when it is wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalError(f"{path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path}: not JSON ({exc}); an event truth file is one JSON object (docs/benchmarks.md)") from None
    if not isinstance(raw, dict):
        raise EvalError(f"{path}: holds a {type(raw).__name__}, not a JSON object; see the event truth format in docs/benchmarks.md")
    raw.setdefault("id", path.name[: -len(TRUTH_SUFFIX)])
    try:
        truth = CallTruth.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'the file'}: {e['msg']}" for e in exc.errors()[:3])
        more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise EvalError(f"{path}: not event truth: {problems}{more}; see the event truth format in docs/benchmarks.md") from None
    if truth.id != path.name[: -len(TRUTH_SUFFIX)]:
        raise EvalError(f"{path}: its id is {truth.id!r}; name the file {truth.id}{TRUTH_SUFFIX} so its recordings can be found")
    return truth.model_dump(by_alias=True)


def load_calls(folder: str | Path, only: list[str] | None = None, split: str | None = None) -> list[EventCall]:
    """Every call of ``folder`` with its truth and the recordings of each quality present."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EvalError(f"{folder}: no such folder; give a folder of calls with event truth (truth/<id>{TRUTH_SUFFIX})")
    paths = truth_files(folder)
    if not paths:
        raise EvalError(f"{folder} holds no event truth (truth/<id>{TRUTH_SUFFIX}); build calls with "
                        "bench/sales_calls/build.py or write truth in the format of docs/benchmarks.md")
    by_id = {p.name[: -len(TRUTH_SUFFIX)]: p for p in paths}
    if only:
        unknown = [i for i in only if i not in by_id]
        if unknown:
            raise EvalError(f"--only {', '.join(unknown)}: no such call in {folder}; its calls are {', '.join(sorted(by_id)[:8])}"
                            + (", ..." if len(by_id) > 8 else ""))
        by_id = {i: by_id[i] for i in only}
    calls = []
    for cid, path in by_id.items():
        truth = read_truth(path)
        if split is not None and truth["split"] != split:
            continue
        calls.append(EventCall(cid, truth["split"], truth, _recordings(folder, cid)))
    if not calls:
        splits = sorted({str(read_truth(p)["split"]) for p in by_id.values()})
        raise EvalError(f"no call of {folder} is in split {split!r}; its splits are {', '.join(splits)}")
    return calls


def _recordings(folder: Path, cid: str) -> dict[str, Path]:
    out = {}
    for variant in AUDIO_VARIANTS:
        sub = folder / variant
        hits = sorted(p for p in sub.glob(f"{cid}.*") if p.suffix.lower() in AUDIO_SUFFIXES) if sub.is_dir() else []
        if hits:
            out[variant] = hits[0]
    return out


def variants_present(calls: list[EventCall]) -> list[str]:
    """The recorded qualities any call has, in the order dual, mono, telephone."""
    return [v for v in AUDIO_VARIANTS if any(v in c.audio for c in calls)]


def script_timeline(truth: dict[str, Any]):
    """The truth as a ``CallTimeline``: its speech turns, its words, its sides as roles."""
    from listenlens.pipeline.timeline import CallTimeline, Role, RoleAssignment, RoleSource, Speaker, Turn, Word

    speech = [Turn(s, e, ln["speaker"]) for ln in truth["lines"] for s, e in ln["segments"]]
    words = [Word(w["start"], w["end"], w["text"], w["speaker"]) for w in truth["words"] if w["text"]]
    speakers = [Speaker(n, Role(s["side"])) for n, s in truth["speakers"].items()]
    return CallTimeline(truth["duration_s"], speech, words, speakers, RoleAssignment(RoleSource.HINT, 1.0, ["script"]),
                        {"name": truth["id"], "diarizer": {"backend": "script", "detects_overlap": True}})
