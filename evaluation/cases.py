"""A folder of recordings with RTTM truth (and UEM scored regions) -> evaluation cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from listenlens.errors import ListenlensError
from listenlens.pipeline.rttm import TruthError, normalize_id, read_rttm, read_uem
from listenlens.pipeline.timeline import Turn

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".webm", ".aac", ".mp4", ".wma"}


class EvalError(ListenlensError):
    """The evaluation folder cannot be used."""

    code = "bad_eval_input"


@dataclass
class EvalCase:
    file_id: str  # as written in the RTTM
    audio: Path
    reference: list[Turn]
    uem: list[tuple[float, float]] | None
    split: str | None


def discover(folder: str | Path, uem_paths: Sequence[str | Path] = ()) -> list[EvalCase]:
    """Pair every audio file in ``folder`` with its RTTM truth (and UEM, if any).

    RTTM files may hold one recording (``sample.rttm``) or many keyed by file id
    (``debug.train.rttm``); UEM files are taken from ``uem_paths`` or, when none are
    given, every ``*.uem`` in the folder. The split (train/development/test) comes
    from the truth file's name.
    """
    folder = Path(folder)
    if not folder.exists():
        raise EvalError(f"{folder}: no such folder; give a folder of recordings with RTTM truth")
    if not folder.is_dir():
        raise EvalError(f"{folder} is a file; give the folder that holds the recordings and their .rttm files")
    audio = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not audio:
        raise EvalError(f"{folder} holds no audio files ({', '.join(sorted(AUDIO_SUFFIXES))}); point at the folder with the "
                        "recordings and their RTTM truth, or at a folder of calls with event truth (truth/<id>.events.json)")
    rttms = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".rttm")
    if not rttms:
        raise EvalError(f"{folder} holds no .rttm truth files; each recording needs its speaker turns as RTTM")

    truth: dict[str, tuple[str, list[Turn], str | None]] = {}
    by_file_stem: dict[str, str] = {}  # a one-recording RTTM also answers to its own file name
    for path in rttms:
        tf = read_rttm(path)
        for uri, turns in tf.turns.items():
            key = normalize_id(uri)
            if key in truth:
                raise TruthError(f"{path.name}: file id {uri!r} also has turns in another RTTM; keep each recording in one file")
            truth[key] = (uri, turns, tf.split)
        if len(tf.turns) == 1:
            by_file_stem[normalize_id(path.stem)] = normalize_id(next(iter(tf.turns)))

    uems: dict[str, list[tuple[float, float]]] = {}
    for uem in list(uem_paths) or sorted(p for p in folder.iterdir() if p.suffix.lower() == ".uem"):
        for uri, regions in read_uem(uem).items():
            uems.setdefault(normalize_id(uri), []).extend(regions)

    cases: list[EvalCase] = []
    seen: set[str] = set()
    for path in audio:
        key = normalize_id(path.stem)
        key = key if key in truth else by_file_stem.get(key, key)
        if key not in truth or key in seen:
            continue
        seen.add(key)
        uri, turns, split = truth[key]
        cases.append(EvalCase(uri, path, turns, uems.get(key), split))
    if not cases:
        ids = ", ".join(sorted(v[0] for v in truth.values())[:5])
        raise EvalError(f"no audio file in {folder} matches an RTTM file id ({ids}, ...); name each recording after its file id")
    return cases
