"""Reading reference truth: RTTM (who spoke when) and UEM (which part is scored).

pyannote.database has loaders for both, but they go through pandas with NA parsing
on (a speaker named ``NA`` becomes a float NaN) and fail with a pandas traceback on a
malformed line. Here a bad line is a ``ListenlensError`` naming the file and line, and
files are read as UTF-8 because real corpora carry accented speaker names (AMI's
``MÉO069``).

File ids are matched to audio file names through ``normalize_id``: Unicode accents are
stripped and case folded, so an audio file that picked up an accented letter on the
way (``trń00.wav``) still finds its truth (``trn00``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from listenlens.errors import ListenlensError
from listenlens.pipeline.timeline import Turn


class TruthError(ListenlensError):
    """A reference (RTTM/UEM) file cannot be read."""

    code = "bad_truth"


@dataclass(frozen=True)
class TruthFile:
    path: Path
    turns: dict[str, list[Turn]]  # file id -> turns, in file order

    @property
    def split(self) -> str | None:
        return split_of(self.path)


_SPLITS = {"train", "development", "dev", "validation", "test", "eval"}


def split_of(path: Path) -> str | None:
    """``debug.train.rttm`` -> ``train``; None when the name carries no known split."""
    parts = path.name.split(".")
    return parts[-2] if len(parts) >= 3 and parts[-2].lower() in _SPLITS else None


def normalize_id(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def read_rttm(path: str | Path) -> TruthFile:
    path = Path(path)
    turns: dict[str, list[Turn]] = {}
    for lineno, fields in _rows(path):
        if fields[0].upper() != "SPEAKER":
            continue  # SPKR-INFO, LEXEME, ... carry no turns
        if len(fields) < 8:
            raise TruthError(f"{path.name} line {lineno}: an RTTM SPEAKER line needs at least 8 fields; fix or remove it")
        start = _number(fields[3], path, lineno, "start")
        duration = _number(fields[4], path, lineno, "duration")
        if start < 0 or duration < 0:
            raise TruthError(f"{path.name} line {lineno}: negative start or duration; fix the line")
        turns.setdefault(fields[1], []).append(Turn(start, start + duration, fields[7]))
    return TruthFile(path, turns)


def read_uem(path: str | Path) -> dict[str, list[tuple[float, float]]]:
    """file id -> scored regions ``[(start, end), ...]``."""
    path = Path(path)
    regions: dict[str, list[tuple[float, float]]] = {}
    for lineno, fields in _rows(path):
        if len(fields) < 4:
            raise TruthError(f"{path.name} line {lineno}: a UEM line is '<file> <channel> <start> <end>'; fix it")
        start = _number(fields[2], path, lineno, "start")
        end = _number(fields[3], path, lineno, "end")
        if end <= start:
            raise TruthError(f"{path.name} line {lineno}: end {end} is not after start {start}; fix the line")
        regions.setdefault(fields[0], []).append((start, end))
    return regions


def _rows(path: Path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TruthError(f"{path}: no such file; check the path") from None
    except UnicodeDecodeError:
        raise TruthError(f"{path.name} is not UTF-8 text; re-save it as UTF-8") from None
    except OSError as exc:
        raise TruthError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if fields and not fields[0].startswith((";", "#")):
            yield lineno, fields


def _number(text: str, path: Path, lineno: int, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TruthError(f"{path.name} line {lineno}: {what} {text!r} is not a number; fix the line") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise TruthError(f"{path.name} line {lineno}: {what} {text!r} is not a finite number; fix the line")
    return value
