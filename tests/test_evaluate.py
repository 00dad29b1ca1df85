"""The evaluation harness on hand-made truth and hypotheses whose errors are known exactly.

Scores that pyannote.metrics computes are checked against values worked out by hand
here (a hypothesis that misses one known second, one that confuses two known seconds),
so a change of convention (the collar, the scored region) shows up as a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listenlens.cli import app
from listenlens.evaluation.cases import EvalCase, discover
from listenlens.evaluation.der import diarization_error, pool_diarization, scored_region
from listenlens.evaluation.hypotheses import Hypothesis, rttm_hypothesis
from listenlens.evaluation.runner import evaluate_case, run_eval
from listenlens.evaluation.targets import bench_figure, check_targets
from listenlens.evaluation.timing import TimingMetrics, compare_timing, match_events, timing_metrics, truth_rep, with_roles
from listenlens.pipeline.metrics.patience import Switch
from listenlens.pipeline.rttm import TruthError, normalize_id, read_rttm, read_uem, split_of
from listenlens.pipeline.timeline import CallTimeline, Speaker, Turn, Word, turns_annotation

runner = CliRunner()


def rttm_line(uri: str, start: float, end: float, speaker: str) -> str:
    return f"SPEAKER {uri} 1 {start:.3f} {end - start:.3f} <NA> <NA> {speaker} <NA> <NA>\n"


def write_silence(path: Path, seconds: float = 1.0) -> None:
    """Discovery never decodes audio; a valid short WAV is enough."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))


def hyp(turns, duration=20.0) -> Hypothesis:
    return Hypothesis(CallTimeline(duration=duration, speech=[Turn(*t) for t in turns], words=[], speakers=[]))


def case(turns, uem=None, file_id="call") -> EvalCase:
    return EvalCase(file_id, Path(f"{file_id}.wav"), [Turn(*t) for t in turns], uem, None)


TRUTH = [(0.0, 10.0, "A"), (10.0, 20.0, "B")]


# --- reading truth ----------------------------------------------------------------------


def test_rttm_is_read_as_utf8_with_accented_speakers_and_comments(tmp_path):
    p = tmp_path / "x.rttm"
    p.write_text(";; a comment\n" + rttm_line("trn00", 1.0, 2.5, "MÉO069") + rttm_line("trn01", 0.0, 1.0, "MEE068"), encoding="utf-8")
    truth = read_rttm(p).turns
    assert truth["trn00"] == [Turn(1.0, 2.5, "MÉO069")]
    assert list(truth) == ["trn00", "trn01"]


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("SPEAKER call 1 abc 1.0 <NA> <NA> A <NA> <NA>", "line 1: start 'abc' is not a number"),
        ("SPEAKER call 1 0.0", "line 1: an RTTM SPEAKER line needs at least 8 fields"),
        ("SPEAKER call 1 0.0 -1 <NA> <NA> A <NA> <NA>", "negative start or duration"),
    ],
)
def test_bad_rttm_line_is_one_clear_error(tmp_path, line, fragment):
    p = tmp_path / "bad.rttm"
    p.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(TruthError) as err:
        read_rttm(p)
    assert fragment in err.value.message and "\n" not in err.value.message


def test_uem_and_split_names(tmp_path):
    p = tmp_path / "debug.development.uem"
    p.write_text("dev00 NA 0.000 30.000\ndev00 NA 40 50\n", encoding="utf-8")
    assert read_uem(p) == {"dev00": [(0.0, 30.0), (40.0, 50.0)]}
    assert split_of(p) == "development"
    assert split_of(Path("sample.rttm")) is None
    bad = tmp_path / "bad.uem"
    bad.write_text("dev00 NA 5 4\n", encoding="utf-8")
    with pytest.raises(TruthError, match="not after start"):
        read_uem(bad)


def test_file_ids_match_across_accents_and_case():
    assert normalize_id("trń00") == normalize_id("TRN00") == "trn00"
    assert normalize_id("café") == normalize_id("cafe")
    assert normalize_id("trn01") != normalize_id("trn00")


