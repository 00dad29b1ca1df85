"""A picture of one analysed call: who spoke when, and the moments the score rests on.

One lane per speaker (rep lanes first), overlaps shaded, each question marked with its
wait (green when the four-second rule held, orange when the rep answered it),
interruptions in red, paraphrase-backs as green diamonds. ``listenlens analyze --plot``
writes it next to the JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REP, CUSTOMER, OTHER = "#4f46e5", "#0d9488", "#94a3b8"


def plot_call(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timeline = result["timeline"]
    metrics = result["metrics"]
    role = {s["label"]: s["role"] for s in timeline["speakers"]}
    lanes = sorted(role, key=lambda lbl: (role[lbl] != "rep", role[lbl] != "customer", lbl))
    y = {lbl: len(lanes) - i for i, lbl in enumerate(lanes)}
    duration = max(float(timeline["duration"]), 1.0)

    fig, ax = plt.subplots(figsize=(14, 1.4 + 0.7 * len(lanes)), dpi=110)
    for turn in timeline["speech"]:
        colour = {"rep": REP, "customer": CUSTOMER}.get(role.get(turn["speaker"]), OTHER)
        ax.barh(y[turn["speaker"]], turn["end"] - turn["start"], left=turn["start"], height=0.55, color=colour)
    for i in metrics.get("interruptions", []):
        ax.axvspan(i["start"], i["start"] + i["overlap_s"], color="#ef4444", alpha=0.25, lw=0)
        ax.plot(i["start"], len(lanes) + 0.75, marker="v", color="#dc2626", ms=9)
    for q in metrics.get("questions", []):
        good = q.get("honoured")
        colour = "#16a34a" if good else "#ea580c"
        wait = q.get("wait_s") or 0.0
        ax.plot([q["end"], q["end"] + wait], [len(lanes) + 0.45] * 2, color=colour, lw=3, solid_capstyle="butt")
        ax.text(q["end"], len(lanes) + 0.55, f"? {wait:.1f}s", color=colour, fontsize=8, va="bottom")
    for p in metrics.get("paraphrases", []):
        ax.plot(p["start"], y.get(p["speaker"], 1), marker="D", color="#15803d", ms=8, mec="white")

    ax.set_yticks([y[lbl] for lbl in lanes], [f"{lbl} ({role[lbl]})" for lbl in lanes])
    ax.set_ylim(0.4, len(lanes) + 1.2)
    ax.set_xlim(0, duration)
    ax.set_xlabel("time (s)")
    score = result.get("score")
    ratio = metrics.get("talk_ratio")
    title = f"{result.get('call', {}).get('name') or 'call'}: listening score {score if score is not None else 'n/a'}"
    if ratio is not None:
        title += f", rep talk ratio {ratio:.0%}"
    ax.set_title(title, loc="left", fontsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path
