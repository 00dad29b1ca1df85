"""Voiceprints per rep and tenant: enrolled, learned from calls, listed, replaced, deleted.

A voiceprint is an embedding (``pipeline/voiceprints/``), never audio: one per band,
wide and telephone (``pipeline/band.py``). An enrollment clip is decoded
in a temp folder, embedded and deleted at once: it is not kept. A channel-mapped call
that names its rep adds the rep's channel to the rep's voiceprint (a running mean per
band whose history weighs at most ``voiceprint_max_samples``). Every query is by
tenant: one tenant's voices are never compared with another's calls. A print made by
another encoder than the one running is listed as stale: it is not compared, and the
rep's next channel-mapped call or enrollment replaces it.
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


def running_model(runtime) -> str:
    """The encoder name voiceprints are made and compared with (``[voiceprints] encoder``)."""
    from listenlens.pipeline.voiceprints import MODELS

    return MODELS[runtime.pipeline_settings.voiceprints.encoder]


def bands(vp: Voiceprint) -> list[str]:
    return [band for band, emb in (("wide", vp.embedding), ("phone", vp.phone_embedding)) if emb]


def view(vp: Voiceprint, model: str | None = None) -> dict[str, Any]:
    """The voiceprint as the API shows it; ``model``: the running encoder's name."""
    from listenlens.pipeline.voiceprints import MODEL

    model = model or MODEL
    stale = vp.model != model
    return {
        "rep": vp.rep,
        "model": vp.model,
        "bands": bands(vp),
        "stale": stale,
        "note": (f"made with the {vp.model} encoder, but calls are compared with {model}: this voiceprint is not "
                 "used until the rep's next channel-mapped call or a new enrollment replaces it") if stale else None,
        "samples": vp.samples,
        "calls": vp.calls,
        "speech_s": round(vp.speech_s, 1),
        "enrolled": vp.consent_at is not None,
        "consent_at": iso(vp.consent_at),
        "created_at": iso(vp.created_at),
        "updated_at": iso(vp.updated_at),
    }


def list_voiceprints(session: Session, tenant_id: str, model: str | None = None) -> list[dict[str, Any]]:
    rows = session.scalars(select(Voiceprint).where(Voiceprint.tenant_id == tenant_id).order_by(Voiceprint.rep))
    return [view(vp, model) for vp in rows]


def find(session: Session, tenant_id: str, rep: str) -> Voiceprint | None:
    return session.scalars(select(Voiceprint).where(Voiceprint.tenant_id == tenant_id, Voiceprint.rep == rep)).first()


def get(session: Session, tenant_id: str, rep: str, model: str | None = None) -> dict[str, Any]:
    vp = find(session, tenant_id, rep_field(rep))
    if vp is None:
        raise NotFound("voiceprint")
    return view(vp, model)


def remove(session: Session, tenant_id: str, rep: str) -> None:
    """Delete the rep's voiceprint (there is no audio to delete: none is kept)."""
    stmt = delete(Voiceprint).where(Voiceprint.tenant_id == tenant_id, Voiceprint.rep == rep_field(rep))
    done = cast(CursorResult[Any], session.execute(stmt))  # a DELETE's result counts its rows
    if not done.rowcount:
        raise NotFound("voiceprint")


def enroll(runtime, tenant_id: str, rep: str, upload: BinaryIO, filename: str | None, *, consent: bool) -> dict[str, Any]:
    """Replace the rep's voiceprint by the voice of an enrollment clip; refused without consent."""
    from listenlens.pipeline.audio import load_audio
    from listenlens.pipeline.voiceprints import call_band, enrollment_voice, get_encoder
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
        encoder = get_encoder(runtime.pipeline_settings.voiceprints.encoder)
        voice = enrollment_voice(audio.mono(), min_speech_s=ENROLL_MIN_SPEECH_S, encoder=encoder,
                                 band=call_band(audio.mono(), audio.source.get("sample_rate")))
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
        vp.model, vp.embedding, vp.phone_embedding = voice.model, _listed(voice.in_band("wide")), _listed(voice.in_band("phone"))
        vp.samples, vp.calls, vp.speech_s = 1, 0, voice.speech_s
        vp.wide_samples, vp.phone_samples = int(vp.embedding is not None), int(vp.phone_embedding is not None)
        vp.consent_at = vp.updated_at = utcnow()
        s.flush()
        return view(vp, voice.model)


def _listed(emb) -> list[float] | None:
    return None if emb is None else [float(x) for x in emb]


def _mean(old: list[float] | None, weight: int, new) -> list[float] | None:
    """The running mean of a band with ``new`` added (``old`` weighs ``weight``), unit length."""
    if new is None:
        return old
    mean = np.asarray(new, dtype=np.float64)
    if old is not None and weight > 0:
        mean = (np.asarray(old, dtype=np.float64) * weight + mean) / (weight + 1)
    return _listed(mean / max(float(np.linalg.norm(mean)), 1e-12))


def learn(session: Session, tenant_id: str, rep: str, voice, max_samples: int) -> None:
    """Add ``voice`` (a ``pipeline.voiceprints.Voice`` from the rep's channel) to the rep's
    voiceprint, band by band; a print of another encoder is started afresh."""
    vp = find(session, tenant_id, rep)
    if vp is None or vp.model != voice.model:
        if vp is None:
            vp = Voiceprint(tenant_id=tenant_id, rep=rep, created_at=utcnow(), consent_at=None)
            session.add(vp)
        vp.model, vp.samples, vp.calls, vp.speech_s = voice.model, 0, 0, 0.0
        vp.embedding = vp.phone_embedding = None
        vp.wide_samples = vp.phone_samples = 0
    wide, phone = voice.in_band("wide"), voice.in_band("phone")
    vp.embedding = _mean(vp.embedding, min(vp.wide_samples or 0, max_samples), wide)
    vp.phone_embedding = _mean(vp.phone_embedding, min(vp.phone_samples or 0, max_samples), phone)
    vp.wide_samples = (vp.wide_samples or 0) + int(wide is not None)
    vp.phone_samples = (vp.phone_samples or 0) + int(phone is not None)
    vp.samples += 1
    vp.calls += 1
    vp.speech_s += voice.speech_s
    vp.updated_at = utcnow()
    session.flush()


def known_voices(session: Session, tenant_id: str, rep: str | None, team: str | None, model: str | None = None) -> list:
    """The voices to look for on a call of ``rep``: the rep's first, then their team's
    (the reps with calls in ``team``), all of this tenant and of encoder ``model`` (the
    default encoder's if None)."""
    from listenlens.pipeline.voiceprints import MODEL, KnownVoice

    if not rep:
        return []
    model = model or MODEL
    names = {rep}
    if team:
        names |= set(session.scalars(select(Call.rep).where(Call.tenant_id == tenant_id, Call.team == team,
                                                            Call.rep.is_not(None)).distinct()))
    rows = session.scalars(select(Voiceprint).where(Voiceprint.tenant_id == tenant_id, Voiceprint.rep.in_(names),
                                                    Voiceprint.model == model))
    voices = [KnownVoice(vp.rep, _array(vp.embedding), is_rep=vp.rep == rep, model=vp.model, phone=_array(vp.phone_embedding))
              for vp in rows if vp.embedding or vp.phone_embedding]
    return sorted(voices, key=lambda v: (not v.is_rep, v.name))


def _array(emb: list[float] | None) -> np.ndarray | None:
    return None if not emb else np.asarray(emb, dtype=np.float32)
