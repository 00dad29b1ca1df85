"""The scorecard as typed models: the ``listenlens.scorecard/1`` contract.

``score_call`` returns a ``Scorecard``; ``Scorecard.model_dump(mode="json")`` is the JSON
every client reads (field names are the contract), and a stored scorecard comes back
with ``Scorecard.model_validate``. ``Scorecard.model_json_schema()`` is published as
``docs/scorecard.schema.json`` (``listenlens schema``).

Times are seconds from the start of the recording, rounded to milliseconds.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from listenlens.pipeline.scorecard.components import (
    BY_NAME,
    ComponentName,
    ScoreBand,
    Target,
    Verdict,
    score_band,
    verdict,
)
from listenlens.pipeline.timeline import Role, RoleSource

SCHEMA: Final = "listenlens.scorecard/1"

Seconds = Annotated[float, Field(description="seconds from the start of the recording")]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


# -- metrics -------------------------------------------------------------------

class TalkTime(_Part):
    """Talk time per side in seconds: speech with each speaker's own pauses under
    ``talk_pause_s`` counted (docs/metrics.md); two speakers of one side talking at once
    count once."""

    rep: float = Field(description="seconds the rep side spoke")
    customer: float = Field(description="seconds the customer side spoke")
    unknown: float = Field(description="seconds speakers of no known role spoke")


class TurnSpan(_Part):
    """A turn: one speaker holding the floor (backchannels do not break it)."""

    speaker: str = Field(description="speaker label")
    role: Role
    start: Seconds
    end: Seconds


class TurnRef(_Part):
    speaker: str = Field(description="speaker label")
    start: Seconds
    end: Seconds
    duration_s: float = Field(description="length of the turn, s")


class Backchannel(_Part):
    """A short listener response ("mhm", "right") that did not take the floor."""

    start: Seconds
    end: Seconds
    speaker: str = Field(description="who said it")
    role: Role
    text: str
    during: str = Field(description="label of the speaker holding the floor")


class RoleCounts(_Part):
    rep: int
    customer: int
    unknown: int


class Interruption(_Part):
    """Someone starting to talk while another speaker holds the floor."""

    start: Seconds
    end: Seconds = Field(description="end of the interrupting utterance")
    by: Role = Field(description="role of the interrupter")
    of: Role = Field(description="role of the speaker interrupted")
    by_label: str = Field(description="speaker label of the interrupter")
    of_label: str = Field(description="speaker label of the speaker interrupted")
    kind: str = Field(description="BY_on_OF, e.g. rep_on_customer")
    overlap_s: float = Field(description="seconds both talked at once")
    yielded: bool = Field(description="the interrupted speaker stopped")
    text: str = Field(description="what the interrupter said")
    interrupted_text: str = Field(description="what the interrupted speaker was saying")
    confidence: float = Field(1.0, description="0-1: how sure the event is (attribution of its words to their "
                                               "speaker, talk-over, recogniser word probability)")
    uncertain: bool = Field(False, description="confidence under the scorecard's uncertain_below: listed, "
                                              "left out of the score")


class InterruptionCounts(_Part):
    rep_on_customer: int = Field(description="times the rep talked over the customer")
    customer_on_rep: int = Field(description="times the customer talked over the rep")
    other: int = Field(description="other overlaps (same side, unknown speakers)")
    rep_on_customer_per_10min: float | None = Field(
        description="rep-on-customer interruptions per 10 minutes of speech span; null without a rep and a customer")
    measured: bool = Field(True, description="false when the diarizer cannot see overlapping speech (then the counts "
                                             "are not evidence of no interruptions)")
    estimated: bool = Field(False, description="overlaps were detected in a mono mix, not separated by channel")
    uncertain: int = Field(0, description="uncertain interruptions (any kind), left out of the counts above")


QuestionOutcome = Literal["answered", "waited", "self_answered", "stacked", "end_of_call"]


class Question(_Part):
    """A question the rep asked, and what followed it."""

    start: Seconds
    end: Seconds
    speaker: str
    text: str
    form: str = Field(description="how it was recognised as a question: wh, yes_no, tag, mark, ...")
    wait_s: float = Field(description="seconds until the next speech after the question")
    next_by: str | None = Field(description="label of whoever spoke next; null at the end of the call")
    next_role: Role | None
    outcome: QuestionOutcome
    honoured: bool = Field(description="the rep left room to answer (the four-second rule held)")
    confidence: float = Field(1.0, description="0-1: how sure the event is (attribution of its words to their "
                                               "speaker, talk-over, recogniser word probability)")
    uncertain: bool = Field(False, description="confidence under the scorecard's uncertain_below: listed, "
                                              "left out of the score")


class FourSecondRule(_Part):
    threshold_s: float = Field(description="the rep's own speech within this many seconds breaks the rule")
    asked: int = Field(description="questions the rep asked")
    honoured: int = Field(description="questions followed by an answer or a wait of threshold_s")
    share_honoured: float | None = Field(description="honoured / asked; null when no question was asked")
    median_wait_s: float | None = Field(description="median wait after a question (end-of-call questions left out)")
    self_answered: int = Field(description="questions the rep went on talking after")
    stacked: int = Field(description="questions followed by another question of the rep's")
    violations: list[Question] = Field(description="the questions that broke the rule")
    uncertain: int = Field(0, description="uncertain questions, left out of every count above")


class QuestionRate(_Part):
    value: float | None = Field(description="rep questions per per_s seconds of speech span")
    per_s: float = Field(description="the rate's time unit in seconds (600: per 10 minutes)")
    count: int = Field(description="questions the rep asked (uncertain ones left out)")


class Switch(_Part):
    """The floor passing from a customer to a rep."""

    customer: str
    rep: str
    customer_end: Seconds
    rep_start: Seconds
    gap_s: float = Field(description="rep_start - customer_end (negative when the rep started early)")


class Patience(_Part):
    median_s: float | None = Field(description="median gap before the rep replied to a customer; null without a switch")
    switches: list[Switch]


class Paraphrase(_Part):
    """A rep turn that played back (restated) the customer's preceding turn."""

    start: Seconds
    end: Seconds
    speaker: str
    text: str = Field(description="the rep's opening words that restate")
    restates: str = Field(description="the customer turn's text")
    restates_speaker: str
    restates_start: Seconds
    restates_end: Seconds
    method: Literal["opener", "semantic"] = Field(description="a reflective opener, or sentence-embedding similarity")
    opener: str | None = Field(description="the opener phrase, when method is opener")
    similarity: float | None = Field(description="cosine similarity, when it was computed")
    confidence: float = Field(1.0, description="0-1: how sure the event is (attribution of its words to their "
                                               "speaker, talk-over, recogniser word probability)")
    uncertain: bool = Field(False, description="confidence under the scorecard's uncertain_below: listed, "
                                              "left out of the score")


