"""A sales-call script: who says what, when, and what each line is for.

Scripts are YAML files in ``scripts/``::

    id: s01-discovery
    title: Discovery call, questions answered after short and long waits
    split: tune                         # tune | held-out
    speakers:
      rep: {voice: "espeak:en-us+m7", side: rep}
      customer: {voice: "flite:slt", side: customer}
    lines:
      - {rep: "Hi, this is Sam from Acme. How are you today?", at: 0.5}
      - {customer: "Good, thanks. Busy week.", gap: 0.7}
      - {customer: "Mm-hmm.", inside: 3.0}
      - {rep: "So what you're saying is the exports take too long.", paraphrase: opener}
      - {customer: "(an answer)", clip: [2.0, 7.0]}

Each line names its speaker as its one key. Timing: ``at`` (seconds from the start),
else ``gap`` after the end of the previous line (default 0.5 s; negative: the line
starts that long before the previous one ends, which is an interruption when the
speakers differ), or ``inside``: a backchannel starting that many seconds into the
previous line, which must be another speaker's and go on past it; ``backchannel: true``
marks a line placed by ``gap`` that takes no floor either (a "mm-hmm" in the other
speaker's pause, who then goes on). ``paraphrase``
(``opener`` or ``semantic``) marks a rep line that restates the customer's turn just
before it. A speaker with a ``real:`` voice speaks solo stretches of a reference
recording: the text is a note in parentheses and ``clip: [min_s, max_s]`` says how long
a stretch to take (the next unused one of that length, in recording order).

A rep-side line asks a question when it ends with "?"; a "?" anywhere else in a
rep-side line is refused, so every question's end is a line's end (exact in the audio).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SCRIPTS = Path(__file__).resolve().parent / "scripts"
SIDES = ("rep", "customer")
SPLITS = ("tune", "held-out")
DEFAULT_GAP_S = 0.5
_LINE_KEYS = {"at", "gap", "inside", "paraphrase", "clip", "backchannel"}


class ScriptError(ValueError):
    """A script that cannot be built as written."""


@dataclass(frozen=True)
class SpeakerSpec:
    name: str
    voice: str
    side: str

    @property
    def real(self) -> bool:
        return self.voice.startswith("real:")


@dataclass(frozen=True)
class ScriptLine:
    speaker: str
    text: str
    at: float | None = None
    gap: float | None = None
    inside: float | None = None
    paraphrase: str | None = None
    clip: tuple[float, float] | None = None
    listener: bool = False  # a backchannel in the other speaker's pause (placed by ``gap``)

    @property
    def backchannel(self) -> bool:
        return self.inside is not None or self.listener


@dataclass(frozen=True)
class CallScript:
    id: str
    title: str
    split: str
    speakers: dict[str, SpeakerSpec]
    lines: list[ScriptLine]
    sha1: str = field(default="", compare=False)

    def side_of(self, speaker: str) -> str:
        return self.speakers[speaker].side


def load_script(path: Path) -> CallScript:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    where = path.name
    for key in ("id", "title", "split", "speakers", "lines"):
        if key not in data:
            raise ScriptError(f"{where}: missing {key!r}")
    if data["split"] not in SPLITS:
        raise ScriptError(f"{where}: split must be one of {SPLITS}, not {data['split']!r}")
    speakers = {}
    for name, spec in data["speakers"].items():
        if spec.get("side") not in SIDES:
            raise ScriptError(f"{where}: speaker {name!r} needs side: rep or customer")
        speakers[name] = SpeakerSpec(name, spec["voice"], spec["side"])
    lines = [_line(raw, speakers, f"{where} line {i + 1}") for i, raw in enumerate(data["lines"])]
    return CallScript(data["id"], data["title"], data["split"], speakers, lines, hashlib.sha1(text.encode()).hexdigest())


def _line(raw: dict, speakers: dict[str, SpeakerSpec], where: str) -> ScriptLine:
    names = [k for k in raw if k in speakers]
    unknown = set(raw) - set(speakers) - _LINE_KEYS
    if len(names) != 1 or unknown:
        raise ScriptError(f"{where}: a line names exactly one speaker of {sorted(speakers)} (unknown keys: {sorted(unknown)})")
    speaker = names[0]
    text = str(raw[speaker]).strip()
    spec = speakers[speaker]
    if spec.real != ("clip" in raw):
        raise ScriptError(f"{where}: a real voice's line needs clip: [min_s, max_s], and only it")
    if spec.side == "rep" and "?" in text.rstrip().rstrip("?"):
        raise ScriptError(f"{where}: a rep-side question must end its line (split {text!r} into lines)")
    if raw.get("paraphrase") not in (None, "opener", "semantic"):
        raise ScriptError(f"{where}: paraphrase is opener or semantic")
    if sum(k in raw for k in ("at", "gap", "inside")) > 1:
        raise ScriptError(f"{where}: give one of at, gap, inside")
    clip = tuple(float(x) for x in raw["clip"]) if "clip" in raw else None
    return ScriptLine(speaker, text, raw.get("at"), raw.get("gap"), raw.get("inside"), raw.get("paraphrase"), clip,
                      bool(raw.get("backchannel", False)))


def load_scripts(folder: Path = SCRIPTS, only: list[str] | None = None) -> list[CallScript]:
    scripts = [load_script(p) for p in sorted(folder.glob("*.yaml"))]
    ids = [s.id for s in scripts]
    if len(set(ids)) != len(ids):
        raise ScriptError(f"duplicate script ids in {folder}")
    if only:
        missing = set(only) - set(ids)
        if missing:
            raise ScriptError(f"no script with id {sorted(missing)}; known: {', '.join(ids)}")
        scripts = [s for s in scripts if s.id in only]
    return scripts


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", text.strip()) if s]