def test_discover_pairs_audio_with_multi_file_rttm_uem_and_split(tmp_path):
    for name in ("trń00.wav", "trn01.wav", "dev00.wav", "orphan.wav"):
        write_silence(tmp_path / name)
    (tmp_path / "debug.train.rttm").write_text(rttm_line("trn00", 0, 1, "MÉO069") + rttm_line("trn01", 0, 1, "X"), encoding="utf-8")
    (tmp_path / "debug.development.rttm").write_text(rttm_line("dev00", 0, 1, "Y"), encoding="utf-8")
    (tmp_path / "debug.train.uem").write_text("trn00 NA 0 1\n", encoding="utf-8")
    cases = {c.file_id: c for c in discover(tmp_path)}
    assert set(cases) == {"trn00", "trn01", "dev00"}  # orphan.wav has no truth and is skipped
    assert cases["trn00"].audio.name == "trń00.wav"
    assert cases["trn00"].reference == [Turn(0.0, 1.0, "MÉO069")]
    assert cases["trn00"].uem == [(0.0, 1.0)] and cases["trn01"].uem is None
    assert (cases["trn00"].split, cases["dev00"].split) == ("train", "development")


def test_discover_single_rttm_answers_to_its_file_name(tmp_path):
    write_silence(tmp_path / "call.wav")
    (tmp_path / "call.rttm").write_text(rttm_line("some-other-id", 0, 1, "A"), encoding="utf-8")
    [c] = discover(tmp_path)
    assert c.file_id == "some-other-id" and c.audio.name == "call.wav"


# --- diarization error: values worked out by hand -----------------------------------------


def score(hyp_turns, collar, uem=None):
    return diarization_error(
        turns_annotation([Turn(*t) for t in TRUTH]), turns_annotation([Turn(*t) for t in hyp_turns]),
        scored_region(uem, 20.0), collar,
    )


def test_one_missed_second_is_five_percent_der():
    d = score([(0.0, 9.0, "x"), (10.0, 20.0, "y")], 0.0)
    assert d["total_s"] == pytest.approx(20.0)
    assert d["missed_s"] == pytest.approx(1.0)
    assert d["der"] == pytest.approx(0.05) and d["missed"] == pytest.approx(0.05)
    assert d["false_alarm"] == 0 and d["confusion"] == 0
    # JER: speaker A loses 1 of 10 s, B is perfect -> mean of 0.1 and 0
    assert d["jer"] == pytest.approx(0.05)


def test_collar_forgives_its_width_on_each_side_of_every_reference_boundary():
    # Boundaries at 0, 10 and 20: 0.25 s (edge) + 0.5 s + 0.25 s (edge) = 1 s leaves 19 s scored;
    # the miss [9, 10) keeps only [9, 9.75).
    d = score([(0.0, 9.0, "x"), (10.0, 20.0, "y")], 0.25)
    assert d["total_s"] == pytest.approx(19.0)
    assert d["missed_s"] == pytest.approx(0.75)
    assert d["der"] == pytest.approx(0.75 / 19.0)


def test_confusion_and_false_alarm_and_the_uem():
    d = score([(0.0, 8.0, "x"), (8.0, 20.0, "y"), (20.0, 22.0, "y")], 0.0, uem=[(0.0, 22.0)])
    assert d["confusion_s"] == pytest.approx(2.0)  # [8, 10) given to B's voice
    assert d["false_alarm_s"] == pytest.approx(2.0)  # [20, 22) inside the UEM
    inside = score([(0.0, 8.0, "x"), (8.0, 20.0, "y"), (20.0, 22.0, "y")], 0.0, uem=[(0.0, 20.0)])
    assert inside["false_alarm_s"] == 0.0  # outside the UEM it is not scored
    assert inside["der"] == pytest.approx(0.1)


def test_pooled_der_sums_seconds_over_files():
    a = score([(0.0, 9.0, "x"), (10.0, 20.0, "y")], 0.0)  # 1 s of 20 missed
    b = score([(0.0, 10.0, "x"), (10.0, 20.0, "y")], 0.0)  # perfect
    pooled = pool_diarization([a, b])
    assert pooled["der"] == pytest.approx(1.0 / 40.0)


# --- timing metrics ---------------------------------------------------------------------


def test_truth_rep_is_the_first_speaker():
    assert truth_rep([Turn(3, 4, "B"), Turn(1, 2, "A"), Turn(5, 6, "A")]) == "A"