class Story(_Part):
    """A customer turn long enough to be a story, followed by a rep turn."""

    start: Seconds
    end: Seconds
    speaker: str
    duration_s: float
    played_back: bool = Field(description="the rep's next turn restated it")


class CustomerStories(_Part):
    count: int
    played_back: int
    share_played_back: float | None = Field(description="played_back / count; null without a story")
    items: list[Story]


class Interactivity(_Part):
    switches: int = Field(description="speaker switches between turns")
    per_minute: float | None = Field(description="switches per minute of speech span")


# -- content of the conversation -----------------------------------------------------

class Said(_Part):
    """One sentence somebody said (a content finding)."""

    speaker: str = Field(description="speaker label")
    role: Role
    start: Seconds
    end: Seconds
    text: str


class CustomerFocus(_Part):
    """Rep sentences about the customer's world, the seller's side, or neither."""

    customer: int = Field(description="rep sentences about the customer (you, your team, your problem)")
    seller: int = Field(description="rep sentences about the seller (we, our, I, the product)")
    neutral: int = Field(description="greetings, logistics, sentences about neither side")
    share: float | None = Field(description="customer / (customer + seller); null when neither was said")


class SelfPromotion(_Part):
    count: int = Field(description="rep sentences praising the seller's product, company or technology")
    rate: float | None = Field(description="count per per_s seconds of rep talk time; null when the rep did not speak")
    per_s: float = Field(description="the rate's unit of rep talk time in seconds (600: per 10 minutes)")
    items: list[Said]


