"""The listening scorecard: every metric, a 0-100 score, and the moments behind it.

``score_call(timeline)`` returns a ``Scorecard`` (schema ``listenlens.scorecard/1``,
described in ``docs/metrics.md`` and published as ``docs/scorecard.schema.json``).

* ``components``: each score component defined once (label, unit, format, target,
  verdict rule and colours);
* ``models``: the typed scorecard every reader uses;
* ``config``: ``ScorecardConfig``, what a scorecard is computed with;
* ``build``: ``score_call``; ``moments``: the coaching moments.
"""

from listenlens.pipeline.scorecard.build import score_call
from listenlens.pipeline.scorecard.components import (
    COMPONENTS,
    ComponentSpec,
    ScoreBand,
    Target,
    Verdict,
    curve,
    judge,
    score_band,
    verdict,
)
from listenlens.pipeline.scorecard.config import ScorecardConfig
from listenlens.pipeline.scorecard.models import SCHEMA, Component, Metrics, Moment, Scorecard

__all__ = [
    "COMPONENTS", "SCHEMA", "Component", "ComponentSpec", "Metrics", "Moment", "ScoreBand", "Scorecard",
    "ScorecardConfig", "Target", "Verdict", "curve", "judge", "score_band", "score_call", "verdict",
]
