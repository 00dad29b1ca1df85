"""The scorecard in a terminal: the score big, each metric against its target, the
moments worth replaying.

``render_scorecard(card, console)`` reads only the ``Scorecard`` (fresh from
``score_call`` or a stored one validated back), so both render the same. Labels, value
formats, verdicts and colours come from ``listenlens.pipeline.scorecard.components``.
"""

from __future__ import annotations

from rich import box
from rich.columns import Columns
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from listenlens.pipeline.scorecard import Scorecard, Verdict, score_band
from listenlens.pipeline.scorecard.coaching import Line, coach_call, ranked_moments, said_summary
from listenlens.pipeline.scorecard.names import SpeakerNames, names_from_scorecard

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


def mmss(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(max(0.0, seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def big_number(value: int | None) -> Text:
    digits = "-" if value is None else str(value)
    rows = ["  ".join(_DIGITS[d][r] for d in digits) for r in range(5)]
    return Text("\n".join(rows), style=f"bold {score_band(value).colour}")


def _snippet(transcript: list[Line], width: int = 90) -> Text:
    text = Text()
    for line in transcript[:4]:
        words = line.text
        if len(words) > width:
            words = words[: width - 1] + "…"
        style = "cyan" if line.role == "rep" else "magenta" if line.role == "customer" else "white"
        text.append(f"    {line.who}: ", style=f"bold {style}")
        text.append(words + "\n")
    return text


def render_scorecard(card: Scorecard, console: Console, *, worst: int = 5, good: int = 3,
                     names: SpeakerNames | None = None) -> None:
    """Print a scorecard for a rep to read at a glance.

    ``names``: what to call each speaker (``names.names_from_timeline``); without it, the
    names heard in the scorecard's own excerpts, else "Rep" and "Customer".
    """
    names = names or names_from_scorecard(card)
    score = card.score
    m = card.metrics
    header = Group(
        Text("LISTENING SCORE", style="bold"),
        big_number(score),
        Text("out of 100" if score is not None else (card.score_note or "not scored"), style="grey50"),
    )
    talk, counts, rule = m.talk_time_s, m.interruption_counts, m.four_second_rule
    facts = Text()
    facts.append(f"Rep talked {m.talk_ratio * 100:.0f}% " if m.talk_ratio is not None else "Talk ratio n/a ", style="bold")
    facts.append(f"(rep {talk.rep:.0f} s, customer {talk.customer:.0f} s)\n")
    facts.append(f"Questions asked: {rule.asked}, honoured the 4-second rule: {rule.honoured}\n")
    facts.append(
        f"Interruptions: rep on customer {counts.rep_on_customer}, customer on rep {counts.customer_on_rep}"
        f"{' (estimated: overlaps detected in a mono recording)' if counts.estimated else ''}\n"
        if counts.measured
        else "Interruptions: not measured (mono call: overlapping speech is not separated)\n"
    )
    facts.append(f"Longest monologue: {mmss(m.longest_monologue_s)}   "
                 f"Longest customer story: {mmss(m.longest_customer_story_s)}\n")
    patience = m.patience.median_s
    facts.append(f"Median pause before replying: {'n/a' if patience is None else f'{patience:.2f} s'}   "
                 f"Call length: {mmss(card.duration_s)}")
    console.print(Panel(Columns([header, facts], padding=(0, 4)), box=box.ROUNDED))

    table = Table(box=box.SIMPLE_HEAD, title="Against target", title_justify="left")
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    table.add_column("Target")
    table.add_column("Score", justify="right")
    table.add_column("")
    for c in card.components:
        colour = c.verdict.colour
        if not c.applicable:
            table.add_row(Text(c.label, style=colour), Text("n/a", style=colour), Text(c.target, style=colour),
                          "", Text(c.reason or "not applicable", style=colour))
            continue
        table.add_row(c.label, Text(card.value_text(c), style=colour), c.target,
                      Text(f"{c.score:.0f}", style=colour), Text(c.verdict.label, style=f"bold {colour}"))
    console.print(table)

    said = said_summary(card, names)
    if said:
        console.print(Text("What was said", style="bold"))
        for said_line in said:
            line = Text(f"  {said_line.label}: ", style="bold")
            line.append(said_line.value)
            if said_line.at is not None:
                line.append(f"  ({mmss(said_line.at)})", style="grey50")
            console.print(line)

    coach = coach_call(card, names)
    if coach:
        console.print(Text("Coach this", style="bold"))
        for item in coach:
            line = Text("  ")
            line.append(f"{item.label} {item.value}", style=f"bold {item.verdict.colour}")
            line.append(f"  {item.finding}\n    Try: {item.suggestion}")
            console.print(line)
            if item.moment is not None:
                console.print(Text(f"    Play {mmss(item.moment.start)}: {item.moment.text}", style="grey50"))

    moments = ranked_moments(card, names)
    bad = [mo for mo in moments if not mo.good]
    if bad:
        console.print(Text("Moments to replay, most important first", style="bold"))
        for mo in bad[:worst]:
            line = Text(f"  {mmss(mo.start)}  ", style="bold")
            line.append(f"{mo.label}: ", style=f"bold {Verdict.FAR.colour}")
            line.append(mo.text)
            console.print(line)
            console.print(_snippet(mo.transcript), end="")
        if len(bad) > worst:
            console.print(Text(f"  ... and {len(bad) - worst} more in the JSON scorecard", style="grey50"))
    fine = [mo for mo in moments if mo.good]
    if fine:
        console.print(Text("Good examples", style="bold"))
        for mo in fine[:good]:
            line = Text(f"  {mmss(mo.start)}  ", style="bold")
            line.append(f"{mo.label}: ", style=f"bold {Verdict.MET.colour}")
            line.append(mo.text)
            console.print(line)
            console.print(_snippet(mo.transcript), end="")
    if not moments:
        console.print(Text("No coaching moments found in this call.", style="grey50"))
