"""What a scorecard is computed with: the metric thresholds and the component targets."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from listenlens.pipeline.metrics import ContentConfig, MetricsConfig, TrackerError
from listenlens.pipeline.metrics.trackers import compile_trackers
from listenlens.pipeline.scorecard.components import Target, default_targets


class ScorecardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    content: ContentConfig = Field(default_factory=ContentConfig)
    trackers: dict[str, list[str]] = Field(
        default_factory=dict,
        description="named phrase lists to find in every call, e.g. {competitors = [\"Gong\", \"Chorus\"]}; "
        "the service adds each tenant's own",
    )
    targets: dict[str, Target] = Field(default_factory=default_targets)
    monologue_target_s: float = Field(150.0, gt=0, description="rep turns longer than this are coaching moments")
    max_component_moments: int = Field(10, ge=0, description="moments listed per component")
    uncertain_below: float = Field(
        0.5, ge=0, le=1,
        description="an event (question, interruption, paraphrase) with a confidence under this is marked uncertain: "
                    "listed and shown, but left out of the score",
    )
    rate_min_span_s: float = Field(
        120.0, ge=0, description="rates per 10 minutes are not scored on calls with less speech span than this"
    )

    @field_validator("targets", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        # Changing one target keeps the others; weight 0 drops a component from the score.
        return {**default_targets(), **value} if isinstance(value, dict) else value

    @field_validator("trackers")
    @classmethod
    def _matchable(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        try:
            compile_trackers(value)
        except TrackerError as e:
            raise ValueError(str(e)) from None
        return value

    @model_validator(mode="after")
    def _known_targets(self) -> ScorecardConfig:
        unknown = set(self.targets) - set(default_targets())
        if unknown:
            raise ValueError(f"unknown score components {sorted(unknown)}; known: {sorted(default_targets())}")
        return self
