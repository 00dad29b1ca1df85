"""The terminal scorecard shows the key numbers a rep needs."""

import pytest
from rich.console import Console

from handbuilt import rules_only  # noqa: E402
from listenlens.pipeline.report import big_number, mmss, render_scorecard
from listenlens.pipeline.scorecard import score_call
from listenlens.pipeline.timeline import build_timeline

ROLES = {"R": "rep", "C": "customer"}


def words(spk, t0, text, step=0.5):
    return [(t0 + i * step, t0 + (i + 1) * step, w, spk) for i, w in enumerate(text.split())]


class NoEmbedder:
    def encode(self, sentences, **kwargs):
        raise AssertionError("the embedder must not be called")


def render(card, width=120):
    console = Console(record=True, width=width, color_system=None)
    render_scorecard(card, console)
    return console.export_text()


@pytest.fixture(scope="module")
def card():
    turns = [(0, 5, "R"), (6, 66, "C"), (66.8, 181.8, "R"), (187.8, 202.8, "C"), (195, 200, "R")]
    ws = (words("R", 0, "What are your goals this year?") + words("C", 6, "our reporting takes two full days")
          + words("C", 64, "that is the problem") + words("R", 66.8, "It sounds like reporting is slow for you")
          + words("R", 100, "Does that make sense?") + words("R", 103, "Anyway the dashboard")
          + words("R", 195, "wait let me stop you there"))
    return score_call(build_timeline(turns, ws, roles=ROLES, duration=210), rules_only(), embedder=NoEmbedder())


def test_renders_score_metrics_and_worst_moments(card):
    out = render(card)
    assert big_number(card.score).plain.splitlines()[0] in out  # the score, in block digits
    assert "out of 100" in out
    assert "Rep talked 62%" in out  # 0.625, rounded half to even
    row = next(line for line in out.splitlines() if line.strip().startswith("Talk ratio"))
    assert "62%" in row and "35-50%" in row and row.rstrip().endswith("near")  # scores 50: near the band
    assert next(line for line in out.splitlines() if "Longest monologue" in line and "1:55" in line)
    assert "01:55" in out  # longest monologue, 115 s
    assert "0.80 s" in out  # patience
    assert "Moments to replay" in out
    assert "03:15" in out and "Rep talked over Customer for 5.0 s" in out  # the interruption at 195 s
    assert not any(f"{label} (" in out or f"{label}:" in out for label in ("R", "C")), "names, not labels"
    assert "01:40" in out and "Does that make sense?" in out  # the four-second-rule violation
    assert "Good examples" in out and "01:06" in out  # the paraphrase at 66.8 s
    # worst first: the interruption (5 s overlap) outranks the 1 s self-answer
    replay = out[out.index("Moments to replay"):]
    assert replay.index("03:15") < replay.index("01:40")
    # Coach this: the furthest from target first, with a suggestion and the moment to play.
    coach = out[out.index("Coach this"):out.index("Moments to replay")]
    assert "Try:" in coach and "Play " in coach


def test_not_applicable_is_shown_as_such():
    card = score_call(build_timeline([(0, 15, "R"), (15.5, 20, "C")], roles=ROLES), rules_only(), embedder=NoEmbedder())
    out = render(card, width=160)
    assert "n/a" in out and "the rep asked no questions" in out


def test_empty_call_renders():
    out = render(score_call(build_timeline([]), rules_only(), embedder=NoEmbedder()))
    assert "no component could be measured" in out
    assert "No coaching moments" in out


def with_counts(card, **change):
    counts = card.metrics.interruption_counts.model_copy(update=change)
    return card.model_copy(update={"metrics": card.metrics.model_copy(update={"interruption_counts": counts})})


def test_each_component_shows_its_verdict(card):
    out = render(card)
    verdicts = {c.label: c.verdict.label for c in card.components}
    assert verdicts["Talk ratio"] == "near" and verdicts["Patience"] == "met"
    for label, said in verdicts.items():
        row = next(line for line in out.splitlines() if line.strip().startswith(label))
        assert row.rstrip().endswith(said), row


def test_verdict_colours_reach_the_terminal(card):
    console = Console(record=True, width=120, color_system="truecolor")
    render_scorecard(card, console)
    html = console.export_html(inline_styles=True)
    assert "#d97706" in html and "#16a34a" in html  # near (talk ratio) and met (patience)


def test_mmss():
    assert [mmss(x) for x in (0, 59.9, 60, 195, 3725, None)] == ["00:00", "00:59", "01:00", "03:15", "1:02:05", "--:--"]


def test_mono_call_says_interruptions_were_not_measured(card):
    mono = with_counts(card, measured=False)
    text = render(mono)
    assert "Interruptions: not measured" in text
    assert "Interruptions: rep on customer" in render(card)
    estimated = with_counts(card, estimated=True)
    assert "estimated: overlaps detected in a mono recording" in render(estimated)
    assert "estimated" not in render(card).split("Interruptions:")[1].splitlines()[0]
