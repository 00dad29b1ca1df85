"""Text helpers shared by the metrics: tokens, phrase lists, sentences.

Speech recognisers return words with their punctuation attached (" Right?") and
sometimes none at all, so matching is done on lower-cased tokens with punctuation
stripped, and sentences are split on punctuation *or* on pauses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from listenlens.pipeline.timeline import Word

_TOKEN = re.compile(r"[a-z0-9]+(?:['’\-][a-z0-9]+)*")
_SENTENCE_END = re.compile(r"[.?!…]+[\"')\]]*$")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; apostrophes and inner hyphens kept ("don't", "mm-hmm")."""
    return [t.replace("’", "'") for t in _TOKEN.findall(text.lower())]


def phrase_tokens(phrases: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Phrases as token tuples, longest first so "i see" wins over "i"."""
    return _phrase_tokens(tuple(phrases))


@lru_cache(maxsize=64)
def _phrase_tokens(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    out = {tuple(tokens(p)) for p in phrases}
    out.discard(())
    return tuple(sorted(out, key=len, reverse=True))


def covered_by(toks: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    """True when ``toks`` is a sequence of phrases from the list, nothing else."""
    if not toks:
        return False
    reachable = [False] * (len(toks) + 1)
    reachable[0] = True
    for i in range(len(toks)):
        if not reachable[i]:
            continue
        for p in phrases:
            if tuple(toks[i : i + len(p)]) == p:
                reachable[i + len(p)] = True
    return reachable[-1]


def strip_lead_ins(toks: Sequence[str], lead_ins: Sequence[tuple[str, ...]]) -> list[list[str]]:
    """Every suffix of ``toks`` reachable by dropping lead-in phrases from the front.

    ``["so", "what", "do", "you"]`` gives the original and ``["what", "do", "you"]``;
    callers test each, so a lead-in that is also part of a phrase ("so what you're
    saying") still matches.
    """
    out = [list(toks)]
    i = 0
    while i < len(toks):
        for p in lead_ins:
            if tuple(toks[i : i + len(p)]) == p:
                i += len(p)
                out.append(list(toks[i:]))
                break
        else:
            break
    return out


def starts_with(toks: Sequence[str], phrase: tuple[str, ...]) -> bool:
    return tuple(toks[: len(phrase)]) == phrase


def join_words(words: Iterable[Word]) -> str:
    return " ".join(w.text.strip() for w in words if w.text.strip())


@dataclass(frozen=True)
class Sentence:
    speaker: str
    words: tuple[Word, ...]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def text(self) -> str:
        return join_words(self.words)


def split_sentences(
    words: Sequence[Word], pause_s: float, *, talked_over: Callable[[float, float], bool] | None = None
) -> list[Sentence]:
    """Split one speaker's words (time order) at final punctuation or a pause >= ``pause_s``.

    ``talked_over(a, b)``: whether someone talked over the speaker between ``a`` and
    ``b``. Such a pause, after a word with no final punctuation and before one the
    recogniser did not capitalise, is an interruption of one sentence, not its end: the
    fragment after it joins the sentence it finishes.
    """
    sentences: list[Sentence] = []
    current: list[Word] = []
    for w in words:
        if current and w.start - current[-1].end >= pause_s and not (
            talked_over is not None and _continues(current[-1], w) and talked_over(current[-1].end, w.start)
        ):
            sentences.append(Sentence(current[0].speaker, tuple(current)))
            current = []
        current.append(w)
        if _SENTENCE_END.search(w.text.strip()):
            sentences.append(Sentence(w.speaker, tuple(current)))
            current = []
    if current:
        sentences.append(Sentence(current[0].speaker, tuple(current)))
    return sentences


def _continues(before: Word, after: Word) -> bool:
    """The recogniser wrote ``after`` as the same sentence going on after ``before``."""
    text = after.text.strip()
    return not _SENTENCE_END.search(before.text.strip()) and bool(text) and text[0].islower()


# A hum is spelled many ways ("Mmm", "MMMM", "Hmmm", "Mm-hmm", "mhm", "uh-huh", "Mmm hmm",
# "M -M -H -M"): any token made only of the letters of humming, with an m or an h.
_HUM = re.compile(r"[mhnu]*[mh][mhnu]*(?:-[mhnu]+)*")


def is_hum(token: str) -> bool:
    return bool(_HUM.fullmatch(token))


def collapse_repeats(token: str) -> str:
    """"okaaay" -> "okay", "yeahhh" -> "yeah" (and "good" -> "god": compare both sides collapsed)."""
    return re.sub(r"(.)\1+", r"\1", token)


def listener_tokens(text: str) -> list[str]:
    """Tokens for telling a listener response: a run of hum tokens is one "mm-hmm", every
    other token has its repeated letters collapsed."""
    out: list[str] = []
    for t in tokens(text):
        if is_hum(t) or (out[-1:] == ["mm-hmm"] and set(t) <= set("nu-")):  # "M -H -N -M"
            if out[-1:] != ["mm-hmm"]:
                out.append("mm-hmm")
        else:
            out.append(collapse_repeats(t))
    return out


def listener_phrases(phrases: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """A phrase list spelled as ``listener_tokens`` spells an utterance, longest first."""
    return _listener_phrases(tuple(phrases))


@lru_cache(maxsize=16)
def _listener_phrases(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    out = {tuple(listener_tokens(p)) for p in phrases} | {("mm-hmm",)}
    out.discard(())
    return tuple(sorted(out, key=len, reverse=True))


def clauses(text: str) -> list[list[str]]:
    """Token lists of the comma/semicolon/dash separated clauses of a sentence."""
    parts = re.split(r"[,;:]|\s[-–—]\s", text)
    return [t for t in (tokens(p) for p in parts) if t]
