"""Stored scorecards: the JSON a call's result keeps, read back as the typed model."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from listenlens.errors import ListenlensError
from listenlens.pipeline.scorecard.models import Scorecard


def as_scorecard(scorecard: Scorecard | dict[str, Any], call_id: str | None = None) -> Scorecard:
    """A stored scorecard (JSON) as the model; a clear error when it is not one."""
    if isinstance(scorecard, Scorecard):
        return scorecard
    try:
        return Scorecard.model_validate(scorecard)
    except ValidationError as exc:
        where = f"call {call_id}" if call_id else "a call"
        raise ListenlensError(f"the stored scorecard of {where} is not a listenlens.scorecard/1 scorecard "
                              f"({exc.error_count()} problems, first: {exc.errors()[0]['msg']} at "
                              f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}); re-analyze the call") from None
