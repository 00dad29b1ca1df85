"""A picture of one analysed call: who spoke when, and the moments the score rests on.

One lane per speaker (rep lanes first), overlaps shaded, each question marked with its
wait (the "met" colour when the four-second rule held, "near" when the rep answered
it), interruptions in the "far" colour, paraphrase-backs as diamonds, and under the
title each score component with its value, coloured by its verdict.
``listenlens analyze --plot`` writes it next to the JSON.
"""

from __future__ import annotations

from pathlib import Path

from listenlens.pipeline.scorecard import Scorecard, Verdict
from listenlens.pipeline.scorecard.names import ROLE_WORDS, SpeakerNames, names_from_timeline
from listenlens.pipeline.timeline import CallTimeline, Role

REP, CUSTOMER, OTHER = "#4f46e5", "#0d9488", "#94a3b8"


def plot_call(card: Scorecard, timeline: CallTimeline, path: Path, *, names: SpeakerNames | None = None) -> Path:
    """``names``: what each lane is called (``names.names_from_timeline``; by default the
    names heard in the call, else the roles in words)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = card.metrics
    names = names or names_from_timeline(timeline)
    role = {s.label: s.role for s in timeline.speakers}
    lanes = sorted(role, key=lambda lbl: (role[lbl] != Role.REP, role[lbl] != Role.CUSTOMER, lbl))
    y = {lbl: len(lanes) - i for i, lbl in enumerate(lanes)}
    duration = max(float(timeline.duration), 1.0)

    fig, ax = plt.subplots(figsize=(14, 1.7 + 0.7 * len(lanes)), dpi=110)
    for turn in timeline.speech:
        colour = {Role.REP: REP, Role.CUSTOMER: CUSTOMER}.get(role.get(turn.speaker, Role.UNKNOWN), OTHER)
        ax.barh(y[turn.speaker], turn.end - turn.start, left=turn.start, height=0.55, color=colour)
    for i in metrics.interruptions:
        ax.axvspan(i.start, i.start + i.overlap_s, color=Verdict.FAR.colour, alpha=0.25, lw=0)
        ax.plot(i.start, len(lanes) + 0.75, marker="v", color=Verdict.FAR.colour, ms=9)
    for q in metrics.questions:
        colour = Verdict.MET.colour if q.honoured else Verdict.NEAR.colour
        ax.plot([q.end, q.end + q.wait_s], [len(lanes) + 0.45] * 2, color=colour, lw=3, solid_capstyle="butt")
        ax.text(q.end, len(lanes) + 0.55, f"? {q.wait_s:.1f}s", color=colour, fontsize=8, va="bottom")
    for p in metrics.paraphrases:
        ax.plot(p.start, y.get(p.speaker, 1), marker="D", color=Verdict.MET.colour, ms=8, mec="white")

    ax.set_yticks([y[lbl] for lbl in lanes], [_lane_name(names[lbl], role[lbl]) for lbl in lanes])
    ax.set_ylim(0.4, len(lanes) + 1.2)
    ax.set_xlim(0, duration)
    ax.set_xlabel("time (s)")
    score = card.score
    title = f"{timeline.source.get('name') or 'call'}: listening score {score if score is not None else 'n/a'}"
    ax.set_title(title, loc="left", fontsize=11, pad=22, color=card.band.colour)
    _verdict_strip(ax, card)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path


def _lane_name(name: str, role: Role) -> str:
    word = ROLE_WORDS.get(role.value, "")
    return name if name.startswith(word) else f"{name} ({word.lower()})"


def _verdict_strip(ax, card: Scorecard) -> None:
    """Each component's label and value in its verdict colour, in one line above the plot."""
    x = 0.0
    for c in card.components:
        text = f"{c.label} {card.value_text(c) if c.applicable else 'n/a'}"
        ax.text(x, 1.02, text, transform=ax.transAxes, fontsize=8, color=c.verdict.colour, fontweight="bold",
                va="bottom", ha="left")
        x += 1.0 / max(1, len(card.components))
