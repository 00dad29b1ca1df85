"""Submitting a call: keep the upload, check it is a usable recording, store it, queue its analysis.

The API's ``POST /v1/calls`` and the upload page both come here, so both refuse the
same files with the same reasons.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError

from listenlens.errors import AudioError, ConfigError
from listenlens.service.db.models import Call, utcnow
from listenlens.service.domain.calls import call_view, find_external
from listenlens.service.domain.errors import TooLarge, Unavailable
from listenlens.service.domain.fields import MAX_OPTION, filename_field, text_field
from listenlens.service.jobs.queue import ANALYZE, enqueue
from listenlens.service.storage import upload_dir_name


@dataclass(frozen=True)
class Submitted:
    view: dict[str, Any]
    created: bool  # False: the tenant already has a call with this external_id, returned as it is


def submit_call(
    runtime,
    tenant_id: str,
    upload: BinaryIO,
    filename: str | None,
    *,
    rep: str | None = None,
    team: str | None = None,
    call_time: datetime | None = None,
    external_id: str | None = None,
    channels: str | None = None,
    rep_hint: str | None = None,
    diarizer: str | None = None,
    num_speakers: int | None = None,
) -> Submitted:
    """Store the recording read from ``upload`` and queue its analysis (dispatched after the commit)."""
    rep = text_field("rep", rep)
    team = text_field("team", team)
    external_id = text_field("external_id", external_id)
    channels = text_field("channels", channels, MAX_OPTION)
    rep_hint = text_field("rep_hint", rep_hint, MAX_OPTION)
    filename = filename_field(filename)
    if channels:
        from listenlens.pipeline.roles import parse_channel_map

        parse_channel_map(channels)
    if external_id:
        existing = _existing(runtime, tenant_id, external_id)
        if existing is not None:
            return Submitted(existing, created=False)

    settings = runtime.settings
    suffix = _safe_suffix(filename)
    # The temp file keeps the client's file name so error messages name the file they sent.
    tmp_dir = runtime.tmp_dir / upload_dir_name()
    try:
        tmp_dir.mkdir(parents=True)
    except OSError as exc:
        raise Unavailable(f"the server cannot write its temp folder ({exc.strerror or exc}); retry later") from None
    tmp = tmp_dir / _safe_name(filename, suffix)
    try:
        try:
            size = _save_upload(upload, filename, tmp, settings.max_upload_bytes, settings.max_upload_mb)
        except OSError as exc:
            raise Unavailable(f"the server cannot write the upload to its temp folder ({exc.strerror or exc}); "
                              "retry later") from None
        info = _probe(tmp, runtime.pipeline_settings.audio.limits())
        n_channels = int(info.get("channels") or 1)
        if channels and n_channels < 2:
            raise ConfigError(f"channels={channels!r} needs a recording with one party per channel, but this one has "
                              f"{n_channels} channel: leave channels out (or give rep_hint)")
        call_id = "call_" + secrets.token_hex(12)
        # The stored name is the client's (made safe): the pipeline names the call after it.
        key = f"{tenant_id}/{call_id}/{tmp.name}"
        try:
            runtime.storage.put(tmp, key)
        except OSError as exc:
            with contextlib.suppress(OSError):
                runtime.storage.delete(key)
            raise Unavailable(f"the recordings store cannot be written ({exc.strerror or exc.__class__.__name__}); "
                              "retry later") from None
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)

    options = {k: v for k, v in {"channels": channels, "rep_hint": rep_hint, "diarizer": diarizer,
                                 "num_speakers": num_speakers}.items() if v is not None}
    try:
        with runtime.db.session() as s:
            call = Call(
                id=call_id, tenant_id=tenant_id, external_id=external_id, rep=rep, team=team,
                call_time=call_time or utcnow(), options=options, filename=filename,
                size_bytes=size, duration_s=info.get("duration"), channels=n_channels, recording_key=key,
                status="queued",
            )
            s.add(call)
            s.flush()
            job_id = enqueue(s, ANALYZE, tenant_id, call_id=call_id).id
            view = call_view(call)
    except IntegrityError:
        # The same external_id arrived twice at once: the other request won.
        runtime.storage.delete(key)
        existing = _existing(runtime, tenant_id, external_id) if external_id else None
        if existing is None:
            raise
        return Submitted(existing, created=False)
    except BaseException:
        runtime.storage.delete(key)  # no row points at it: do not keep an orphan recording
        raise
    runtime.dispatch([job_id])
    return Submitted(view, created=True)


def _existing(runtime, tenant_id: str, external_id: str) -> dict[str, Any] | None:
    with runtime.db.session() as s:
        return find_external(s, tenant_id, external_id)


def _safe_suffix(filename: str | None) -> str:
    suffix = Path(filename or "").suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def _safe_name(filename: str | None, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(filename or "").stem)[:80].strip(" .") or "recording"
    return stem + suffix


def _save_upload(upload: BinaryIO, filename: str | None, dest: Path, limit: int, limit_mb: float) -> int:
    size = 0
    with open(dest, "wb") as out:
        while chunk := upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"the upload is over the {limit_mb:g} MB limit: compress or split the recording")
            out.write(chunk)
    if size == 0:
        raise AudioError(f"{filename or 'the upload'} is empty (0 bytes): send a recording")
    return size


def _probe(path: Path, limits) -> dict:
    """The upload's audio info, or an ``AudioError``. The file is read in a child process
    (``pipeline/decode_sandbox.py``): a decoder crash on a hostile upload costs only this request."""
    from listenlens.pipeline.audio import probe_audio

    return probe_audio(path, limits=limits)
