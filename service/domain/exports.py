"""A week's results as CSV or Parquet: one row per done call, the columns of ``trends``.

    since, until = week_bounds("2026-W47")
    rows = week_rows(session, tenant_id, ["2026-W46", "2026-W47"])
    write_export(rows, Path("w47.parquet"), "parquet")

The rows are exactly what ``listenlens.service.domain.trends.load_metric_rows`` returns, so a
notebook reading an export and the API reading the database see the same table. The
CLI (``listenlens export``), the API (``GET /v1/exports/weeks/{week}``) and the
coaching pages all come here.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from listenlens.errors import ListenlensError

if TYPE_CHECKING:  # pandas loads only when an export runs: `listenlens --help` stays fast
    import pandas as pd

FORMATS = ("csv", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """``[monday 00:00, next monday 00:00)`` of an ISO week such as ``2026-W47`` (naive UTC)."""
    m = _WEEK.match((week or "").strip())
    if not m:
        raise ListenlensError(f"{week!r} is not an ISO week: write it as YYYY-Www, e.g. 2026-W47")
    year, num = int(m.group(1)), int(m.group(2))
    if not 1 <= year <= 9998:  # the week after the last one of 9999 is past what a datetime holds
        raise ListenlensError(f"{week!r} is not an ISO week this service stores: the year must be 0001 to 9998")
    try:
        start = datetime.fromisocalendar(year, num, 1)
    except ValueError:
        raise ListenlensError(f"{week!r} is not an ISO week: {year} has weeks W01 to W{_weeks_in(year):02d}") from None
    return start, start + timedelta(days=7)


def normalise_week(week: str) -> str:
    start, _ = week_bounds(week)
    year, num, _ = start.isocalendar()
    return f"{year}-W{num:02d}"


def _weeks_in(year: int) -> int:
    # 28 December always falls in the last ISO week of its year.
    return datetime(year, 12, 28).isocalendar()[1]


def week_rows(session, tenant_id: str, weeks: Iterable[str], *, only_rep: str | None = None) -> pd.DataFrame:
    """The tenant's done calls of the given ISO weeks, oldest first (with ``only_rep``: that rep's)."""
    import pandas as pd

    from listenlens.service.domain.trends import load_metric_rows, rows_from_scorecards

    frames = []
    for week in dict.fromkeys(normalise_week(w) for w in weeks):
        since, until = week_bounds(week)
        frames.append(load_metric_rows(session, tenant_id, rep=only_rep, since=since, until=until))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return rows_from_scorecards([])
    rows = pd.concat(frames, ignore_index=True)
    return rows.sort_values(["call_time", "call_id"], kind="stable").reset_index(drop=True)


def to_bytes(rows: pd.DataFrame, fmt: str) -> bytes:
    fmt = check_format(fmt)
    if fmt == "csv":
        return rows.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S").encode()
    buf = io.BytesIO()
    _parquet_ready(rows).to_parquet(buf, index=False, engine="pyarrow")
    return buf.getvalue()


def write_export(rows: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write ``rows`` to ``path`` through a temp file and a rename: never half a file."""
    data = to_bytes(rows, fmt)
    path = Path(path)
    if path.is_dir():
        raise ListenlensError(f"{path} is a folder: give a file name such as {path / ('week.' + fmt)}")
    if not path.parent.exists():
        raise ListenlensError(f"folder {path.parent} does not exist: create it or choose another -o")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_export(path: Path) -> pd.DataFrame:
    """Rows back from a CSV or Parquet export (call_time as datetimes)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ListenlensError(f"{path} is not a file: give a CSV or Parquet export from `listenlens export`")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        rows = pd.read_parquet(path)
    elif suffix == ".csv":
        rows = pd.read_csv(path, dtype={"call_id": str, "external_id": str, "rep": str, "team": str,
                                        "iso_week": str})
    else:
        raise ListenlensError(f"{path.name}: unknown export type {suffix or '(none)'}: give a .csv or .parquet file")
    if "call_time" in rows.columns:
        rows["call_time"] = pd.to_datetime(rows["call_time"])
    return rows


def check_format(fmt: str) -> str:
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        raise ListenlensError(f"unknown export format {fmt!r}: choose csv or parquet")
    return fmt


def _parquet_ready(rows: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    # An all-empty text column (no external ids this week) has no type pyarrow can
    # infer the same way every week; give the id columns a stable string type.
    out = rows.copy()
    for col in ("call_id", "external_id", "rep", "team", "iso_week"):
        if col in out.columns:
            out[col] = out[col].astype("string")
    if "call_time" in out.columns:
        out["call_time"] = pd.to_datetime(out["call_time"])
    return out