class RatedQuestion(_Part):
    start: Seconds
    end: Seconds
    text: str
    type: Literal["open", "closed"]
    yield_s: float | None = Field(description="customer talk time in the answer, s; null at the end of the call")


class QuestionQuality(_Part):
    open: int = Field(description="open rep questions (what, how, tell me ...)")
    closed: int = Field(description="closed rep questions (yes/no, either/or, tags)")
    open_share: float | None = Field(description="open / all rep questions; null when none was asked")
    median_yield_s: float | None = Field(description="median customer talk time answering a rep question, s")
    questions: list[RatedQuestion]


ObjectionType = Annotated[str, Field(description="brush_off, competitor, price, authority, timing or need")]
ResponseKind = Literal["listening", "pitching", "other"]


class Objection(_Part):
    """A customer sentence that resists, and the rep's reply."""

    start: Seconds
    end: Seconds
    speaker: str
    text: str
    type: ObjectionType
    response: Said | None = Field(description="the first sentence of the rep's reply; null when the rep said nothing more")
    response_kind: ResponseKind | None = Field(description="listening (asks or plays back), pitching (argues, praises) "
                                                          "or other; null without a reply")
    pause_s: float | None = Field(description="from the customer's last word to the reply, s (negative: talked over)")


class NextStep(_Part):
    found: bool = Field(description="a concrete time was agreed near the end of the call")
    time: str | None = Field(description="the concrete time as said")
    said: Said | None = Field(description="the sentence that set the time")
    agreed_by: Said | None = Field(description="the sentence that accepted it (the same one when it accepts itself)")
    window_start: Seconds = Field(description="where the search for a next step began")


class Pace(_Part):
    rep_wpm: float | None = Field(description="rep words per minute of rep talk time")
    customer_wpm: float | None = Field(description="customer words per minute of customer talk time")
    rep_words: int
    customer_words: int


class Filler(_Part):
    speaker: str
    start: Seconds
    end: Seconds
    text: str = Field(description="the filler as said (um, you know, ...)")


class Fillers(_Part):
    count: int = Field(description="fillers in the rep's speech (a floor: recognisers drop many)")
    per_minute: float | None = Field(description="per filler_rate_per_s of rep talk time; null when the rep did not speak")
    by_word: dict[str, int]
    items: list[Filler]


class DeadAir(_Part):
    """A silence where nobody spoke that did not follow a rep question."""

    start: Seconds
    end: Seconds
    duration_s: float


class TrackerHit(_Part):
    """A phrase of one of the tenant's trackers, heard in the call."""

    tracker: str = Field(description="the tracker's name")
    phrase: str = Field(description="the phrase of the tracker that matched, as given")
    speaker: str
    role: Role
    start: Seconds
    end: Seconds
    text: str = Field(description="the words as recognised")


