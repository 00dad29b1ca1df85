"""Listening metrics: each a pure function of a ``CallTimeline`` and a ``MetricsConfig``.

The definitions (and every threshold's setting name and default) are in
``docs/metrics.md``; ``listenlens.pipeline.scorecard`` combines them into the score.
"""

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.interactivity import switches_per_minute
from listenlens.pipeline.metrics.interruptions import Interruption, find_interruptions
from listenlens.pipeline.metrics.paraphrase import Embedder, Paraphrase, default_embedder, find_paraphrases
from listenlens.pipeline.metrics.patience import Switch, customer_to_rep_switches, median_patience
from listenlens.pipeline.metrics.questions import (
    FourSecondRule,
    Question,
    find_questions,
    four_second_rule,
    question_form,
    question_rate,
)
from listenlens.pipeline.metrics.talk import non_talk_time, side_talk_time, talk_ratio, talk_times
from listenlens.pipeline.metrics.turns import Floor, FloorTurn, analyze_floor, longest_turn, speaker_switches

__all__ = [
    "MetricsConfig", "Floor", "FloorTurn", "analyze_floor", "longest_turn", "speaker_switches",
    "talk_times", "side_talk_time", "talk_ratio", "non_talk_time", "Interruption", "find_interruptions",
    "Question", "FourSecondRule", "find_questions", "four_second_rule", "question_form", "question_rate",
    "Switch", "customer_to_rep_switches", "median_patience", "Embedder", "Paraphrase", "default_embedder",
    "find_paraphrases", "switches_per_minute",
]
