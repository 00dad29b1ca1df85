"""The service's building blocks on real SQLite, without the pipeline: queue, signatures, trends."""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import update

from service_helpers import make_settings


@pytest.fixture
def rt(tmp_path):
    from listenlens.service.runtime import Runtime

    runtime = Runtime(make_settings(tmp_path / "home", job_lease_s=30.0, job_max_attempts=2))
    yield runtime
    runtime.close()


def _job(rt, **kw) -> int:
    from listenlens.service.jobs.queue import ANALYZE, enqueue

    with rt.db.session() as s:
        return enqueue(s, ANALYZE, "t1", call_id=kw.pop("call_id", "c1"), **kw).id


def test_a_job_is_claimed_by_exactly_one_of_many_workers(rt):
    job_id = _job(rt)
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def contend(name: str) -> None:
        barrier.wait()
        if rt.queue.claim(job_id, name) is not None:
            winners.append(name)

    threads = [threading.Thread(target=contend, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert rt.queue.claim_next("late", ["analyze"]) is None


def test_claims_respect_run_after_and_kind(rt):
    from listenlens.service.db.models import utcnow

    later = _job(rt, run_after=utcnow() + timedelta(hours=1))
    assert rt.queue.claim_next("w", ["analyze"]) is None
    assert rt.queue.claim(later, "w") is None
    now_id = _job(rt, call_id="c2")
    assert rt.queue.claim_next("w", ["webhook"]) is None
    got = rt.queue.claim_next("w", ["analyze"])
    assert got.id == now_id and got.attempts == 1


def test_expired_lease_is_requeued_then_given_up(rt):
    from listenlens.service.db.models import Job, utcnow

    job_id = _job(rt)

    def expire():
        with rt.db.session() as s:
            s.execute(update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1)))

    first = rt.queue.claim(job_id, "dead-1")
    assert rt.queue.reap_expired() == ([], [])  # lease still valid
    expire()
    assert rt.queue.reap_expired() == ([job_id], [])
    assert not rt.queue.heartbeat(job_id, "dead-1")  # the dead worker lost it
    assert not rt.queue.finish(job_id, "dead-1")  # and cannot finish it any more
    second = rt.queue.claim(job_id, "dead-2")
    assert (first.attempts, second.attempts) == (1, 2)
    expire()
    requeued, given_up = rt.queue.reap_expired()
    assert requeued == [] and [j.id for j in given_up] == [job_id]  # job_max_attempts=2
    with rt.db.session() as s:
        assert s.get(Job, job_id).status == "failed"


def test_graceful_release_does_not_count_an_attempt(rt):
    job_id = _job(rt)
    assert rt.queue.claim(job_id, "w").attempts == 1
    assert rt.queue.release("w") == 1
    assert rt.queue.claim(job_id, "w2").attempts == 1


