"""Which model weights listenlens uses and where they load from (no network)."""

from .registry import (
    asr_model_path,
    resemblyzer_weights,
    sentence_model_path,
    silero_vad_path,
)

__all__ = ["asr_model_path", "resemblyzer_weights", "sentence_model_path", "silero_vad_path"]
