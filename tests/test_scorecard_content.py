"""What was said, wired into the scorecard: exact values on hand-built calls."""

import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from handbuilt import call, rules_only  # noqa: E402
from listenlens.pipeline.metrics import MetricsConfig  # noqa: E402
from listenlens.pipeline.scorecard import Scorecard, ScorecardConfig, Target, score_call  # noqa: E402
from scorecard_cases import CASES, NoEmbedder  # noqa: E402

TRACKERS = {"competitors": ["Acme"], "pricing": ["pricing", "too expensive", "budget"]}


@pytest.fixture(scope="module")
def card():
    timeline, config, embedder = CASES["content"]()
    return score_call(timeline, config, embedder=embedder)


def moments(card, kind):
    return [m for m in card.moments if m.kind == kind]


def test_every_finding_is_a_moment_with_its_time(card):
    (promo,) = moments(card, "self_promotion")
    assert (promo.start, promo.end) == (6.0, 9.2) and "industry-leading" in promo.text and not promo.good
    (obj,) = moments(card, "objection")
    assert (obj.start, obj.type, obj.response_kind, obj.good) == (12.0, "price", "listening", True)
    assert obj.end == 20.2  # through the rep's reply, "What budget did you set aside for this?"
    assert obj.response == "What budget did you set aside for this?"
    assert obj.pause_s == pytest.approx(17.0 - 14.8)  # seven words of 0.4 s from 12.0
    (follow,) = moments(card, "follow_up")
    assert (follow.start, follow.end, follow.good) == (35.0, 37.8, True)
    (air,) = moments(card, "dead_air")
    assert (air.start, air.end, air.duration_s) == (26.0, 35.0, 9.0)
    (step,) = moments(card, "next_step")
    assert (step.start, step.end, step.good, step.time) == (48.0, 52.6, True, "tuesday")
    assert moments(card, "missing_next_step") == []
    hits = [(m.tracker, m.phrase, m.role.value, m.start) for m in moments(card, "tracker")]
    assert hits == [("pricing", "too expensive", "customer", 13.2), ("pricing", "budget", "rep", 17.4),
                    ("competitors", "Acme", "customer", 24.8), ("pricing", "pricing", "rep", 36.6)]
    assert [m.start for m in card.moments] == sorted(m.start for m in card.moments)


def test_metrics_of_what_was_said(card):
    m = card.metrics
    assert (m.customer_focus.customer, m.customer_focus.seller, m.customer_focus.neutral) == (2, 3, 1)
    assert m.customer_focus.share == 0.4
    assert m.self_promotion.count == 1 and m.self_promotion.per_s == 600.0
    assert (m.question_quality.open, m.question_quality.closed) == (2, 1)
    assert m.question_quality.open_share == 0.667
    assert [q.type for q in m.question_quality.questions] == ["open", "open", "closed"]
    assert m.next_step.found and m.next_step.said.start == 48.0 and m.next_step.agreed_by.role.value == "customer"
    assert [f.start for f in m.follow_ups] == [35.0]
    assert [(d.start, d.end) for d in m.dead_air] == [(26.0, 35.0)]
    assert len(m.trackers) == 4
    assert (m.pace.rep_words, m.pace.customer_words, m.pace.rep_wpm) == (43, 27, 150.0)  # 0.4 s a word


def test_content_components_are_shown_with_weight_0(card):
    by_name = {c.name: c for c in card.components}
    focus = by_name["customer_focus"]
    assert (focus.value, focus.weight, focus.share, focus.applicable) == (0.4, 0.0, 0.0, True)
    assert focus.score == pytest.approx(100 * (0.4 - 0.1) / (0.5 - 0.1), abs=0.05)  # 75.0: near
    assert focus.verdict.value == "near" and [x.kind for x in focus.moments] == ["self_promotion"]
    assert by_name["open_questions"].value == 0.667 and by_name["open_questions"].verdict.value == "met"
    assert by_name["question_yield"].applicable
    # 53 s of speech: too short for a rate
    assert not by_name["self_promotion"].applicable and "too short" in by_name["self_promotion"].reason
    assert card.value_text(focus) == "40%"


def test_weighting_a_content_component_moves_the_score():
    timeline, config, embedder = CASES["content"]()
    before = score_call(timeline, config, embedder=embedder)
    weighted = config.model_copy(update={"targets": {**config.targets, "customer_focus": Target(
        weight=3, good_min=0.5, zero_below=0.1, label="half about the customer")}})
    after = score_call(timeline, weighted, embedder=embedder)
    scored = [c for c in before.components if c.applicable and c.weight > 0]
    total = sum(c.weight for c in scored) + 3
    assert after.score == round((sum(c.score * c.weight for c in scored) + 3 * 75.0) / total)
    assert after.component("customer_focus").share == pytest.approx(3 / total, abs=1e-3)


