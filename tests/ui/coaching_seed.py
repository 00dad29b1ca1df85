"""Done calls with known listening numbers, built without audio, for the coaching tests.

``call_timeline(talk_ratio=0.4, honoured=3, questions=4)`` builds a timeline whose
rep talks that share of the time and gives that many of the questions room to answer
(the others are followed by the rep's own speech after one second). ``seed`` scores
such timelines with the real scorecard and stores them as done calls of a tenant.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from listenlens.pipeline.metrics import MetricsConfig
from listenlens.pipeline.scorecard import ScorecardConfig, score_call
from listenlens.pipeline.timeline import CallTimeline, build_timeline

# No sentence-embedding model: paraphrases by opener phrase only, so tests stay fast.
CONFIG = ScorecardConfig(metrics=MetricsConfig(paraphrase_semantic=False))
CUSTOMER_TURN_S = 6.0
SELF_ANSWER_S = 2.0
FILLER = "we build reporting tools for sales teams like yours".split()
QUESTION = "what do you need most?".split()
ANSWER = "we need better weekly reporting for the whole team honestly".split()
MORE = "we also do forecasting".split()


@dataclass
class CallSpec:
    rep: str
    team: str
    call_time: datetime
    talk_ratio: float
    honoured: int
    questions: int = 4


def _words(start: float, end: float, tokens: list[str], speaker: str) -> list[tuple]:
    step = (end - start) / len(tokens)
    return [(start + i * step, start + (i + 1) * step - 0.02, tok, speaker) for i, tok in enumerate(tokens)]


def call_timeline(talk_ratio: float, honoured: int, questions: int = 4) -> CallTimeline:
    violations = questions - honoured
    cust_total = questions * CUSTOMER_TURN_S
    rep_total = talk_ratio / (1 - talk_ratio) * cust_total
    rep_len = (rep_total - violations * SELF_ANSWER_S) / questions
    assert rep_len > 2.5, "talk ratio too low for this many self-answered questions"
    turns, words, t = [], [], 0.5
    for i in range(questions):
        end = t + rep_len
        turns.append((t, end, "SPK_REP"))
        q_start = end - 1.6
        words += _words(t, q_start - 0.1, FILLER, "SPK_REP") if q_start - t > 1.0 else []
        words += _words(q_start, end, QUESTION, "SPK_REP")
        t = end
        if i >= honoured:  # the rep answers their own question after a second
            t += 1.0
            turns.append((t, t + SELF_ANSWER_S, "SPK_REP"))
            words += _words(t, t + SELF_ANSWER_S, MORE, "SPK_REP")
            t += SELF_ANSWER_S
        t += 0.8
        turns.append((t, t + CUSTOMER_TURN_S, "SPK_CUS"))
        words += _words(t, t + CUSTOMER_TURN_S, ANSWER, "SPK_CUS")
        t += CUSTOMER_TURN_S + 0.8
    return build_timeline(turns, words, {"SPK_REP": "rep", "SPK_CUS": "customer"}, duration=t + 0.5)


def seed(db, tenant_name: str, specs: list[CallSpec]) -> list[str]:
    """Store each spec as a done call of ``tenant_name``; return the call ids."""
    from listenlens.service.db.models import Call, CallResult, utcnow
    from listenlens.service.domain.auth import get_or_create_tenant
    from listenlens.service.domain.calls import jsonable

    ids = []
    with db.session() as s:
        tenant = get_or_create_tenant(s, tenant_name)
        for spec in specs:
            tl = call_timeline(spec.talk_ratio, spec.honoured, spec.questions)
            card = jsonable(score_call(tl, CONFIG).model_dump(mode="json"))
            call_id = "call_" + secrets.token_hex(12)
            s.add(Call(id=call_id, tenant_id=tenant.id, rep=spec.rep, team=spec.team, call_time=spec.call_time,
                       options={}, filename=f"{spec.rep}.wav", duration_s=tl.duration, channels=1, status="done",
                       score=card["score"], finished_at=utcnow(), progress_stage="done", progress=1.0))
            s.flush()
            s.add(CallResult(call_id=call_id, schema="listenlens.analysis/1", scorecard=card, timeline=tl.to_dict()))
            ids.append(call_id)
    return ids
