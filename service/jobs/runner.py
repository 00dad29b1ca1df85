"""Run one claimed job: analyze a call, or attempt a webhook delivery.

The same code runs in the in-process worker thread and in a Celery task. The pipeline
keeps its loaded models in process-wide caches, so a worker process loads them once
and reuses them for every call.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import update as sa_update

from listenlens.errors import ListenlensError
from listenlens.pipeline.progress import ProgressUpdate
from listenlens.service.db.models import Call, utcnow
from listenlens.service.domain import calls
from listenlens.service.jobs import delivery
from listenlens.service.jobs.queue import ANALYZE, WEBHOOK, Claimed

log = logging.getLogger("listenlens.service")

_PROGRESS_EVERY_S = 0.5


class Cancelled(Exception):
    """The worker is stopping or lost its lease: abandon the job, it is someone else's now."""


def execute(runtime, job: Claimed, worker: str, stop: threading.Event | None = None) -> None:
    with _heartbeat(runtime, job, worker) as lost:
        if job.kind == ANALYZE:
            run_analysis(runtime, job, worker, stop=stop, lost=lost)
        elif job.kind == WEBHOOK:
            delivery.deliver(runtime, job, worker)
        else:
            runtime.queue.finish(job.id, worker, failed=True, error=f"unknown job kind {job.kind!r}")


def run_analysis(runtime, job: Claimed, worker: str, *, stop: threading.Event | None = None,
                 lost: threading.Event | None = None) -> None:
    from listenlens.pipeline.analyze import analyze_call
    from listenlens.service.domain import trackers

    with runtime.db.session() as s:
        call = calls.hold(s, job.call_id)
        if call is None or call.status in ("done", "failed"):
            # Deleted while queued, or finished by an earlier attempt whose job update was lost.
            runtime.queue.finish(job.id, worker, session=s)
            return
        call_id = call.id
        call.status = "processing"
        call.started_at = call.started_at or utcnow()
        call.progress_stage, call.progress = "starting", 0.0
        key, options = call.recording_key, dict(call.options or {})
        tenant_id, rep = call.tenant_id, call.rep
        voices = _call_voices(runtime, s, call, options)
        tracked = trackers.for_scoring(s, tenant_id)
    if key is None:
        _fail(runtime, job, worker, "recording_missing", "the recording was deleted before it was analyzed; upload it again")
        return

    settings = runtime.pipeline_settings.updated(
        {f"diarizer.{k}": options[o] for k, o in (("backend", "diarizer"), ("num_speakers", "num_speakers"))
         if options.get(o) is not None}
        # The tenant's trackers join (and by name replace) those of the settings.
        | ({"scorecard.trackers": {**runtime.pipeline_settings.scorecard.trackers, **tracked}} if tracked else {})
    )
    progress = _ProgressWriter(runtime, call_id, stop, lost)
    try:
        with runtime.storage.local_path(key) as path:
            analysis = analyze_call(path, settings, rep=options.get("rep_hint"), channels=options.get("channels"),
                                    voices=voices, progress=progress)
            full = calls.jsonable(analysis.to_dict())
            scorecard = calls.jsonable(analysis.scorecard.model_dump(mode="json"))
    except Cancelled:
        log.info("job %s abandoned: worker stopping or lease lost", job.id)
        return
    except ListenlensError as exc:
        _fail(runtime, job, worker, exc.code, exc.message)
        return
    except FileNotFoundError:
        _fail(runtime, job, worker, "recording_missing", "the recording is no longer in storage; upload it again")
        return
    except Exception as exc:  # a bug: keep the traceback in the log, give the user a reason
        log.error("analysis of call %s failed:\n%s", job.call_id, traceback.format_exc())
        _fail(runtime, job, worker, "internal_error",
              f"processing failed because of an internal error ({exc.__class__.__name__}); it has been logged")
        return

    learn = None
    if voices is not None and options.get("channels") and rep:
        def learn(s) -> None:
            _learn_rep_voice(runtime, s, tenant_id, rep, analysis.timeline, voices)
    save_result(runtime, job, worker, full, scorecard, learn=learn)


def save_result(runtime, job: Claimed, worker: str, full: dict, scorecard: dict, *, learn=None) -> bool:
    """Write a finished analysis (and ``learn(session)`` from it) with the call's done event.

    Dropped, returning False, when the call was deleted meanwhile (a rep's erasure, a
    DELETE) or another worker owns the job now.
    """
    with runtime.db.session() as s:
        call = calls.hold(s, job.call_id)
        if call is None:
            log.info("call %s was deleted while it was analyzed: its result is dropped", job.call_id)
            runtime.queue.finish(job.id, worker, session=s)
            return False
        if not runtime.queue.owns(s, job.id, worker):
            return False  # our lease ran out and another worker took over: its result wins
        calls.mark_done(s, call, full, scorecard)
        if learn is not None:
            learn(s)
        runtime.queue.finish(job.id, worker, session=s)
        new_jobs = _pending_webhook_jobs(s, job.call_id)
    runtime.dispatch(new_jobs)
    return True


