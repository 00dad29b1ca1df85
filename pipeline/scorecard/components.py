"""The score components, each defined once: what it measures, how it reads, its target,
and the verdict a value earns against it.

Every reader of a scorecard (terminal report, plot, pages, trends, notebook) takes the
label, unit, formatting, target band, verdict and colour from here.

Scoring: a component's value is scored 0-100 against its ``Target`` by a trapezoid
(``curve``): 100 inside the good band ``[good_min, good_max]``, falling linearly to 0 at
``zero_below`` / ``zero_above``.

The verdict rule (``verdict``), from that score:

==============  =====================  =============================================
verdict         score                  meaning
==============  =====================  =============================================
``met``         100                    inside the target band
``near``        50 to under 100        outside the band, less than half-way to zero
``far``         under 50               half-way to the zero point or beyond
``not_scored``  none                   the component does not apply to this call
==============  =====================  =============================================

The overall 0-100 listening score has its own band (``score_band``): ``good`` from 75,
``fair`` from 50, ``poor`` below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ComponentName = Literal[
    "talk_ratio", "longest_monologue", "patience", "four_second_rule", "interruptions", "paraphrase", "question_rate",
    "customer_focus", "open_questions", "question_yield", "self_promotion",
]
Unit = Literal["share", "seconds", "per10", "score"]


class Target(BaseModel):
    """How one component is scored: 100 in [good_min, good_max], 0 at/after the zero points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(ge=0, description="weight in the listening score; 0 shows the component but does not score it")
    good_min: float | None = Field(None, description="lower edge of the target band (none: no lower edge)")
    good_max: float | None = Field(None, description="upper edge of the target band (none: no upper edge)")
    zero_below: float | None = Field(None, description="at or below this the component scores 0")
    zero_above: float | None = Field(None, description="at or above this the component scores 0")
    label: str = Field("", description='how the target reads on the scorecard, e.g. "35-50%"')

    @model_validator(mode="after")
    def _ordered(self) -> Target:
        if self.good_min is not None and (self.zero_below is None or self.zero_below >= self.good_min):
            raise ValueError("good_min needs a zero_below below it")
        if self.good_max is not None and (self.zero_above is None or self.zero_above <= self.good_max):
            raise ValueError("good_max needs a zero_above above it")
        if self.good_min is not None and self.good_max is not None and self.good_min > self.good_max:
            raise ValueError("good_min is above good_max")
        return self


def curve(value: float, target: Target) -> float:
    """0-100 for ``value`` against ``target`` (a trapezoid; see the module docstring)."""
    if target.good_min is not None and value < target.good_min:
        assert target.zero_below is not None
        return 100.0 * clip((value - target.zero_below) / (target.good_min - target.zero_below))
    if target.good_max is not None and value > target.good_max:
        assert target.zero_above is not None
        return 100.0 * clip((target.zero_above - value) / (target.zero_above - target.good_max))
    return 100.0


def clip(x: float) -> float:
    return min(1.0, max(0.0, x))


# -- verdicts ------------------------------------------------------------------

class Verdict(str, Enum):
    MET = "met"
    NEAR = "near"
    FAR = "far"
    NOT_SCORED = "not_scored"

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self]

    @property
    def colour(self) -> str:
        return VERDICT_COLOURS[self]


NEAR_FROM = 50.0  # component score from which a missed target is "near" rather than "far"
VERDICT_LABELS = {Verdict.MET: "met", Verdict.NEAR: "near", Verdict.FAR: "far", Verdict.NOT_SCORED: "not scored"}
VERDICT_COLOURS = {Verdict.MET: "#16a34a", Verdict.NEAR: "#d97706", Verdict.FAR: "#dc2626",
                   Verdict.NOT_SCORED: "#94a3b8"}


def verdict(score: float | None) -> Verdict:
    """The verdict of a component score (0-100, None when not applicable)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return Verdict.NOT_SCORED
    if score >= 100.0:
        return Verdict.MET
    return Verdict.NEAR if score >= NEAR_FROM else Verdict.FAR


def judge(value: float | None, target: Target) -> Verdict:
    """The verdict of a raw value (e.g. a weekly mean) against a target."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Verdict.NOT_SCORED
    return verdict(curve(float(value), target))


class ScoreBand(str, Enum):
    """Where the overall 0-100 listening score falls."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    NONE = "na"

    @property
    def colour(self) -> str:
        return _BAND_VERDICT[self].colour


GOOD_FROM, FAIR_FROM = 75.0, 50.0
_BAND_VERDICT = {ScoreBand.GOOD: Verdict.MET, ScoreBand.FAIR: Verdict.NEAR, ScoreBand.POOR: Verdict.FAR,
                 ScoreBand.NONE: Verdict.NOT_SCORED}


def score_band(score: float | None) -> ScoreBand:
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return ScoreBand.NONE
    return ScoreBand.GOOD if score >= GOOD_FROM else ScoreBand.FAIR if score >= FAIR_FROM else ScoreBand.POOR


# -- values as text --------------------------------------------------------------

def clock(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour)."""
    if seconds is None:
        return ""
    s = max(0, int(round(float(seconds))))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def format_value(value: float | None, unit: Unit | str, *, decimals: int = 1, per_s: float = 600.0) -> str:
    """A number in its unit as a coach reads it; "–" when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if unit == "share":
        return f"{v * 100:.0f}%"
    if unit == "seconds":
        return clock(v) if abs(v) >= 90 else f"{v:.{decimals}f} s"
    if unit == "per10":
        return f"{v:.1f} per {per_s / 60:g} min"
    if unit == "score":
        return f"{v:.0f}"
    return f"{v:.3g}"


# -- moments -----------------------------------------------------------------------

MOMENT_LABELS = {
    "interruption": "Interruption",
    "four_second_rule": "Four-second rule",
    "question": "Question",
    "monologue": "Long monologue",
    "paraphrase": "Played back",
    "missed_playback": "Story not played back",
    "switch": "Reply",
    "rep_turn": "Rep turn",
    "self_promotion": "Self-promotion",
    "objection": "Objection",
    "next_step": "Next step",
    "missing_next_step": "No next step",
    "follow_up": "Follow-up promised",
    "dead_air": "Dead air",
    "tracker": "Tracker",
}


def moment_label(kind: str) -> str:
    """How a moment's kind reads on the report and the pages."""
    return MOMENT_LABELS.get(kind, kind.replace("_", " ").capitalize())


