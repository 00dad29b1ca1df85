"""Voiceprints: a rep's voice as an embedding, matched against a call's speakers.

    embed.py     a voice from speech (the speaker encoder's windows, averaged)
    match.py     which speaker of a call is which enrolled voice
    split.py     a one-speaker mono call split by the rep's known voice
    settings.py  the ``[voiceprints]`` settings

The pipeline is told the known voices through ``CallVoices``; roles then come from the
match (``roles.py``, source ``voiceprint``). Storing and learning voiceprints is the
service's (``service/domain/voiceprints.py``).
"""

from listenlens.pipeline.voiceprints.embed import MODEL, Voice, embed_speech, enrollment_voice
from listenlens.pipeline.voiceprints.match import CallVoices, KnownVoice, VoiceCheck, VoiceMatch, match_speakers, speaker_voices
from listenlens.pipeline.voiceprints.settings import VoiceprintSettings

__all__ = [
    "MODEL", "CallVoices", "KnownVoice", "Voice", "VoiceCheck", "VoiceMatch", "VoiceprintSettings",
    "embed_speech", "enrollment_voice", "match_speakers", "speaker_voices",
]