def test_talk_ratio_error_in_points_through_the_optimal_mapping():
    truth = case([(0.0, 6.0, "rep"), (7.0, 10.0, "cust")])
    # The hypothesis calls the rep "S2" and gives them 5 s of the 9 s of talk.
    result = evaluate_case(truth, hyp([(0.0, 5.0, "S2"), (6.0, 10.0, "S1")], duration=10.0))
    assert result["mapping"] == {"S2": "rep", "S1": "cust"}
    assert result["rep"] == {"truth": "rep", "hypothesis": ["S2"]}
    t = result["timing"]
    assert t["truth"]["talk_ratio"] == pytest.approx(6 / 9)
    assert t["talk_ratio_error_pp"] == pytest.approx(100 * (5 / 9 - 6 / 9))
    assert t["longest_monologue_error_s"] == pytest.approx(5.0 - 6.0)


def test_interruptions_are_counted_and_matched():
    # B talks over A for 2 s with 3 s of speech: an interruption by the customer.
    truth = case([(0.0, 5.0, "A"), (3.0, 6.0, "B"), (8.0, 12.0, "A")])
    found = evaluate_case(truth, hyp([(0.0, 5.0, "h1"), (3.2, 6.0, "h2"), (8.0, 12.0, "h1")], 12.0))
    assert found["timing"]["interruptions"] == {"truth": 1, "found": 1, "matched": 1, "missed": 0, "extra": 0, "count_error": 0}
    # A hypothesis that hears no overlap misses it.
    lost = evaluate_case(truth, hyp([(0.0, 5.0, "h1"), (5.0, 6.0, "h2"), (8.0, 12.0, "h1")], 12.0))
    assert lost["timing"]["interruptions"]["missed"] == 1 and lost["timing"]["interruptions"]["found"] == 0


def test_an_interruption_by_the_wrong_speaker_is_not_a_match():
    truth = TimingMetrics(0.5, 5.0, [(3.0, "B", "A")], [], [])
    found = TimingMetrics(0.5, 5.0, [(3.1, "h1", "h2")], [], [])
    assert compare_timing(truth, found, {"h1": "A", "h2": "B"})["interruptions"]["matched"] == 0
    assert compare_timing(truth, found, {"h1": "B", "h2": "A"})["interruptions"]["matched"] == 1


def test_patience_is_measured_word_to_word_as_the_scorecard_measures_it():
    # The customer's turn runs to 5.0 s but their last word ends at 4.5 s; the rep's turn
    # starts at 5.2 s, their first word at 5.6 s: patience is 1.1 s, not the 0.2 s between turns.
    words = [
        Word(0.2, 1.0, "Hello", "R"), Word(1.0, 1.8, "there.", "R"),
        Word(2.5, 3.5, "We", "C"), Word(3.5, 4.5, "agree.", "C"),
        Word(5.6, 6.2, "Great", "R"), Word(6.2, 7.0, "news.", "R"),
    ]
    timeline = CallTimeline(
        duration=8.0, speech=[Turn(0.0, 2.0, "R"), Turn(2.4, 5.0, "C"), Turn(5.2, 7.2, "R")], words=words,
        speakers=[Speaker("R"), Speaker("C")],
    )
    metrics = timing_metrics(with_roles(timeline, {"R"}))
    assert metrics.patience_s == pytest.approx(1.1)


def switches(*gaps: float) -> list[Switch]:
    return [Switch("cust", "rep", 10.0 * i, 10.0 * i + g) for i, g in enumerate(gaps)]


def test_question_waits_are_compared_for_questions_ending_close_together():
    truth = TimingMetrics(0.5, 5.0, [], switches(0.4, 0.6), [(10.0, 1.0), (30.0, 4.5)])
    found = TimingMetrics(0.5, 5.0, [], switches(0.5), [(10.3, 0.7), (50.0, 2.0)])
    c = compare_timing(truth, found, {})
    assert c["wait"] == {"questions_truth": 2, "questions_found": 2, "matched": 1, "mean_abs_error_s": pytest.approx(0.3)}
    assert c["patience_error_s"] == pytest.approx(0.0)  # medians 0.5 and 0.5


def test_match_events_pairs_each_event_once_within_tolerance():
    assert match_events([1.0, 5.0], [1.4, 1.1, 9.0]) == [(0, 1)]
    assert match_events([1.0, 2.0], [1.5], tolerance=0.6) == [(0, 0)]
    assert match_events([], [1.0]) == []


