"""HTTP answers built from what the domain returns; shared by the API routes and the coaching pages."""

from __future__ import annotations

from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse

from listenlens.errors import ListenlensError
from listenlens.service.domain import exports
from listenlens.service.domain.calls import RecordingFile
from listenlens.service.domain.errors import InvalidRequest
from listenlens.service.domain.submit import Submitted


def submitted(done: Submitted) -> JSONResponse:
    """``202`` with ``Location`` for a new call; ``200`` for an existing one with the same external_id."""
    if not done.created:
        return JSONResponse(done.view, status_code=200)
    return JSONResponse(done.view, status_code=202, headers={"Location": f"/v1/calls/{done.view['id']}"})


def recording(rec: RecordingFile, range_header: str | None = None) -> Response:
    """The recording as a download of its audio type, answering ``Range`` requests with ``206``."""
    if rec.path is not None:
        # FileResponse answers Range (single and multiple) itself.
        return FileResponse(rec.path, media_type=rec.media_type, filename=rec.filename,
                            content_disposition_type="attachment")
    return _remote_recording(rec, range_header)


def _remote_recording(rec: RecordingFile, range_header: str | None) -> Response:
    stream = rec.stream
    if stream is None:
        raise ValueError("a recording has a local path or an open stream")
    size = getattr(stream, "size", None)
    headers = {"Content-Disposition": f'attachment; filename="{rec.filename}"', "Accept-Ranges": "bytes"}
    span = _one_range(range_header, size) if range_header and size is not None else None
    if span == "bad":
        stream.close()
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if span is None:
        if size is not None:
            headers["Content-Length"] = str(size)
        return StreamingResponse(_chunks(stream, None), media_type=rec.media_type, headers=headers)
    start, end = span
    stream.seek(start)
    headers.update({"Content-Range": f"bytes {start}-{end}/{size}", "Content-Length": str(end - start + 1)})
    return StreamingResponse(_chunks(stream, end - start + 1), status_code=206, media_type=rec.media_type,
                             headers=headers)


def _one_range(header: str, size: int):
    """``(start, end)`` of a single ``bytes=`` range; None to send the whole file; "bad" when unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # several ranges or another unit: the whole file is a valid answer
    first, _, last = spec.strip().partition("-")
    try:
        if not first:
            n = int(last)
            start, end = max(0, size - n), size - 1
        else:
            start, end = int(first), int(last) if last else size - 1
    except ValueError:
        return None
    end = min(end, size - 1)
    if start > end or start >= size:
        return "bad"
    return start, end


def _chunks(stream, remaining: int | None):
    try:
        while remaining is None or remaining > 0:
            chunk = stream.read(1 << 16 if remaining is None else min(1 << 16, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
    finally:
        stream.close()


def week_export(runtime, tenant_id: str, week: str, fmt: str, *, only_rep: str | None = None) -> Response:
    """A week's export as a download."""
    try:
        fmt = exports.check_format(fmt)
        week = exports.normalise_week(week)
    except ListenlensError as exc:
        raise InvalidRequest(exc.message) from None
    with runtime.db.session() as s:
        rows = exports.week_rows(s, tenant_id, [week], only_rep=only_rep)
    return Response(exports.to_bytes(rows, fmt), media_type=exports.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="listenlens-{week}.{fmt}"',
                             "X-Row-Count": str(len(rows))})
