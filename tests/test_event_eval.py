"""``listenlens eval`` on a folder of calls with event truth, and the bench wrapper around it.

One small built call (tests/tinycall.py). The ``script`` variant scores the scorecard on
the truth's own timeline, so it needs no recogniser; the recorded qualities are scored
with the product's analysis replaced by the truth's (right) or by a timeline that hears
both sides as the rep (wrong), so each target's verdict can be checked without running
the recogniser.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import event_eval  # noqa: E402

from listenlens.cli import app  # noqa: E402
from listenlens.evaluation.events import run  # noqa: E402
from listenlens.evaluation.events.truth import load_calls, script_timeline  # noqa: E402
from tinycall import build_tiny  # noqa: E402

runner = CliRunner()
MONO_TARGETS = ("phantom rep questions per 10 calls", "rep-question verdicts right", "paraphrase precision",
                "paraphrase recall", "interruptions found (who cut off whom)", "talk ratio error, worst call")


@pytest.fixture(scope="module")
def calls_folder(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("events")
    build_tiny(tmp)
    return tmp / "out"


def _one_speaker(truth: dict) -> dict:
    """The truth as a pipeline that heard the customer as the rep would give it."""
    wrong = copy.deepcopy(truth)
    wrong["speakers"] = {"rep": {"side": "rep"}}
    for item in (*wrong["lines"], *wrong["words"]):
        item["speaker"] = "rep"
    return wrong


def _fake_analysis(monkeypatch, wrong: bool) -> None:
    from listenlens.pipeline.analyze import analyze_timeline

    def analyze(call, variant, settings=None, progress=None):
        assert variant == "script" or variant in call.audio  # a recording of that quality was found
        return analyze_timeline(script_timeline(_one_speaker(call.truth) if wrong else call.truth))

    monkeypatch.setattr(run, "analyze", analyze)


def _verdicts(output: str) -> dict[str, str]:
    """target -> verdict, from the summary table's rows."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) >= 6 and cells[2] in MONO_TARGETS:
            rows[cells[2]] = cells[5]
    return rows