def test_run_eval_with_rttm_hypotheses_reports_overall_and_targets(tmp_path):
    ref, hyps = tmp_path / "ref", tmp_path / "hyp"
    ref.mkdir()
    hyps.mkdir()
    write_silence(ref / "call.wav", 20.0)
    (ref / "call.rttm").write_text("".join(rttm_line("call", *t) for t in TRUTH), encoding="utf-8")
    (hyps / "call.rttm").write_text(rttm_line("call", 0, 9, "x") + rttm_line("call", 10, 20, "y"), encoding="utf-8")
    report = run_eval(ref, hypothesize=rttm_hypothesis(hyps))
    assert report["kind"] == "phone"
    assert report["overall"]["all"]["diarization"]["0"]["der"] == pytest.approx(0.05)
    targets = {t["target"]: t for t in report["targets"]}
    assert targets["DER at 0.25 s collar"]["met"] is True
    # truth ratio 10/20, hypothesis 9/19: -2.63 pp misses the 2-point target
    assert report["files"][0]["timing"]["talk_ratio_error_pp"] == pytest.approx(100 * (9 / 19 - 0.5))
    assert targets["talk ratio error (worst file)"]["met"] is False
    json.dumps(report)  # JSON-ready: no numpy scalars


def test_the_talk_ratio_target_names_its_worst_file(tmp_path):
    ref, hyps = tmp_path / "ref", tmp_path / "hyp"
    ref.mkdir()
    hyps.mkdir()
    for name, split_at in (("near", 10.2), ("far", 12.0)):  # truth splits at 10 s
        write_silence(ref / f"{name}.wav", 20.0)
        (ref / f"{name}.rttm").write_text("".join(rttm_line(name, *t) for t in TRUTH), encoding="utf-8")
        (hyps / f"{name}.rttm").write_text(rttm_line(name, 0, split_at, "x") + rttm_line(name, split_at, 20, "y"), encoding="utf-8")
    report = run_eval(ref, hypothesize=rttm_hypothesis(hyps))
    row = next(t for t in report["targets"] if t["target"] == "talk ratio error (worst file)")
    assert row["note"] == "worst: far"
    assert row["value"] == pytest.approx(10.0)


# --- the CLI ------------------------------------------------------------------------------


def one_line_error(result) -> str:
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code != 0
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_cli_errors_are_one_line(tmp_path):
    assert "no such folder" in one_line_error(runner.invoke(app, ["eval", str(tmp_path / "missing")]))
    assert "holds no audio files" in one_line_error(runner.invoke(app, ["eval", str(tmp_path)]))
    write_silence(tmp_path / "call.wav")
    assert "no .rttm truth files" in one_line_error(runner.invoke(app, ["eval", str(tmp_path)]))
    (tmp_path / "other.rttm").write_text(rttm_line("a", 0, 1, "A") + rttm_line("b", 0, 1, "B"), encoding="utf-8")
    assert "no audio file" in one_line_error(runner.invoke(app, ["eval", str(tmp_path)]))
    (tmp_path / "call.rttm").write_text("SPEAKER call 1 x 1 <NA> <NA> A <NA> <NA>\n", encoding="utf-8")
    assert "call.rttm line 1" in one_line_error(runner.invoke(app, ["eval", str(tmp_path)]))


def test_cli_scores_hypotheses_and_writes_json(tmp_path):
    ref, hyps = tmp_path / "ref", tmp_path / "hyp"
    ref.mkdir()
    hyps.mkdir()
    write_silence(ref / "call.wav", 20.0)
    (ref / "call.rttm").write_text("".join(rttm_line("call", *t) for t in TRUTH), encoding="utf-8")
    (hyps / "call.rttm").write_text(rttm_line("call", 0, 9, "x") + rttm_line("call", 10, 20, "y"), encoding="utf-8")
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["eval", str(ref), "--hyp", str(hyps), "--json", str(out), "--quiet", "--collar", "0"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["collars"] == [0.0]
    assert report["files"][0]["diarization"]["0"]["missed_s"] == pytest.approx(1.0)
    assert "5.0%" in result.output  # DER in the table


@pytest.mark.slow
def test_eval_on_the_pyannote_sample_end_to_end(tmp_path, shared_data):
    out = tmp_path / "sample.json"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("listenlens")), "eval", str(shared_data / "pyannote-sample"), "--json", str(out), "--quiet"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    [f] = report["files"]
    assert f["file_id"] == "sample" and f["speakers"]["truth"] == 2
    for c in ("0", "0.25"):
        d = f["diarization"][c]
        assert 0 <= d["der"] <= 1 and d["missed"] + d["false_alarm"] + d["confusion"] == pytest.approx(d["der"])
        assert 0 <= d["jer"] <= 1
    t = f["timing"]
    assert t["truth"]["talk_ratio"] == pytest.approx(0.4867, abs=1e-3)  # from the RTTM alone
    for key in ("talk_ratio_error_pp", "longest_monologue_error_s", "interruptions", "patience_error_s", "wait"):
        assert key in t
    assert f["speed"]["wall_s"] > 0 and set(f["speed"]["stages_s"]) >= {"decode", "diarize", "asr"}
    assert {t["target"] for t in report["targets"]} >= {"DER at 0.25 s collar", "talk ratio error (worst file)"}
    assert "DER @0.25" in proc.stdout


