"""Every threshold the listening metrics use, as named, documented settings.

The defaults follow ``docs/metrics.md``; change one by passing
``MetricsConfig(pause_s=1.5)`` (or through ``ScorecardConfig.metrics``). Nothing in
the metric modules hard-codes a number that is a judgement call.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_BACKCHANNELS = [
    "mm-hmm", "mhm", "mm", "hmm", "uh-huh", "uh huh", "mm hmm", "yeah", "yep", "yup", "yes",
    "right", "okay", "ok", "sure", "i see", "got it", "gotcha", "true", "exactly", "totally",
    "absolutely", "cool", "great", "wow", "oh", "ah", "uh", "um", "really", "nice",
    "makes sense", "fair enough", "of course", "alright", "all right", "good",
]

# Pauses between one speaker's sentences run 0.3 to 0.7 s, and human speaker turns
# (the reference RTTMs: 4 of 86 same-speaker gaps under 0.7 s) go on through them.
TALK_PAUSE_S = 0.7

DEFAULT_OPENERS = [
    "so what you're saying is", "so what you are saying is", "what you're saying is",
    "what i'm hearing is", "what i am hearing is", "so what i'm hearing", "let me make sure i understand",
    "let me make sure i've got this", "let me make sure i got this", "just to make sure i understand",
    "if i heard you right", "if i heard you correctly", "if i understand you correctly",
    "if i understand correctly", "if i'm understanding you", "it sounds like", "sounds like",
    "in other words", "so you're saying", "you're saying that", "you mean", "so you mean",
    "let me play that back", "to play that back", "let me repeat that back", "to recap",
    "to summarize", "to sum up", "so to summarize", "correct me if i'm wrong",
    "if i'm hearing you right", "what i heard was", "so if i understand", "if i've got this right",
    "if i've got that right", "just so i'm clear", "let me see if i've got this", "if i'm following you",
    "what you're telling me is", "so you're telling me",
]

# Words that may precede a question or a reflective opener without changing it:
# "So, what ...", "Okay, and do you ...".
DEFAULT_LEAD_INS = [
    "so", "and", "but", "well", "okay", "ok", "now", "also", "then", "oh", "um", "uh", "er",
    "right", "alright", "great", "yeah", "yes", "sure", "hmm", "mm", "cool", "perfect", "got it",
    "i see", "and so", "just", "actually", "anyway", "good", "thanks", "thank you",
]


class MetricsConfig(BaseModel):
    """Thresholds of the listening metrics (seconds unless the name says otherwise)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Utterances and turns
    join_gap_s: float = Field(
        0.25, ge=0, description="own silences shorter than this do not split one utterance (diarizer gaps)"
    )
    # Where a second voice starts, a diarizer often loses the voice already speaking
    # for a moment (the new one is louder, or the line is narrow) and finds it again
    # under the newcomer: the built telephone calls' 1.3 s cut-in left a 0.62 s hole.
    onset_gap_s: float = Field(
        1.0, ge=0,
        description="own silence shorter than this that starts where another voice starts, and is spoken over "
        "by that voice throughout, does not split an utterance (0: off)",
    )
    # The diarizer's frames are ~17 ms, and where two voices meet it flickers: pieces of
    # 50-190 ms of a speaker inside the other's speech, with no word in them. No listener
    # sound is that short (the built calls' hums: 0.9-1.13 s; a quick "mm": ~0.25 s).
    flicker_max_s: float = Field(
        0.2, ge=0,
        description="on a call with a transcript, speech of a speaker shorter than this with no recognised word "
        "is not an utterance (a diarizer flickering between voices)",
    )
    pause_s: float = Field(
        2.0, gt=0, description="a speaker keeps the floor through own pauses shorter than this"
    )

    talk_pause_s: float = Field(
        TALK_PAUSE_S, ge=0, description="a speaker's own pauses shorter than this count as talk (talk time and ratio)"
    )

    # Backchannels
    backchannel_max_words: int = Field(3, ge=1, description="a backchannel has at most this many words")
    backchannel_words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BACKCHANNELS),
        description="listener tokens; an utterance made only of these (and within the word limit) is a backchannel",
    )
    backchannel_max_s: float = Field(
        1.0, gt=0, description="within the word limit, speech shorter than this is a backchannel whatever its words"
    )
    # A drawn-out "mm-hmm" lasts up to about 1.2 s; a cut-in of three or more words
    # takes longer (the built calls' hums: 0.9-1.13 s; their shortest cut-in: 1.47 s).
    backchannel_unheard_max_s: float = Field(
        1.3, gt=0,
        description="speech the recogniser wrote no word of, mostly under another voice, shorter than this is a backchannel",
    )

    # Interruptions
    interruption_grace_s: float = Field(
        0.5, ge=0, description="overlap up to this long is not an interruption (a reply starting a beat early)"
    )

    # Questions and the four-second rule
    sentence_pause_s: float = Field(
        1.0, gt=0, description="a silence this long between two words of one speaker ends a sentence"
    )
    four_second_rule_s: float = Field(
        4.0, gt=0, description="after a question, the rep's own next speech should not start sooner than this"
    )
    question_rate_per_s: float = Field(
        600.0, gt=0, description="question rate is reported per this many seconds (600: per 10 minutes)"
    )

    # Paraphrase-backs
    paraphrase_openers: list[str] = Field(
        default_factory=lambda: list(DEFAULT_OPENERS),
        description="reflective phrases; a rep turn opening with one restates the customer",
    )
    lead_ins: list[str] = Field(
        default_factory=lambda: list(DEFAULT_LEAD_INS),
        description="fillers skipped at the start of a clause before looking for a question form or an opener",
    )
    paraphrase_semantic: bool = Field(True, description="also detect restatements by sentence-embedding similarity")
    paraphrase_similarity: float = Field(
        0.45, ge=-1, le=1,
        description="cosine similarity (all-MiniLM-L6-v2) of the part of the rep's opening that could restate to the"
        " customer turn, at or above which it restates",
    )
    paraphrase_window_words: int = Field(
        40, ge=1, description="how many opening words of the rep turn are compared with the customer turn"
    )
    paraphrase_min_words: int = Field(
        5, ge=1,
        description="what could restate in a rep opening, and the customer turn, need this many words to be compared"
        " (\"Tuesday afternoon it is.\" confirms, it does not play back)",
    )
    story_min_s: float = Field(
        15.0, gt=0, description="a customer turn this long is a 'story' the rep should play back"
    )

    # Coaching moments
    context_s: float = Field(3.0, ge=0, description="transcript shown before and after a moment")
    context_max_s: float = Field(30.0, gt=0, description="longest transcript excerpt shown for one moment")