class Metrics(_Part):
    """Every measured metric of the call (definitions: docs/metrics.md)."""

    talk_ratio: float | None = Field(description="rep talk time / (rep + customer talk time); null when neither spoke")
    talk_time_s: TalkTime
    speech_span_s: float = Field(description="first speech start to last speech end, s")
    non_talk_s: float = Field(description="silence between the first and the last speech, s")
    turns: list[TurnSpan]
    longest_monologue_s: float | None = Field(description="the rep's longest turn, s")
    longest_monologue: TurnRef | None
    longest_customer_story_s: float | None = Field(description="the customer's longest turn, s")
    longest_customer_story: TurnRef | None
    backchannels: list[Backchannel]
    backchannel_count: RoleCounts
    interruptions: list[Interruption]
    interruption_counts: InterruptionCounts
    questions: list[Question]
    four_second_rule: FourSecondRule
    question_rate: QuestionRate
    patience: Patience
    paraphrases: list[Paraphrase]
    customer_stories: CustomerStories
    interactivity: Interactivity
    # What was said. Scorecards stored before these were measured validate with them empty.
    customer_focus: CustomerFocus | None = None
    self_promotion: SelfPromotion | None = None
    question_quality: QuestionQuality | None = None
    objections: list[Objection] = Field(default_factory=list)
    next_step: NextStep | None = None
    follow_ups: list[Said] = Field(default_factory=list, description="rep promises with an action and a concrete time")
    pace: Pace | None = None
    fillers: Fillers | None = None
    dead_air: list[DeadAir] = Field(default_factory=list)
    customer_questions: list[Said] = Field(default_factory=list, description="questions the customer asked")
    trackers: list[TrackerHit] = Field(default_factory=list, description="hits of the trackers scored with")

    @property
    def content_measured(self) -> bool:
        """What was said was measured (scorecards stored before it was are not)."""
        return self.customer_focus is not None


# -- moments -----------------------------------------------------------------------

class TranscriptLine(_Part):
    speaker: str
    role: Role
    start: Seconds
    end: Seconds
    text: str


class _MomentBase(_Part):
    # Each kind narrows "kind" to its literal; declaring it here keeps it the first key.
    kind: str = Field(description="what sort of moment: the discriminator of the moment types")
    start: Seconds
    end: Seconds
    title: str = Field(description="what happened, in a sentence")
    good: bool = Field(description="a good example (true) or something to coach (false)")
    severity: float = Field(description="0-1, how bad; the worst are shown first")
    transcript: list[TranscriptLine] = Field(description="the words around the moment")
    confidence: float = Field(1.0, description="0-1: how sure the moment's event is (attribution of its words to their "
                                               "speaker, talk-over, recogniser word probability)")
    uncertain: bool = Field(False, description="confidence under the scorecard's uncertain_below: listed, "
                                              "left out of the score")


class InterruptionMoment(_MomentBase):
    kind: Literal["interruption"] = "interruption"
    by: Role
    of: Role
    overlap_s: float


class QuestionMoment(_MomentBase):
    """A question the rep left room to answer."""

    kind: Literal["question"] = "question"
    text: str


class FourSecondRuleMoment(_MomentBase):
    """A question the rep followed with own speech within the four-second threshold."""

    kind: Literal["four_second_rule"] = "four_second_rule"
    text: str
    wait_s: float


class TurnMoment(_MomentBase):
    """A rep turn: a monologue over target, or one of the longest rep turns."""

    kind: Literal["monologue", "rep_turn"]
    duration_s: float


class ParaphraseMoment(_MomentBase):
    kind: Literal["paraphrase"] = "paraphrase"
    text: str
    restates: str


class SwitchMoment(_MomentBase):
    """A rep reply after a customer's turn, with the pause before it."""

    kind: Literal["switch"] = "switch"
    gap_s: float


class MissedPlaybackMoment(_MomentBase):
    """A customer story the rep did not play back."""

    kind: Literal["missed_playback"] = "missed_playback"


class SelfPromotionMoment(_MomentBase):
    """A rep sentence praising the seller's side."""

    kind: Literal["self_promotion"] = "self_promotion"
    text: str


class ObjectionMoment(_MomentBase):
    """A customer objection and how the rep responded."""

    kind: Literal["objection"] = "objection"
    text: str
    type: ObjectionType
    response: str | None = Field(description="the first sentence of the rep's reply")
    response_kind: ResponseKind | None
    pause_s: float | None


class NextStepMoment(_MomentBase):
    """The agreed next step (good), or the end of a call that has none (missing_next_step)."""

    kind: Literal["next_step", "missing_next_step"]
    text: str | None = Field(description="the sentence that set the time; null when missing")
    time: str | None = Field(description="the concrete time as said; null when missing")


class FollowUpMoment(_MomentBase):
    """A rep promise with a concrete time, to keep."""

    kind: Literal["follow_up"] = "follow_up"
    text: str


