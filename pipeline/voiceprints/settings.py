"""The ``[voiceprints]`` section of the settings tree: how known voices are matched.

Plain pydantic, no audio or model imports, so the tree builds without loading an encoder.
The defaults come from ``bench/voice_eer.py`` (``docs/diarization.md``, "Voiceprints").
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VoiceprintSettings(BaseModel):
    """Matching a call's speakers to the team's voiceprints, and splitting by a known voice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match_threshold: float = Field(
        0.8, ge=-1, le=1, description="cosine similarity at or above which a speaker is the enrolled voice"
    )
    min_speech_s: float = Field(2.0, gt=0, description="a speaker with less speech than this is not compared")
    split: bool = Field(True, description="split a one-speaker mono call by the rep's voiceprint when only part matches")
    split_min_s: float = Field(3.0, gt=0, description="each side of a split needs at least this much speech")
    split_margin: float = Field(
        0.1, ge=0, le=1, description="windows under match_threshold minus this are another voice in a split"
    )
