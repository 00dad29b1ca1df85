"""What a coach looks at for one rep or team: their per-call metric rows, the team to
compare a rep with, the calls still pending and the targets of the current scorecard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from listenlens.pipeline.scorecard import Scorecard
from listenlens.pipeline.scorecard.coaching import CallCard
from listenlens.pipeline.scorecard.names import names_from_scorecard
from listenlens.service.db.models import Call, CallResult
from listenlens.service.domain.errors import NotFound
from listenlens.service.domain.scorecards import as_scorecard
from listenlens.service.domain.trends import load_metric_rows

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TrendData:
    rows: pd.DataFrame  # unscored values left out (``trends.metric_row(scored_only=True)``)
    compare: pd.DataFrame | None  # the team's rows, for a rep
    compare_team: str | None
    pending: int  # calls queued or processing
    latest_scorecard: Scorecard | None  # the tenant's newest, for the current targets
    cards: list[CallCard] = field(default_factory=list)  # a rep's latest scored calls, for coaching


COACH_CALLS = 10  # a rep page coaches on this many of the rep's latest calls


def trend_data(session: Session, tenant_id: str, *, rep: str | None = None, team: str | None = None,
               compare_team: str | None = None, only_rep: str | None = None) -> TrendData:
    """The rows of ``rep`` (compared with ``compare_team``, else their most frequent team) or of ``team``.

    With ``only_rep`` (a rep user) only that rep's own rows are served, compared with the
    median of their usual team (a weekly figure, no other rep's call); a team or another
    rep answers ``NotFound`` like a missing one.
    """
    if only_rep is not None:
        if rep != only_rep:
            raise NotFound("rep" if rep is not None else "team")
        compare_team = None
    mine = (Call.rep == rep) if rep is not None else (Call.team == team)
    if not session.scalar(select(func.count()).select_from(Call).where(Call.tenant_id == tenant_id, mine)):
        raise NotFound("rep" if rep is not None else "team")
    rows = load_metric_rows(session, tenant_id, rep=rep, team=team, scored_only=True)
    pending = session.scalar(select(func.count()).select_from(Call).where(
        Call.tenant_id == tenant_id, Call.status.in_(("queued", "processing")), mine))
    compare = None
    if rep is not None:
        teams = rows["team"].dropna()
        compare_team = compare_team or (teams.mode().iloc[0] if not teams.empty else None)
        if compare_team:
            compare = load_metric_rows(session, tenant_id, team=compare_team, scored_only=True)
    else:
        compare_team = None
    latest = session.scalar(select(CallResult.scorecard).join(Call, Call.id == CallResult.call_id)
                            .where(Call.tenant_id == tenant_id, Call.status == "done")
                            .order_by(Call.finished_at.desc()).limit(1))
    cards = []
    if rep is not None:
        recent = session.execute(select(Call.id, CallResult.scorecard).join(CallResult, CallResult.call_id == Call.id)
                                 .where(Call.tenant_id == tenant_id, Call.status == "done", Call.rep == rep)
                                 .order_by(Call.call_time.desc()).limit(COACH_CALLS)).all()
        for call_id, stored in recent:
            card = as_scorecard(stored, call_id)
            cards.append(CallCard(call_id, card, names_from_scorecard(card, rep_name=rep)))
    return TrendData(rows, compare, compare_team, int(pending or 0), as_scorecard(latest) if latest is not None else None,
                     cards)
