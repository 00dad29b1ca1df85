"""Timeline outputs: JSON (the versioned schema), RTTM and WebVTT.

All three are rendered in memory first and then written through temporary files that
are renamed into place, so a failure never leaves a half-written set behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from listenlens.pipeline.attribute import utterances
from listenlens.pipeline.timeline import CallTimeline


def to_json(timeline: CallTimeline) -> str:
    return json.dumps(timeline.to_dict(), indent=2, ensure_ascii=False)


def to_rttm(timeline: CallTimeline, uri: str | None = None) -> str:
    uri = (uri or timeline.source.get("name") or "call").replace(" ", "_")
    lines = [
        f"SPEAKER {uri} 1 {t.start:.3f} {t.duration:.3f} <NA> <NA> {t.speaker} <NA> <NA>"
        for t in timeline.speech
        if t.duration > 0
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def to_vtt(timeline: CallTimeline) -> str:
    out = ["WEBVTT", ""]
    for i, u in enumerate(utterances(timeline.words), 1):
        role = timeline.role_of(u.speaker).value
        who = f"{u.speaker} ({role})" if role != "unknown" else u.speaker
        out += [str(i), f"{_vtt_time(u.start)} --> {_vtt_time(max(u.end, u.start + 0.01))}", f"<v {who}>{u.text}", ""]
    return "\n".join(out)


def output_paths(out_dir: Path, name: str) -> dict[str, Path]:
    return {
        "json": out_dir / f"{name}.timeline.json",
        "rttm": out_dir / f"{name}.rttm",
        "vtt": out_dir / f"{name}.vtt",
    }


def write_outputs(
    timeline: CallTimeline, out_dir: Path, name: str, extra: dict[Path, str] | None = None
) -> dict[str, Path]:
    """Write the timeline's JSON, RTTM and WebVTT (and any ``extra`` files) all or none."""
    rendered = {"json": to_json(timeline), "rttm": to_rttm(timeline, name), "vtt": to_vtt(timeline)}
    paths = output_paths(out_dir, name)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_files_atomically({**{paths[k]: text for k, text in rendered.items()}, **(extra or {})})
    return paths


def write_files_atomically(files: dict[Path, str]) -> None:
    """Write every file or none: all go to temporaries first, then are renamed; if a
    rename fails, the files already put in place are rolled back."""
    temps: list[tuple[str, Path]] = []
    placed: list[tuple[Path, Path | None]] = []  # (destination, backup of what it replaced)
    try:
        for path, text in files.items():
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        for tmp, path in temps:
            backup = None
            if path.exists():
                backup = path.with_name(f".{path.name}.bak")
                os.replace(path, backup)
            placed.append((path, backup))
            os.replace(tmp, path)
    except BaseException:
        for path, backup in reversed(placed):
            if backup is not None and backup.exists():
                os.replace(backup, path)
            elif backup is None:
                path.unlink(missing_ok=True)
        raise
    else:
        for _, backup in placed:
            if backup is not None:
                backup.unlink(missing_ok=True)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)


def _vtt_time(t: float) -> str:
    ms = int(round(max(t, 0.0) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
