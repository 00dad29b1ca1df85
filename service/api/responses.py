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


def recording(rec: RecordingFile) -> Response:
    if rec.path is not None:
        return FileResponse(rec.path, media_type=rec.media_type, filename=rec.filename)
    stream = rec.stream
    return StreamingResponse(iter(lambda: stream.read(1 << 16), b""), media_type=rec.media_type)


def week_export(runtime, tenant_id: str, week: str, fmt: str) -> Response:
    """A week's export as a download."""
    try:
        fmt = exports.check_format(fmt)
        week = exports.normalise_week(week)
    except ListenlensError as exc:
        raise InvalidRequest(exc.message) from None
    with runtime.db.session() as s:
        rows = exports.week_rows(s, tenant_id, [week])
    return Response(exports.to_bytes(rows, fmt), media_type=exports.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="listenlens-{week}.{fmt}"',
                             "X-Row-Count": str(len(rows))})