def _call_voices(runtime, session, call: Call, options: dict):
    """The voices to look for (a mono call naming its rep), or to hear (a channel-mapped
    call naming its rep, to learn from); None when neither applies."""
    from listenlens.pipeline.voiceprints import CallVoices
    from listenlens.service.domain import voiceprints

    if not call.rep:
        return None
    if options.get("channels"):
        return CallVoices() if runtime.settings.voiceprints_from_calls else None
    known = voiceprints.known_voices(session, call.tenant_id, call.rep, call.team, voiceprints.running_model(runtime))
    return CallVoices(known=known) if any(v.is_rep for v in known) else None


def _learn_rep_voice(runtime, session, tenant_id: str, rep: str, timeline, voices) -> None:
    from listenlens.pipeline.timeline import Role
    from listenlens.service.domain import voiceprints

    heard = [voices.heard[label] for label in timeline.labels(Role.REP) if label in voices.heard]
    if heard:
        best = max(heard, key=lambda v: v.speech_s)
        voiceprints.learn(session, tenant_id, rep, best, runtime.settings.voiceprint_max_samples)


def fail_call(runtime, call_id: str, code: str, message: str) -> None:
    """Fail a call outside any job (the job was given up on); notify its webhook."""
    with runtime.db.session() as s:
        call = calls.hold(s, call_id)
        if call is None or call.status in ("done", "failed"):
            return
        calls.mark_failed(s, call, code, message)
        new_jobs = _pending_webhook_jobs(s, call_id)
    runtime.dispatch(new_jobs)


def _fail(runtime, job: Claimed, worker: str, code: str, message: str) -> None:
    with runtime.db.session() as s:
        call = calls.hold(s, job.call_id)  # before anything else: see calls.hold
        if not runtime.queue.owns(s, job.id, worker):
            return
        if call is not None:
            calls.mark_failed(s, call, code, message)
        runtime.queue.finish(job.id, worker, failed=True, error=f"{code}: {message}", session=s)
        new_jobs = _pending_webhook_jobs(s, job.call_id)
    runtime.dispatch(new_jobs)


def _pending_webhook_jobs(session, call_id: str | None) -> list[int]:
    from sqlalchemy import select

    from listenlens.service.db.models import Job

    return list(session.scalars(
        select(Job.id).where(Job.call_id == call_id, Job.kind == WEBHOOK, Job.status == "queued",
                             Job.dispatched_at.is_(None))
    ).all())


class _ProgressWriter:
    """The pipeline's progress listener: writes the stage and the fraction done to the call row, throttled."""

    def __init__(self, runtime, call_id: str, stop: threading.Event | None, lost: threading.Event | None):
        self.runtime, self.call_id, self.stop, self.lost = runtime, call_id, stop, lost
        self.last_write = 0.0
        self.last_stage: str | None = None

    def __call__(self, update: ProgressUpdate) -> None:
        if (self.stop is not None and self.stop.is_set()) or (self.lost is not None and self.lost.is_set()):
            raise Cancelled()
        now = time.monotonic()
        if update.stage == self.last_stage and now - self.last_write < _PROGRESS_EVERY_S:
            return
        self.last_stage, self.last_write = update.stage, now
        try:
            with self.runtime.db.session() as s:
                # One conditional UPDATE: a call deleted meanwhile is simply not there to change.
                s.execute(sa_update(Call).where(Call.id == self.call_id, Call.status == "processing")
                          .values(progress_stage=update.stage[:64], progress=update.fraction)
                          .execution_options(synchronize_session=False))
        except Exception as exc:  # progress is best effort; never fail a call over it
            log.warning("progress update for %s failed: %s", self.call_id, exc)


@contextmanager
def _heartbeat(runtime, job: Claimed, worker: str) -> Iterator[threading.Event]:
    """Renew the job's lease in the background; set the yielded event if it is lost."""
    done = threading.Event()
    lost = threading.Event()
    interval = max(0.2, runtime.settings.job_lease_s / 3)

    def beat() -> None:
        while not done.wait(interval):
            try:
                if not runtime.queue.heartbeat(job.id, worker):
                    lost.set()
                    return
            except Exception as exc:  # a DB hiccup: try again next beat
                log.warning("heartbeat for job %s failed: %s", job.id, exc)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        done.set()
        thread.join(timeout=5)