class DeadAirMoment(_MomentBase):
    kind: Literal["dead_air"] = "dead_air"
    duration_s: float


class TrackerMoment(_MomentBase):
    """A phrase of one of the tenant's trackers."""

    kind: Literal["tracker"] = "tracker"
    tracker: str
    phrase: str
    role: Role
    text: str


Moment = Annotated[
    InterruptionMoment | QuestionMoment | FourSecondRuleMoment | TurnMoment | ParaphraseMoment | SwitchMoment
    | MissedPlaybackMoment | SelfPromotionMoment | ObjectionMoment | NextStepMoment | FollowUpMoment | DeadAirMoment
    | TrackerMoment,
    Field(discriminator="kind"),
]


# -- components --------------------------------------------------------------------

class TargetRange(_Part):
    good_min: float | None
    good_max: float | None
    zero_below: float | None
    zero_above: float | None


class Component(_Part):
    """One scored aspect of listening: its value against its target (definitions: ``components.COMPONENTS``)."""

    name: ComponentName
    value: float | None = Field(description="the measured value, in the component's unit; null when not applicable")
    target: str = Field(description='the target as it reads, e.g. "35-50%"')
    target_range: TargetRange
    weight: float
    share: float = Field(description="weight over the total weight of the applicable components")
    applicable: bool
    reason: str | None = Field(description="why the component does not apply to this call")
    met: bool | None = Field(description="the value is inside the target band (verdict met); null when not applicable")
    score: float | None = Field(description="0-100 against the target; null when not applicable")
    moments: list[Moment] = Field(description="the moments behind the value")

    @property
    def verdict(self) -> Verdict:
        return verdict(self.score)

    @property
    def label(self) -> str:
        spec = BY_NAME.get(self.name)
        return spec.label if spec else self.name.replace("_", " ").capitalize()

    @property
    def help(self) -> str:
        spec = BY_NAME.get(self.name)
        return spec.help if spec else ""

    def as_target(self) -> Target:
        """The target this component was scored against."""
        return Target(weight=self.weight, label=self.target, **self.target_range.model_dump())


# -- the scorecard -------------------------------------------------------------------

class RolesOut(_Part):
    """How the rep and the customer were told apart."""

    source: RoleSource
    confidence: float = Field(description="0-1")
    evidence: list[str]


class SpeakerOut(_Part):
    label: str
    role: Role
    talk_time_s: float


class Scorecard(_Part):
    """The listening scorecard of one call (``listenlens.scorecard/1``)."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True, validate_by_alias=True,
                              title="Scorecard")

    schema_: Literal["listenlens.scorecard/1"] = Field(SCHEMA, alias="schema")
    score: int | None = Field(description="0-100 listening score: the weighted mean of the applicable components")
    score_note: str | None = Field(description="why there is no score")
    duration_s: float = Field(description="length of the recording, s")
    source: dict[str, Any] = Field(description="where the timeline came from: file, diarizer, models, timings")
    roles: RolesOut
    speakers: list[SpeakerOut]
    metrics: Metrics
    components: list[Component]
    moments: list[Moment] = Field(description="what a coach should replay, in time order")
    settings: dict[str, Any] = Field(description="every setting the scorecard was computed with (ScorecardConfig)")

    @property
    def band(self) -> ScoreBand:
        return score_band(self.score)

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)

    def value_text(self, c: Component) -> str:
        """The component's value in its unit (rates in the scorecard's own time unit)."""
        spec = BY_NAME.get(c.name)
        if spec is None:
            return "–" if c.value is None else f"{c.value:g}"
        per_s = 600.0
        if c.name == "question_rate":
            per_s = self.metrics.question_rate.per_s
        elif c.name == "self_promotion" and self.metrics.self_promotion is not None:
            per_s = self.metrics.self_promotion.per_s
        return spec.format(c.value, per_s=per_s)


def schema_json() -> str:
    """``Scorecard.model_json_schema()`` as the text of ``docs/scorecard.schema.json``."""
    import json

    return json.dumps(Scorecard.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
