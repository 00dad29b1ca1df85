"""The scorecard in a terminal: the score big, each metric against its target, the
moments worth replaying.

``render_scorecard(result, console)`` reads only the dict ``score_call`` returns, so
a stored scorecard renders the same as a fresh one.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.columns import Columns
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

# 3x5 block digits: the score must be readable at a glance, and rich has no big font.
_DIGITS = {
    "0": ["███", "█ █", "█ █", "█ █", "███"],
    "1": [" █ ", "██ ", " █ ", " █ ", "███"],
    "2": ["███", "  █", "███", "█  ", "███"],
    "3": ["███", "  █", "███", "  █", "███"],
    "4": ["█ █", "█ █", "███", "  █", "  █"],
    "5": ["███", "█  ", "███", "  █", "███"],
    "6": ["███", "█  ", "███", "█ █", "███"],
    "7": ["███", "  █", "  █", "  █", "  █"],
    "8": ["███", "█ █", "███", "█ █", "███"],
    "9": ["███", "█ █", "███", "  █", "███"],
    "-": ["   ", "   ", "███", "   ", "   "],
}

_NAMES = {
    "talk_ratio": "Rep talk ratio",
    "longest_monologue": "Longest monologue",
    "patience": "Patience (median pause)",
    "four_second_rule": "Four-second rule",
    "interruptions": "Interruptions of the customer",
    "paraphrase": "Customer stories played back",
    "question_rate": "Question rate",
}

_KIND = {
    "interruption": "Interruption",
    "four_second_rule": "Four-second rule",
    "monologue": "Long monologue",
    "paraphrase": "Played back",
    "question": "Question",
}


def mmss(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(max(0.0, seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def _colour(score: float | None) -> str:
    if score is None:
        return "grey50"
    return "green" if score >= 80 else "yellow" if score >= 50 else "red"


def big_number(value: int | None) -> Text:
    digits = "-" if value is None else str(value)
    rows = ["  ".join(_DIGITS[d][r] for d in digits) for r in range(5)]
    return Text("\n".join(rows), style=f"bold {_colour(value)}")


def format_value(name: str, value: float | None, result: dict[str, Any]) -> str:
    if value is None:
        return "n/a"
    if name in {"talk_ratio", "four_second_rule", "paraphrase"}:
        return f"{value * 100:.0f}%"
    if name == "longest_monologue":
        return f"{value:.0f} s ({mmss(value)})"
    if name == "patience":
        return f"{value:.2f} s"
    if name == "interruptions":
        return f"{value:.1f} per 10 min"
    if name == "question_rate":
        per = result.get("metrics", {}).get("question_rate", {}).get("per_s", 600.0)
        return f"{value:.1f} per {per / 60:.0f} min"
    return f"{value:g}"


def _snippet(moment: dict[str, Any], width: int = 90) -> Text:
    text = Text()
    for line in moment.get("transcript", [])[:4]:
        words = line["text"]
        if len(words) > width:
            words = words[: width - 1] + "…"
        style = "cyan" if line["role"] == "rep" else "magenta" if line["role"] == "customer" else "white"
        text.append(f"    {line['speaker']} ({line['role']}): ", style=f"bold {style}")
        text.append(words + "\n")
    return text


def render_scorecard(result: dict[str, Any], console: Console, *, worst: int = 5, good: int = 3) -> None:
    """Print a scorecard dict (from ``score_call``) for a rep to read at a glance."""
    score = result.get("score")
    metrics = result.get("metrics", {})
    header = Group(
        Text("LISTENING SCORE", style="bold"),
        big_number(score),
        Text("out of 100" if score is not None else (result.get("score_note") or "not scored"), style="grey50"),
    )
    talk = metrics.get("talk_time_s", {})
    counts = metrics.get("interruption_counts", {})
    rule = metrics.get("four_second_rule", {})
    facts = Text()
    ratio = metrics.get("talk_ratio")
    facts.append(f"Rep talked {ratio * 100:.0f}% " if ratio is not None else "Talk ratio n/a ", style="bold")
    facts.append(f"(rep {talk.get('rep') or 0:.0f} s, customer {talk.get('customer') or 0:.0f} s)\n")
    facts.append(f"Questions asked: {rule.get('asked', 0)}, honoured the 4-second rule: {rule.get('honoured', 0)}\n")
    facts.append(
        f"Interruptions: rep on customer {counts.get('rep_on_customer', 0)}, "
        f"customer on rep {counts.get('customer_on_rep', 0)}"
        f"{' (estimated: overlaps detected in a mono recording)' if counts.get('estimated') else ''}\n"
        if counts.get("measured", True)
        else "Interruptions: not measured (mono call: overlapping speech is not separated)\n"
    )
    mono = metrics.get("longest_monologue_s")
    facts.append(f"Longest monologue: {mmss(mono)}   Longest customer story: {mmss(metrics.get('longest_customer_story_s'))}\n")
    patience = (metrics.get("patience") or {}).get("median_s")
    facts.append(f"Median pause before replying: {'n/a' if patience is None else f'{patience:.2f} s'}   "
                 f"Call length: {mmss(result.get('duration_s'))}")
    console.print(Panel(Columns([header, facts], padding=(0, 4)), box=box.ROUNDED))

    table = Table(box=box.SIMPLE_HEAD, title="Against target", title_justify="left")
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    table.add_column("Target")
    table.add_column("Score", justify="right")
    table.add_column("")
    for c in result.get("components", []):
        name = _NAMES.get(c["name"], c["name"])
        if not c.get("applicable"):
            table.add_row(Text(name, style="grey50"), Text("n/a", style="grey50"), Text(c.get("target") or "", style="grey50"),
                          "", Text(c.get("reason") or "not applicable", style="grey50"))
            continue
        colour = _colour(c["score"])
        mark = Text("met", style="bold green") if c.get("met") else Text("not met", style="bold red")
        table.add_row(name, Text(format_value(c["name"], c["value"], result), style=colour),
                      c.get("target") or "", Text(f"{c['score']:.0f}", style=colour), mark)
    console.print(table)

    moments = result.get("moments", [])
    bad = sorted((m for m in moments if not m.get("good")), key=lambda m: (-(m.get("severity") or 0), m["start"]))
    if bad:
        console.print(Text("Moments to replay", style="bold"))
        for m in bad[:worst]:
            line = Text(f"  {mmss(m['start'])}  ", style="bold")
            line.append(f"{_KIND.get(m['kind'], m['kind'])}: ", style="bold red")
            line.append(m.get("title", ""))
            console.print(line)
            console.print(_snippet(m), end="")
        if len(bad) > worst:
            console.print(Text(f"  ... and {len(bad) - worst} more in the JSON scorecard", style="grey50"))
    fine = [m for m in moments if m.get("good")]
    if fine:
        console.print(Text("Good examples", style="bold"))
        for m in fine[:good]:
            line = Text(f"  {mmss(m['start'])}  ", style="bold")
            line.append(f"{_KIND.get(m['kind'], m['kind'])}: ", style="bold green")
            line.append(m.get("title", ""))
            console.print(line)
            console.print(_snippet(m), end="")
    if not moments:
        console.print(Text("No coaching moments found in this call.", style="grey50"))
