"""Voiceprints per rep and tenant: enrolled, learned from calls, listed, replaced, deleted.

A voiceprint is an embedding (``pipeline/voiceprints/``), never audio. An enrollment
clip is decoded in a temp folder, embedded and deleted at once: it is not kept. A
channel-mapped call that names its rep adds the rep's channel to the rep's voiceprint
(a running mean whose history weighs at most ``voiceprint_max_samples``). Every query
is by tenant: one tenant's voices are never compared with another's calls.
"""

from __future__ import annotations

import shutil
from typing import Any, BinaryIO, cast

import numpy as np
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from listenlens.errors import AudioError
from listenlens.service.db.models import Call, Voiceprint, iso, utcnow
from listenlens.service.domain.errors import InvalidField, InvalidRequest, NotFound, Unavailable
from listenlens.service.domain.fields import filename_field, text_field
from listenlens.service.storage import upload_dir_name

ENROLL_MIN_SPEECH_S = 5.0
ENROLL_MAX_S = 300.0  # a clip of a rep speaking alone; longer uploads are refused before decoding


def rep_field(rep: str | None) -> str:
    value = text_field("rep", rep)
    if not value:
        raise InvalidField("rep is empty: name the rep, as uploads name it (rep=...)")
    return value


def view(vp: Voiceprint) -> dict[str, Any]:
    return {
        "rep": vp.rep,
        "model": vp.model,
        "samples": vp.samples,
        "calls": vp.calls,
        "speech_s": round(vp.speech_s, 1),
        "enrolled": vp.consent_at is not None,
        "consent_at": iso(vp.consent_at),
        "created_at": iso(vp.created_at),
        "updated_at": iso(vp.updated_at),
    }


def list_voiceprints(session: Session, tenant_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(Voiceprint).where(Voiceprint.tenant_id == tenant_id).order_by(Voiceprint.rep))
    return [view(vp) for vp in rows]


def find(session: Session, tenant_id: str, rep: str) -> Voiceprint | None:
    return session.scalars(select(Voiceprint).where(Voiceprint.tenant_id == tenant_id, Voiceprint.rep == rep)).first()


def get(session: Session, tenant_id: str, rep: str) -> dict[str, Any]:
    vp = find(session, tenant_id, rep_field(rep))
    if vp is None:
        raise NotFound("voiceprint")
    return view(vp)


def remove(session: Session, tenant_id: str, rep: str) -> None:
    """Delete the rep's voiceprint (there is no audio to delete: none is kept)."""
    stmt = delete(Voiceprint).where(Voiceprint.tenant_id == tenant_id, Voiceprint.rep == rep_field(rep))
    done = cast(CursorResult[Any], session.execute(stmt))  # a DELETE's result counts its rows
    if not done.rowcount:
        raise NotFound("voiceprint")


def enroll(runtime, tenant_id: str, rep: str, upload: BinaryIO, filename: str | None, *, consent: bool) -> dict[str, Any]:
    """Replace the rep's voiceprint by the voice of an enrollment clip; refused without consent."""
    from listenlens.pipeline.audio import load_audio
    from listenlens.pipeline.voiceprints import enrollment_voice
    from listenlens.service.domain.submit import _safe_name, _safe_suffix, _save_upload

    rep = rep_field(rep)
    if not consent:
        raise InvalidRequest(f"enrolling {rep}'s voice needs their consent: once they have agreed to a voiceprint "
                             "being kept, confirm it (consent=true; on the command line, --consent)")
    filename = filename_field(filename)
    settings = runtime.settings
    tmp_dir = runtime.tmp_dir / upload_dir_name()
    try:
        tmp_dir.mkdir(parents=True)
    except OSError as exc:
        raise Unavailable(f"the server cannot write its temp folder ({exc.strerror or exc}); retry later") from None
    try:
        tmp = tmp_dir / _safe_name(filename, _safe_suffix(filename))
        _save_upload(upload, filename, tmp, settings.max_upload_bytes, settings.max_upload_mb)
        audio = load_audio(tmp, limits=runtime.pipeline_settings.audio.limits(), max_duration_s=ENROLL_MAX_S)
        voice = enrollment_voice(audio.mono(), min_speech_s=ENROLL_MIN_SPEECH_S)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)  # the clip is never kept
    if voice is None:
        raise AudioError(f"{filename or 'the clip'} holds less than {ENROLL_MIN_SPEECH_S:g} s of speech: record "
                         f"{rep} speaking alone for 10 to 30 seconds")
    with runtime.db.session() as s:
        vp = find(s, tenant_id, rep)
        if vp is None:
            vp = Voiceprint(tenant_id=tenant_id, rep=rep, created_at=utcnow())
            s.add(vp)
        vp.model, vp.embedding = voice.model, [float(x) for x in voice.embedding]
        vp.samples, vp.calls, vp.speech_s = 1, 0, voice.speech_s
        vp.consent_at = vp.updated_at = utcnow()
        s.flush()
        return view(vp)


def learn(session: Session, tenant_id: str, rep: str, voice, max_samples: int) -> None:
    """Add ``voice`` (a ``pipeline.voiceprints.Voice`` from the rep's channel) to the rep's voiceprint."""
    vp = find(session, tenant_id, rep)
    new = np.asarray(voice.embedding, dtype=np.float64)
    if vp is None or vp.model != voice.model:
        if vp is None:
            vp = Voiceprint(tenant_id=tenant_id, rep=rep, created_at=utcnow(), consent_at=None)
            session.add(vp)
        vp.model, vp.samples, vp.calls, vp.speech_s, mean = voice.model, 0, 0, 0.0, new
    else:
        weight = min(vp.samples, max_samples)
        mean = (np.asarray(vp.embedding, dtype=np.float64) * weight + new) / (weight + 1)
    mean = mean / max(float(np.linalg.norm(mean)), 1e-12)
    vp.embedding = [float(x) for x in mean]
    vp.samples += 1
    vp.calls += 1
    vp.speech_s += voice.speech_s
    vp.updated_at = utcnow()
    session.flush()


def known_voices(session: Session, tenant_id: str, rep: str | None, team: str | None) -> list:
    """The voices to look for on a call of ``rep``: the rep's first, then their team's
    (the reps with calls in ``team``), all of this tenant and this encoder."""
    from listenlens.pipeline.voiceprints import MODEL, KnownVoice

    if not rep:
        return []
    names = {rep}
    if team:
        names |= set(session.scalars(select(Call.rep).where(Call.tenant_id == tenant_id, Call.team == team,
                                                            Call.rep.is_not(None)).distinct()))
    rows = session.scalars(select(Voiceprint).where(Voiceprint.tenant_id == tenant_id, Voiceprint.rep.in_(names),
                                                    Voiceprint.model == MODEL))
    voices = [KnownVoice(vp.rep, np.asarray(vp.embedding, dtype=np.float32), is_rep=vp.rep == rep) for vp in rows]
    return sorted(voices, key=lambda v: (not v.is_rep, v.name))