def test_a_call_without_an_agreed_time_ends_with_a_missing_next_step():
    tl = call(("R", 0, "How is your week going?"), ("C", 3, "Busy but fine."),
              ("R", 10, "Let's talk again next week."), ("C", 14, "Maybe, I'll have to check."))
    card = score_call(tl, rules_only(), embedder=NoEmbedder())
    (m,) = [m for m in card.moments if m.kind in {"next_step", "missing_next_step"}]
    assert (m.kind, m.start, m.end, m.good) == ("missing_next_step", 0.0, 16.5, False)
    assert card.metrics.next_step.found is False and card.metrics.next_step.said is None


def test_no_words_no_next_step_moment():
    from listenlens.pipeline.timeline import build_timeline

    card = score_call(build_timeline([(0, 15, "R"), (15.5, 20, "C")], roles={"R": "rep", "C": "customer"}),
                      rules_only(), embedder=NoEmbedder())
    assert [m.kind for m in card.moments] == []
    assert card.metrics.objections == [] and card.metrics.customer_focus.share is None


def test_trackers_and_content_thresholds_come_from_the_settings_tree(tmp_path):
    from listenlens.config import load_settings

    path = tmp_path / "s.toml"
    path.write_text('[scorecard.content]\ndead_air_s = 10.0\nsemantic = false\n\n'
                    '[scorecard.trackers]\ncompetitors = ["Acme"]\n', encoding="utf-8")
    s = load_settings(path)
    assert s.scorecard.content.dead_air_s == 10.0 and s.scorecard.trackers == {"competitors": ["Acme"]}
    timeline, _, embedder = CASES["content"]()
    card = score_call(timeline, s.scorecard.model_copy(update={"metrics": MetricsConfig(paraphrase_semantic=False)}),
                      embedder=embedder)
    assert [m.kind for m in card.moments].count("dead_air") == 0  # 9 s is under 10 s now
    assert [(h.tracker, h.start) for h in card.metrics.trackers] == [("competitors", 24.8)]
    assert card.settings["content"]["dead_air_s"] == 10.0 and card.settings["trackers"] == {"competitors": ["Acme"]}


def test_a_tracker_without_words_is_refused_saying_what_to_fix():
    with pytest.raises(ValidationError, match="phrase '!!' has no words to match"):
        ScorecardConfig(trackers={"pricing": ["price", "!!"]})


def test_a_scorecard_stored_before_the_content_metrics_validates():
    import json

    golden = json.loads((Path(__file__).parent / "data" / "scorecard_golden.json").read_text(encoding="utf-8"))
    old = dict(golden["discovery"], settings={})
    for key in ("customer_focus", "self_promotion", "question_quality", "objections", "next_step", "follow_ups",
                "pace", "fillers", "dead_air", "customer_questions", "trackers"):
        old["metrics"].pop(key)
    old["components"] = old["components"][:7]
    old["moments"] = [m for m in old["moments"] if m["kind"] not in {"missing_next_step", "dead_air"}]
    card = Scorecard.model_validate(old)
    assert card.metrics.customer_focus is None and card.metrics.trackers == [] and card.score == 75


def test_the_terminal_report_says_what_was_said(card):
    from rich.console import Console

    from listenlens.pipeline.report import render_scorecard

    console = Console(width=120, record=True, color_system=None)
    render_scorecard(card, console)
    out = console.export_text()
    assert "What was said" in out
    assert "Objections: 1: price (listening)  (00:12)" in out
    assert "Next step: agreed: tuesday" in out and "(00:48)" in out
    assert "Dead air: 1 stretch, 9.0 s in all  (00:26)" in out
    assert "Trackers: pricing 3, competitors 1" in out
    assert "Customer focus" in out and "Self-promotion" in out  # the content components' rows


def test_trend_rows_carry_what_was_said(card):
    import math

    from listenlens.service.domain.trends import metric_row

    row = metric_row(card)
    assert row["customer_focus_share"] == 0.4 and row["open_question_share"] == 0.667
    assert row["objections"] == 1 and row["objections_listening_share"] == 1.0 and row["next_step_agreed"] == 1.0
    assert row["follow_ups"] == 1 and row["dead_air_s"] == 9.0 and row["tracker_hits"] == 4
    assert row["rep_wpm"] == 150.0 and row["customer_questions"] == 0
    assert math.isnan(row["self_promotion_per_10min"]) is False  # measured, even where not scored
    assert math.isnan(metric_row(card, scored_only=True)["self_promotion_per_10min"])  # too short to score