def test_signature_scheme_matches_the_documented_formula():
    import hashlib
    import hmac

    from listenlens.service.domain.webhooks import sign, verify_signature

    body = b'{"event":"call.done"}'
    ts = int(time.time())
    expected = hmac.new(b"whsec_x", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert sign("whsec_x", ts, body) == f"sha256={expected}"
    assert verify_signature("whsec_x", str(ts), body, f"sha256={expected}")
    assert not verify_signature("whsec_x", str(ts - 3600), body, sign("whsec_x", ts - 3600, body))  # replayed
    assert not verify_signature("whsec_x", "soon", body, f"sha256={expected}")


def _stored_card(score, talk_ratio, asked=None, share=None):
    """A stored scorecard (JSON, as the database holds it) with these numbers."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from listenlens.pipeline.scorecard import score_call
    from scorecard_cases import CASES

    timeline, config, embedder = CASES["discovery"]()
    card = score_call(timeline, config, embedder=embedder).model_dump(mode="json")
    m = card["metrics"]
    card["score"] = score
    m["talk_ratio"] = talk_ratio
    m["interruption_counts"].update(rep_on_customer=1, customer_on_rep=0)
    m["paraphrases"] = m["paraphrases"] * 2
    m["patience"]["median_s"] = 0.7
    m["interactivity"]["per_minute"] = None
    m["four_second_rule"].update(asked=asked or 0, share_honoured=share)
    return card


def test_metric_rows_read_the_scorecard():
    from listenlens.service.domain.trends import CORE_METRICS, ID_COLUMNS, rows_from_scorecards

    rows = rows_from_scorecards([{"call_id": "a", "rep": "ann", "team": "n", "call_time": datetime(2026, 11, 18, 9),
                                  "scorecard": _stored_card(70, 0.5, asked=4, share=0.75)}])
    assert list(rows.columns) == ID_COLUMNS + CORE_METRICS
    row = rows.iloc[0]
    assert row["iso_week"] == "2026-W47"
    assert (row["score"], row["talk_ratio"], row["questions"], row["four_second_rule_share"]) == (70, 0.5, 4, 0.75)
    assert (row["interruptions_rep"], row["paraphrases"], row["patience_median_s"]) == (1, 2, 0.7)
    assert math.isnan(row["interactivity"])  # none in this scorecard


def test_a_stored_scorecard_that_is_not_one_is_a_clear_error():
    from listenlens.errors import ListenlensError
    from listenlens.service.domain.trends import rows_from_scorecards

    broken = _stored_card(70, 0.5)
    del broken["metrics"]["four_second_rule"]
    with pytest.raises(ListenlensError, match="stored scorecard of call a .*metrics.four_second_rule"):
        rows_from_scorecards([{"call_id": "a", "rep": "ann", "call_time": datetime(2026, 11, 18, 9),
                               "scorecard": broken}])


def test_weekly_trends_count_mean_median_per_iso_week():
    from listenlens.service.domain.trends import rows_from_scorecards, trends_json, weekly_trends

    recs = [
        # 2026-W46 (Mon 9 Nov .. Sun 15 Nov): three calls
        ("a", datetime(2026, 11, 9, 8), _stored_card(60, 0.40, asked=2, share=0.5)),
        ("b", datetime(2026, 11, 12, 8), _stored_card(70, 0.50)),  # no questions: no four-second share
        ("c", datetime(2026, 11, 15, 23), _stored_card(95, 0.90, asked=1, share=1.0)),
        # 2026-W47: one call (Monday 00:30 belongs to the new week)
        ("d", datetime(2026, 11, 16, 0, 30), _stored_card(50, 0.6, asked=3, share=0.0)),
    ]
    rows = rows_from_scorecards({"call_id": c, "rep": "ann", "call_time": t, "scorecard": sc} for c, t, sc in recs)
    weekly = weekly_trends(rows, ["score", "talk_ratio", "four_second_rule_share"])
    assert list(weekly.columns) == ["week", "metric", "calls", "count", "mean", "median"]
    w46 = weekly[weekly.week == "2026-W46"].set_index("metric")
    assert w46.loc["score", "calls"] == 3 and w46.loc["score", "count"] == 3
    assert w46.loc["score", "mean"] == pytest.approx(75.0) and w46.loc["score", "median"] == 70.0
    assert w46.loc["talk_ratio", "median"] == pytest.approx(0.5)
    assert w46.loc["four_second_rule_share", "count"] == 2
    assert w46.loc["four_second_rule_share", "mean"] == pytest.approx(0.75)
    js = trends_json(weekly)
    assert [w["week"] for w in js["weeks"]] == ["2026-W46", "2026-W47"]
    assert js["weeks"][1] == {"week": "2026-W47", "calls": 1, "metrics": {
        "score": {"count": 1, "mean": 50.0, "median": 50.0},
        "talk_ratio": {"count": 1, "mean": 0.6, "median": 0.6},
        "four_second_rule_share": {"count": 1, "mean": 0.0, "median": 0.0}}}
    assert weekly_trends(rows.iloc[0:0]).empty
    assert isinstance(weekly, pd.DataFrame)


def test_housekeeper_applies_retention_to_old_finished_calls(tmp_path):
    from listenlens.service.db.models import Call, Tenant, utcnow
    from listenlens.service.jobs.housekeeping import Housekeeper
    from listenlens.service.runtime import Runtime

    runtime = Runtime(make_settings(tmp_path / "home", retention_days=5))
    try:
        src = tmp_path / "a.wav"
        src.write_bytes(b"RIFF....")
        rows = {"old-done": ("done", 10), "old-queued": ("queued", 10), "new-done": ("done", 1)}
        with runtime.db.session() as s:
            s.add(Tenant(id="t1", name="acme"))
            s.flush()
            for cid, (status, age_days) in rows.items():
                runtime.storage.put(src, f"t1/{cid}/recording.wav")
                s.add(Call(id=cid, tenant_id="t1", call_time=utcnow(), status=status, options={},
                           recording_key=f"t1/{cid}/recording.wav", created_at=utcnow() - timedelta(days=age_days)))
        Housekeeper(runtime, dispatch_due=False).tick()
        kept = {cid for cid in rows if runtime.storage.exists(f"t1/{cid}/recording.wav")}
        # Only the finished call past the retention period loses its recording; a queued one
        # is still needed for its analysis.
        assert kept == {"old-queued", "new-done"}
        with runtime.db.session() as s:
            old = s.get(Call, "old-done")
            assert old.recording_key is None and old.recording_deleted_at is not None
            assert s.get(Call, "new-done").recording_key is not None
    finally:
        runtime.close()


def test_object_store_path_round_trip(tmp_path):
    """A non-local fsspec store (memory://, in-process) takes the download path of workers."""
    from listenlens.service.storage import Storage

    store = Storage(f"memory://listenlens-{tmp_path.name}/recordings")
    assert not store.local
    src = tmp_path / "call.wav"
    src.write_bytes(b"RIFF-bytes")
    store.put(src, "t1/c1/call.wav")
    assert store.exists("t1/c1/call.wav") and not store.exists("t1/c1/call.wav.part")
    with store.local_path("t1/c1/call.wav") as local:
        assert local.name == "call.wav" and local.read_bytes() == b"RIFF-bytes"
    assert not local.exists()  # the temporary copy is gone afterwards
    with store.open("t1/c1/call.wav") as f:
        assert f.read() == b"RIFF-bytes"
    store.delete("t1/c1/call.wav")
    store.delete("t1/c1/call.wav")  # deleting twice is fine
    assert not store.exists("t1/c1/call.wav")
