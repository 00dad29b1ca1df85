"""Settings of the content metrics: what the rep says, not only when.

A sibling of ``MetricsConfig`` (which keeps the timing thresholds the content metrics
also use: sentence splitting, the four-second rule, lead-ins). Every judgement call
the content metrics make is a named setting here; the word lists that define a
category (what counts as praise, as an objection, as a concrete time) live beside
the rule that reads them, in each metric's module, and are described in
``docs/metrics.md``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_FILLERS = ["um", "uh", "er", "erm", "uhm", "umm", "hmm", "hm", "ah", "eh", "mm"]
# Counted only where they are used as fillers, not for their meaning ("I like it",
# "do you know", "what kind of"): see ``delivery.filler_words``.
DEFAULT_DISCOURSE_FILLERS = ["like", "you know", "i mean", "sort of", "kind of", "basically"]


class ContentConfig(BaseModel):
    """Thresholds and lists of the content metrics (seconds unless the name says otherwise)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seller_names: list[str] = Field(
        default_factory=list,
        description="the seller's company and product names; a rep sentence naming one is about the seller's side",
    )
    semantic: bool = Field(
        True,
        description="where the word rules find no objection or self-promotion, ask a classifier on sentence embeddings "
        "(all-MiniLM-L6-v2) trained on the bundled labelled examples",
    )
    semantic_c: float = Field(4.0, gt=0, description="inverse regularisation strength of that classifier (logistic regression C)")
    objection_min_probability: float = Field(
        0.5, ge=0, le=1, description="the classifier's objection is taken at or above this probability"
    )
    promotion_min_probability: float = Field(
        0.7, ge=0, le=1, description="the classifier's self-promotion is taken at or above this probability"
    )
    promotion_rate_per_s: float = Field(
        600.0, gt=0, description="self-promotion is reported per this many seconds of rep talk time (600: per 10 minutes)"
    )
    objection_response_sentences: int = Field(
        3, ge=1, description="how many opening sentences of the rep's reply to an objection are read to judge it"
    )
    next_step_window_share: float = Field(
        0.2, gt=0, le=1, description="a next step is looked for in this last share of the call ..."
    )
    next_step_window_min_s: float = Field(
        180.0, ge=0, description="... or in its last this many seconds, whichever is longer"
    )
    filler_words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FILLERS),
        description="hesitation sounds; every one in the rep's speech is a filler",
    )
    discourse_fillers: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DISCOURSE_FILLERS),
        description="words that are fillers only where they carry no meaning (set off by commas or opening a clause)",
    )
    filler_rate_per_s: float = Field(60.0, gt=0, description="fillers are reported per this many seconds of rep talk (per minute)")
    dead_air_s: float = Field(
        5.0, gt=0, description="a silence this long or longer where nobody speaks is dead air (unless it follows a rep question)"
    )
