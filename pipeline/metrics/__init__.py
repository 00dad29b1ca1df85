"""Listening metrics: each a pure function of a ``CallTimeline`` and a ``MetricsConfig``.

The definitions (and every threshold's setting name and default) are in
``docs/metrics.md``; ``listenlens.pipeline.scorecard`` combines them into the score.
"""

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.content_config import ContentConfig
from listenlens.pipeline.metrics.delivery import (
    DeadAir,
    Filler,
    Fillers,
    Pace,
    customer_questions,
    dead_air,
    filler_words,
    pace,
)
from listenlens.pipeline.metrics.focus import CustomerFocus, FocusedSentence, customer_focus, sentence_focus
from listenlens.pipeline.metrics.interactivity import switches_per_minute
from listenlens.pipeline.metrics.interruptions import Interruption, find_interruptions
from listenlens.pipeline.metrics.moments import Moment
from listenlens.pipeline.metrics.next_steps import NextStep, concrete_time, find_follow_ups, find_next_step, is_follow_up
from listenlens.pipeline.metrics.objections import Objection, find_objections, objection_type, objection_types, response_kind
from listenlens.pipeline.metrics.paraphrase import Embedder, Paraphrase, default_embedder, find_paraphrases
from listenlens.pipeline.metrics.patience import Switch, customer_to_rep_switches, median_patience
from listenlens.pipeline.metrics.promotion import SelfPromotion, find_self_promotion, is_self_promotion, self_promotion_flags
from listenlens.pipeline.metrics.question_quality import QuestionQuality, RatedQuestion, question_quality, question_type
from listenlens.pipeline.metrics.questions import (
    FourSecondRule,
    Question,
    find_questions,
    four_second_rule,
    question_form,
    question_rate,
)
from listenlens.pipeline.metrics.talk import non_talk_time, side_talk_time, talk_ratio, talk_times
from listenlens.pipeline.metrics.trackers import TrackerError, TrackerHit, find_tracker_hits
from listenlens.pipeline.metrics.turns import Floor, FloorTurn, analyze_floor, longest_turn, speaker_switches

__all__ = [
    "MetricsConfig", "Floor", "FloorTurn", "analyze_floor", "longest_turn", "speaker_switches",
    "talk_times", "side_talk_time", "talk_ratio", "non_talk_time", "Interruption", "find_interruptions",
    "Question", "FourSecondRule", "find_questions", "four_second_rule", "question_form", "question_rate",
    "Switch", "customer_to_rep_switches", "median_patience", "Embedder", "Paraphrase", "default_embedder",
    "find_paraphrases", "switches_per_minute",
    # content of the conversation
    "ContentConfig", "Moment", "CustomerFocus", "FocusedSentence", "customer_focus", "sentence_focus",
    "SelfPromotion", "find_self_promotion", "is_self_promotion", "QuestionQuality", "RatedQuestion",
    "question_quality", "question_type", "Objection", "find_objections", "objection_type", "objection_types",
    "response_kind", "self_promotion_flags",
    "NextStep", "concrete_time", "find_next_step", "find_follow_ups", "is_follow_up", "Pace", "pace",
    "Filler", "Fillers", "filler_words", "DeadAir", "dead_air", "customer_questions", "TrackerError",
    "TrackerHit", "find_tracker_hits",
]
