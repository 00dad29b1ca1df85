"""Voiceprints: a rep's voice as an embedding, matched against a call's speakers.

    encoders.py  the speaker encoders (CAM++ by default, resemblyzer), one interface
    embed.py     a voice from speech (the encoder's windows, averaged), per band
    match.py     which speaker of a call is which enrolled voice
    split.py     a one-speaker mono call split by the rep's known voice
    settings.py  the ``[voiceprints]`` settings

A voice is kept per band (``pipeline/band.py``: wide or telephone, which the
recogniser also reads).

The pipeline is told the known voices through ``CallVoices``; roles then come from the
match (``roles.py``, source ``voiceprint``). Storing and learning voiceprints is the
service's (``service/domain/voiceprints.py``).
"""

from listenlens.pipeline.band import BANDS, PHONE, WIDE, call_band, telephone_channel
from listenlens.pipeline.voiceprints.embed import MODEL, Voice, embed_speech, enrollment_voice
from listenlens.pipeline.voiceprints.encoders import ENCODERS, MODELS, get_encoder
from listenlens.pipeline.voiceprints.match import CallVoices, KnownVoice, VoiceCheck, VoiceMatch, match_speakers, speaker_voices
from listenlens.pipeline.voiceprints.settings import VoiceprintSettings

__all__ = [
    "BANDS", "ENCODERS", "MODEL", "MODELS", "PHONE", "WIDE", "CallVoices", "KnownVoice", "Voice", "VoiceCheck",
    "VoiceMatch", "VoiceprintSettings", "call_band", "embed_speech", "enrollment_voice", "get_encoder",
    "match_speakers", "speaker_voices", "telephone_channel",
]