def test_a_refused_call_is_scored_on_its_diarization_and_a_broken_one_fails(tmp_path, monkeypatch):
    import listenlens.pipeline.analyze as analyze
    from listenlens.errors import AudioError, OneSpeakerError
    from listenlens.pipeline.diarize.base import Diarization

    write_silence(tmp_path / "one.wav", 20.0)
    write_silence(tmp_path / "two.wav", 20.0)
    (tmp_path / "t.rttm").write_text(
        "".join(rttm_line("one", *t) for t in TRUTH) + "".join(rttm_line("two", *t) for t in TRUTH), encoding="utf-8"
    )

    def refuse(path, settings=None, **kw):
        if Path(path).stem == "one":
            heard = Diarization([Turn(0.0, 20.0, "x")], backend="segmented")
            raise OneSpeakerError("one: one voice heard", diarization=heard, duration=20.0)
        raise AudioError("two.wav is corrupt: re-export it")

    monkeypatch.setattr(analyze, "analyze_call", refuse)
    report = run_eval(tmp_path)
    [scored] = report["files"]
    # Known by its type, not its words: the message above shares none with the pipeline's.
    assert scored["file_id"] == "one" and scored["pipeline_refused"] == "one: one voice heard"
    assert scored["diarization"]["0"]["confusion_s"] == pytest.approx(10.0)  # B's 10 s given to A's voice
    assert scored["diarizer"] == "segmented"
    assert "speed" not in scored
    assert report["failed"] == [{"file_id": "two", "audio": "two.wav", "split": None, "error": "two.wav is corrupt: re-export it"}]
    assert all(t["met"] is False for t in report["targets"] if t["target"].startswith(("DER", "talk")))
    # The report says what the pipeline ran with, as its timelines do.
    assert report["settings"]["diarizer"]["backend"] in ("auto", "channels", "embedded", "segmented", "pyannote")
    assert report["settings"]["asr"]["model"]


def _phone_overall(audio_s: float, x: float) -> dict:
    return {"all": {"diarization": {"0.25": {"der": 0.05}}, "timing": {"talk_ratio_max_abs_error_pp": 1.0},
                    "speed": {"wall_s": audio_s / x, "audio_s": audio_s, "x_real_time": x, "stages_s": {}}}}


def _speed_row(targets: list[dict]) -> dict:
    return next(t for t in targets if t["target"].startswith("speed"))


def test_a_short_run_takes_its_speed_verdict_from_the_benchmark():
    row = _speed_row(check_targets("phone", _phone_overall(30.0, 5.2), memory_mb=1500.0, bench_speed_x=25.0))
    assert (row["value"], row["met"]) == (25.0, True)
    assert "5.2x on 30 s" in row["note"] and "bench/results.json" in row["note"]


def test_a_short_run_without_benchmark_results_gives_no_speed_verdict():
    row = _speed_row(check_targets("phone", _phone_overall(30.0, 5.2)))
    assert row["value"] is None and row["met"] is None
    assert "run bench/run_bench.py" in row["note"]


def test_a_long_run_is_judged_on_its_own_speed():
    row = _speed_row(check_targets("phone", _phone_overall(1800.0, 12.0), bench_speed_x=25.0))
    assert (row["value"], row["met"]) == (12.0, False)
    assert row["note"] == "measured during this run"


def test_bench_figures_are_read_from_the_results_file(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"targets": {"speed_30min_x": {"value": 22.5}}}))
    assert bench_figure("speed_30min_x", results) == 22.5
    assert bench_figure("memory_60min_peak_mb", results) is None
    assert bench_figure("speed_30min_x", tmp_path / "missing.json") is None