def test_script_variant_prints_the_targets_met_and_writes_json(calls_folder, tmp_path):
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["eval", str(calls_folder), "--variant", "script", "--json", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert _verdicts(result.output) == {t: "MET" for t in MONO_TARGETS[:4]}  # no interruption / talk targets on script
    data = json.loads(out.read_text(encoding="utf-8"))
    s = data["variants"]["script"]["overall"]
    assert data["calls"] == 1 and s["kinds"]["questions"]["truth"] == 2
    assert s["kinds"]["paraphrases"]["recall"] == 1.0 and s["verdict_accuracy"] == 1.0
    assert s["word_attribution_error"] == 0.0 and s["roles_right"] == 1


def test_every_recorded_quality_is_run_and_a_wrong_hypothesis_misses(calls_folder, monkeypatch):
    _fake_analysis(monkeypatch, wrong=False)
    right = runner.invoke(app, ["eval", str(calls_folder), "--quiet"])
    assert right.exit_code == 0, right.output
    for variant in ("dual", "mono", "telephone"):
        assert f"{variant} / all calls (1 calls)" in right.output
    assert set(_verdicts(right.output).values()) == {"MET"}
    assert "word attribution error 0%" in right.output

    _fake_analysis(monkeypatch, wrong=True)
    wrong = runner.invoke(app, ["eval", str(calls_folder), "--variant", "mono", "--quiet"])
    assert wrong.exit_code == 0, wrong.output
    verdicts = _verdicts(wrong.output)
    assert set(verdicts) == set(MONO_TARGETS)
    for target in ("rep-question verdicts right", "paraphrase recall", "interruptions found (who cut off whom)",
                   "talk ratio error, worst call"):
        assert verdicts[target] == "MISSED", target
    assert "word attribution error 0%" not in wrong.output


def test_the_bench_and_the_cli_give_the_same_figures(calls_folder, tmp_path, monkeypatch):
    monkeypatch.setattr(event_eval, "RESULTS_JSON", tmp_path / "event_eval.json")
    monkeypatch.setattr(event_eval, "RESULTS_MD", tmp_path / "results.md")
    _fake_analysis(monkeypatch, wrong=True)  # figures with misses in them, not only 100%
    assert event_eval.main(["--out", str(calls_folder), "--no-build", "--variant", "mono", "--variant", "script"]) == 0
    bench = json.loads((tmp_path / "event_eval.json").read_text(encoding="utf-8"))
    result = runner.invoke(app, ["eval", str(calls_folder), "--variant", "mono", "--variant", "script", "--quiet",
                                 "--json", str(tmp_path / "cli.json")])
    assert result.exit_code == 0, result.output
    cli = json.loads((tmp_path / "cli.json").read_text(encoding="utf-8"))
    for variant in ("mono", "script"):
        assert bench["variants"][variant]["overall"] == cli["variants"][variant]["overall"]
        assert bench["variants"][variant]["targets"] == cli["variants"][variant]["targets"]
    assert bench["variants"]["mono"]["overall"]["talk_ratio_error_pp_max"] > 10
    section = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "<!-- event-eval:start -->" in section and "| mono | talk ratio error, worst call (≤ 1.5 pp)" in section


def _one_line_error(result) -> str:
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_bad_event_input_is_one_clear_line(calls_folder, tmp_path):
    calls = tmp_path / "calls"
    (calls / "truth").mkdir(parents=True)
    assert "holds no <id>.events.json" in _one_line_error(runner.invoke(app, ["eval", str(calls)]))

    good = json.loads((calls_folder / "truth" / "tiny.events.json").read_text(encoding="utf-8"))
    (calls / "truth" / "tiny.events.json").write_text("{not json", encoding="utf-8")
    assert "tiny.events.json: not JSON" in _one_line_error(runner.invoke(app, ["eval", str(calls), "--variant", "script"]))

    del good["questions"]
    good["interruptions"][0]["by_side"] = "manager"
    (calls / "truth" / "tiny.events.json").write_text(json.dumps(good), encoding="utf-8")
    msg = _one_line_error(runner.invoke(app, ["eval", str(calls), "--variant", "script"]))
    assert "questions: Field required" in msg and "interruptions.0.by_side" in msg and "docs/benchmarks.md" in msg

    assert "no recordings beside the truth" in _one_line_error(runner.invoke(app, ["eval", str(calls_folder / "truth")]))
    assert "--only nope: no such call" in _one_line_error(runner.invoke(app, ["eval", str(calls_folder), "--only", "nope"]))
    assert "--collar: for RTTM truth" in _one_line_error(runner.invoke(app, ["eval", str(calls_folder), "--collar", "0"]))
    assert "--variant: for a folder of calls with event truth" in _one_line_error(
        runner.invoke(app, ["eval", str(calls_folder / "mono"), "--variant", "mono"]))


def test_a_call_without_a_recording_of_a_quality_fails_and_misses_every_target(calls_folder, tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "calls"
    shutil.copytree(calls_folder / "truth", folder / "truth")
    shutil.copytree(calls_folder / "mono", folder / "mono")
    (folder / "truth" / "second.events.json").write_text(
        (folder / "truth" / "tiny.events.json").read_text(encoding="utf-8").replace('"id": "tiny"', '"id": "second"'),
        encoding="utf-8")
    _fake_analysis(monkeypatch, wrong=False)
    calls = load_calls(folder)
    assert {c.id: sorted(c.audio) for c in calls} == {"tiny": ["mono"], "second": []}
    report = run.evaluate_events(calls, "mono")
    (failed,) = [c for c in report.calls if c.error]
    assert failed.id == "second" and "no mono recording" in failed.error
    assert report.summary()["kinds"]["questions"]["truth"] == 4
    assert all(t["met"] is False for t in report.to_dict()["targets"]["all"])