# -- the components ----------------------------------------------------------------

@dataclass(frozen=True)
class ComponentSpec:
    """One score component: its name on the scorecard and everything a reader shows of it."""

    name: ComponentName
    label: str
    unit: Unit
    help: str  # what it asks of the rep
    target: Target  # the default target; ScorecardConfig.targets may replace it
    trend_column: str  # its per-call column in the trend and export rows
    decimals: int = 1  # for values in seconds

    def format(self, value: float | None, *, per_s: float = 600.0) -> str:
        return format_value(value, self.unit, decimals=self.decimals, per_s=per_s)


COMPONENTS: tuple[ComponentSpec, ...] = (
    # Gong Labs (25,537 B2B calls): top performers 43% rep talk, average 65-75%.
    ComponentSpec("talk_ratio", "Talk ratio", "share", "share of the talking done by the rep",
                  Target(weight=3, good_min=0.35, good_max=0.50, zero_below=0.10, zero_above=0.75, label="35-50%"),
                  "talk_ratio"),
    # Gong: keep monologues under 2.5 minutes.
    ComponentSpec("longest_monologue", "Longest monologue", "seconds", "the rep's longest turn",
                  Target(weight=1.5, good_max=150.0, zero_above=300.0, label="under 150 s"),
                  "longest_monologue_s"),
    # Gong: top performers pause 0.6-1.0 s before replying.
    ComponentSpec("patience", "Patience", "seconds", "median pause before the rep replies",
                  Target(weight=1.5, good_min=0.6, good_max=1.0, zero_below=-0.5, zero_above=4.0, label="0.6-1.0 s"),
                  "patience_median_s", decimals=2),
    # Rowe's wait-time research; house target: 80% of questions get room to answer.
    ComponentSpec("four_second_rule", "Four-second rule", "share", "questions the rep left room to answer",
                  Target(weight=2, good_min=0.8, zero_below=0.0, label="80% of questions"),
                  "four_second_rule_share"),
    # House target: at most one interruption of the customer per 10 minutes.
    ComponentSpec("interruptions", "Interruptions", "per10", "times the rep talked over the customer, per 10 minutes",
                  Target(weight=2, good_max=1.0, zero_above=6.0, label="at most 1 per 10 min"),
                  "interruptions_rep_per_10min"),
    # House target: play back at least half of the customer's stories.
    ComponentSpec("paraphrase", "Playing back", "share", "customer stories the rep restated",
                  Target(weight=1, good_min=0.5, zero_below=0.0, label="half of customer stories"),
                  "customer_stories_played_back_share"),
    # Gong: 11-14 questions in a discovery call (about 3-6 per 10 minutes of a 30-40 min call).
    ComponentSpec("question_rate", "Questions", "per10", "questions asked per 10 minutes",
                  Target(weight=1, good_min=2.5, good_max=6.0, zero_below=0.0, zero_above=15.0, label="2.5-6 per 10 min"),
                  "questions_per_10min"),
    # What was said. Shown with their verdicts but weight 0: the rules are checked against
    # small labelled sets, not against outcomes, so they do not move the listening score
    # unless a team weights them (docs/metrics.md, "Content components").
    # House target: at least half of what the rep says about either side is about the customer.
    ComponentSpec("customer_focus", "Customer focus", "share", "rep sentences about the customer rather than the seller",
                  Target(weight=0, good_min=0.5, zero_below=0.1, label="half about the customer"),
                  "customer_focus_share"),
    # House target: at least half of the rep's questions open.
    ComponentSpec("open_questions", "Open questions", "share", "rep questions the customer cannot answer yes or no",
                  Target(weight=0, good_min=0.5, zero_below=0.0, label="half of questions open"),
                  "open_question_share"),
    # House target: a question earns the customer 10 s of talk (median).
    ComponentSpec("question_yield", "Question yield", "seconds", "customer talk time a rep question earns (median)",
                  Target(weight=0, good_min=10.0, zero_below=0.0, label="10 s or more"),
                  "question_yield_median_s"),
    # House target: at most one self-promoting sentence per 10 minutes of rep talk.
    ComponentSpec("self_promotion", "Self-promotion", "per10", "rep sentences praising the seller, per 10 minutes of rep talk",
                  Target(weight=0, good_max=1.0, zero_above=6.0, label="at most 1 per 10 min"),
                  "self_promotion_per_10min"),
)
BY_NAME: dict[str, ComponentSpec] = {c.name: c for c in COMPONENTS}
BY_TREND_COLUMN: dict[str, ComponentSpec] = {c.trend_column: c for c in COMPONENTS}


def spec(name: str) -> ComponentSpec | None:
    return BY_NAME.get(name)


def default_targets() -> dict[str, Target]:
    return {c.name: c.target for c in COMPONENTS}
