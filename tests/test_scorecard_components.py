"""The score components are defined once, and one verdict rule judges every value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listenlens.pipeline.scorecard import COMPONENTS, ScoreBand, Scorecard, Target, Verdict, judge, score_band, verdict
from listenlens.pipeline.scorecard.components import NEAR_FROM, VERDICT_COLOURS, format_value
from listenlens.pipeline.scorecard.config import ScorecardConfig

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "docs" / "scorecard.schema.json"


@pytest.mark.parametrize("score,expected", [
    (100.0, Verdict.MET), (99.9, Verdict.NEAR), (50.0, Verdict.NEAR), (49.9, Verdict.FAR), (0.0, Verdict.FAR),
    (None, Verdict.NOT_SCORED), (float("nan"), Verdict.NOT_SCORED),
])
def test_verdict_bands(score, expected):
    assert NEAR_FROM == 50.0
    assert verdict(score) is expected


def test_judge_reads_a_value_through_the_trapezoid():
    talk = Target(weight=3, good_min=0.35, good_max=0.50, zero_below=0.10, zero_above=0.75)
    # 0.35-0.50 met; near down to 0.225 and up to 0.625 (score 50); far beyond.
    cases = {0.35: "met", 0.50: "met", 0.43: "met", 0.30: "near", 0.225: "near", 0.62: "near", 0.625: "near",
             0.63: "far", 0.20: "far", 0.0: "far", 1.0: "far", None: "not_scored"}
    assert {v: judge(v, talk).value for v in cases} == cases


@pytest.mark.parametrize("score,band", [(100, "good"), (75, "good"), (74.9, "fair"), (50, "fair"), (49, "poor"),
                                        (0, "poor"), (None, "na")])
def test_overall_score_band(score, band):
    assert score_band(score) is ScoreBand(band)


def test_each_verdict_and_band_has_one_colour():
    assert {v.colour for v in Verdict} == set(VERDICT_COLOURS.values()) and len(VERDICT_COLOURS) == 4
    assert ScoreBand.GOOD.colour == Verdict.MET.colour and ScoreBand.POOR.colour == Verdict.FAR.colour


def test_components_are_the_scorecards_default_targets():
    assert [c.name for c in COMPONENTS] == list(ScorecardConfig().targets)
    assert all(ScorecardConfig().targets[c.name] is c.target for c in COMPONENTS)
    assert len({c.trend_column for c in COMPONENTS}) == len(COMPONENTS)


@pytest.mark.parametrize("value,unit,text", [
    (0.625, "share", "62%"), (115.0, "seconds", "1:55"), (0.8, "seconds", "0.8 s"), (2.96, "per10", "3.0 per 10 min"),
    (74.7, "score", "75"), (None, "share", "–"),
])
def test_values_read_in_their_unit(value, unit, text):
    assert format_value(value, unit) == text


def test_patience_keeps_two_decimals():
    patience = next(c for c in COMPONENTS if c.name == "patience")
    assert patience.format(0.75) == "0.75 s"


def test_component_verdict_agrees_with_met():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from listenlens.pipeline.scorecard import score_call
    from scorecard_cases import CASES

    for make in CASES.values():
        timeline, config, embedder = make()
        for c in score_call(timeline, config, embedder=embedder).components:
            assert c.met is (None if c.verdict is Verdict.NOT_SCORED else c.verdict is Verdict.MET)


def test_schema_command_prints_the_model_schema():
    from listenlens.cli import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema == Scorecard.model_json_schema()
    assert "schema" in schema["properties"] and "talk_ratio" in schema["$defs"]["Metrics"]["properties"]


def test_committed_schema_is_the_generated_one():
    from listenlens.pipeline.scorecard.models import schema_json

    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_json(), (
        "docs/scorecard.schema.json is stale: run `listenlens schema > docs/scorecard.schema.json`")


def test_a_scorecard_validates_against_the_published_schema():
    import sys

    jsonschema = pytest.importorskip("jsonschema")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from listenlens.pipeline.scorecard import score_call
    from scorecard_cases import CASES

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for make in CASES.values():
        timeline, config, embedder = make()
        jsonschema.validate(json.loads(score_call(timeline, config, embedder=embedder).model_dump_json()), schema)


def test_every_moment_kind_has_one_label():
    import typing

    from listenlens.pipeline.scorecard.components import MOMENT_LABELS, moment_label
    from listenlens.pipeline.scorecard.models import Moment

    union = typing.get_args(Moment)[0]
    kinds = {k for model in typing.get_args(union) for k in typing.get_args(model.model_fields["kind"].annotation)}
    assert kinds == set(MOMENT_LABELS)
    assert moment_label("monologue") == "Long monologue" and moment_label("new_kind") == "New kind"
