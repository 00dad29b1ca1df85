"""The ``[voiceprints]`` section of the settings tree: which encoder, how voices are matched.

Plain pydantic, no audio or model imports, so the tree builds without loading an encoder.
The defaults come from ``bench/voice_eer.py`` and ``bench/voice_roles.py``
(``docs/diarization.md``, "Voiceprints"); a threshold left unset is the chosen encoder's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Cosine scores of the two encoders live on different scales: each has its own thresholds,
# one for a speaker's voice (seconds to minutes of speech averaged), per band, and one for
# a split's short windows. CAM++'s telephone band brings other voices closer (0.83 for two
# variants of one synthesiser against 0.68 wide), so it asks for more there; the wide
# threshold stays under what a rep with a few short lines scores (0.78 on 9 s of speech).
ENCODER_THRESHOLDS = {"campplus": {"wide": 0.72, "phone": 0.85}, "resemblyzer": {"wide": 0.80, "phone": 0.80}}
ENCODER_SPLIT_THRESHOLDS = {"campplus": 0.55, "resemblyzer": 0.80}


class VoiceprintSettings(BaseModel):
    """Matching a call's speakers to the team's voiceprints, and splitting by a known voice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    encoder: Literal["campplus", "resemblyzer"] = Field(
        "campplus", description="speaker encoder of the voiceprints (a print of another encoder is not compared)"
    )
    match_threshold: float | None = Field(
        None, ge=-1, le=1,
        description="cosine similarity at or above which a speaker is the enrolled voice (unset: the encoder's: "
        + "; ".join(f"{k} " + ", ".join(f"{b} {v:g}" for b, v in t.items()) for k, t in ENCODER_THRESHOLDS.items()) + ")",
    )
    min_speech_s: float = Field(2.0, gt=0, description="a speaker with less speech than this is not compared")
    split: bool = Field(True, description="split a one-speaker mono call by the rep's voiceprint when only part matches")
    split_min_s: float = Field(3.0, gt=0, description="each side of a split needs at least this much speech")
    split_threshold: float | None = Field(
        None, ge=-1, le=1,
        description="in a split, windows scoring at or above this are the rep's voice (unset: the encoder's: "
        + ", ".join(f"{k} {v:g}" for k, v in ENCODER_SPLIT_THRESHOLDS.items()) + ")",
    )
    split_margin: float = Field(
        0.1, ge=0, le=1, description="in a split, windows under the split threshold minus this are another voice"
    )

    def threshold_for(self, band: str) -> float:
        """The match threshold in force on a call of ``band``: the one set, or the encoder's for that band."""
        return self.match_threshold if self.match_threshold is not None else ENCODER_THRESHOLDS[self.encoder][band]

    @property
    def thresholds(self) -> dict[str, float]:
        """The match threshold in force for each band."""
        return {band: self.threshold_for(band) for band in ENCODER_THRESHOLDS[self.encoder]}

    @property
    def window_threshold(self) -> float:
        """The split's window threshold in force: the one set, or the encoder's."""
        return self.split_threshold if self.split_threshold is not None else ENCODER_SPLIT_THRESHOLDS[self.encoder]
