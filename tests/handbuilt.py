"""Hand-built timelines for the content-metric tests: each line's words are spaced evenly."""

from __future__ import annotations

from listenlens.pipeline.timeline import build_timeline

ROLES = {"R": "rep", "C": "customer"}


def call(*lines, step: float = 0.5, duration: float | None = None, roles=ROLES):
    """lines: (speaker, start, text); every word lasts ``step`` s, back to back; one
    speech turn covers each line."""
    words, turns = [], []
    for spk, t0, text in lines:
        w = [(t0 + i * step, t0 + (i + 1) * step, tok, spk) for i, tok in enumerate(text.split())]
        words += w
        turns.append((w[0][0], w[-1][1], spk))
    return build_timeline(turns, words, roles=roles, duration=duration)


def rules_only(config=None):
    """``config`` (default settings when None) with the content classifier off: scoring a
    hand-built call then needs no embedder for what was said."""
    from listenlens.pipeline.scorecard import ScorecardConfig

    config = config or ScorecardConfig()
    return config.model_copy(update={"content": config.content.model_copy(update={"semantic": False})})
