"""bench/results.md quotes what docs/diarization.md says was tuned on which data."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import render_results  # noqa: E402


def test_the_tuning_section_is_quoted_bullet_by_bullet(tmp_path):
    doc = tmp_path / "diarization.md"
    doc.write_text(
        "## embedded\nIt was tuned on nothing in this paragraph.\n\n"
        "### What was tuned on which data\nintro line\n- `a` was tuned on X.\n- `b` was trained on Y.\n\n"
        "### Next section\n- not a claim\n",
        encoding="utf-8",
    )
    assert render_results.tuning_claims(doc) == ["`a` was tuned on X.", "`b` was trained on Y."]


def test_a_doc_without_the_section_says_so(tmp_path):
    doc = tmp_path / "diarization.md"
    doc.write_text("## embedded\nnothing here\n", encoding="utf-8")
    assert render_results.tuning_claims(doc) == []
    assert render_results.tuning_claims(tmp_path / "missing.md") is None


def test_the_real_doc_names_the_overlap_detectors_training_data():
    claims = render_results.tuning_claims()
    assert claims and any("overlap detector" in c and "AMI train" in c for c in claims)


def _results() -> dict:
    e2e = {"duration_s": 1800.0, "run_s": 72.0, "load_s": 0.0, "x_real_time": 25.0, "x_real_time_cold": 25.0, "peak_rss_mb": 1378.0,
           "pipeline_timings_s": {"decode": 1.0, "diarize": 33.0, "asr": 34.0, "metrics": 3.0}}
    return {
        "machine": {"cpu": "cpu", "cores": 2, "ram_gb": 24, "os": "linux", "python": "3.11"},
        "versions": {"listenlens": "0"}, "date": "today",
        "targets": {
            "speed_30min_x": {"value": 25.0, "limit": 15.0, "unit": "x real time", "met": True, "at_most": False},
            "held-out DER": {"value": 42.6, "limit": 25.0, "unit": "%", "met": False, "at_most": True},
            "not measured": {"value": None, "limit": 1.0, "unit": "%", "met": None, "at_most": True},
        },
        "speed": {"30min": {"end_to_end": e2e}},
    }


def test_the_results_picture_is_written_and_the_page_shows_it(tmp_path):
    out = render_results.render_picture(_results(), tmp_path / "results.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.part"))
    assert f"]({render_results.PICTURE_NAME})" in render_results.render_markdown(_results())


def test_kept_speed_figures_name_the_machine_they_were_measured_on():
    r = _results()
    assert "figures' machine" not in render_results.render_markdown(r)
    r["speed_machine"] = {**r["machine"], "cpu": "other cpu"}
    page = render_results.render_markdown(r)
    assert "- **Machine**: cpu, 2 cores" in page
    assert "- **Speed and memory figures' machine** (kept from an earlier run): other cpu, 2 cores" in page


def test_a_bench_run_keeps_the_peer_table_and_the_ceilings(tmp_path, monkeypatch):
    import json

    import run_bench

    committed = json.loads((Path(__file__).resolve().parents[1] / "bench" / "results.json").read_text(encoding="utf-8"))
    assert "peer" in committed and "ceilings" in committed
    results = tmp_path / "results.json"
    results.write_text(json.dumps(committed), encoding="utf-8")
    monkeypatch.setattr(run_bench, "RESULTS_JSON", results)
    monkeypatch.setattr(run_bench, "RESULTS_MD", tmp_path / "results.md")
    monkeypatch.setattr(run_bench, "HERE", tmp_path)
    monkeypatch.setattr(run_bench, "ROOT", tmp_path)
    # Measure nothing new: speed and accuracy kept, as a --merge run of other cases does.
    assert run_bench.main(["--merge", "--cases", "", "--no-accuracy"]) == 0
    after = json.loads(results.read_text(encoding="utf-8"))
    assert after["peer"] == committed["peer"] and after["ceilings"] == committed["ceilings"]
    assert "## Ceilings" in (tmp_path / "results.md").read_text(encoding="utf-8")


def test_marked_sections_survive_regeneration_and_are_replaced_in_place():
    old = "# Results\nold body\n\n<!-- beyond:start -->\nmine v1\n<!-- beyond:end -->\n"
    regenerated = render_results.keep_marked_sections("# Results\nnew body\n", old)
    assert regenerated == "# Results\nnew body\n\n<!-- beyond:start -->\nmine v1\n<!-- beyond:end -->\n"
    updated = render_results.replace_marked_section(regenerated, "beyond", "mine v2")
    assert updated == "# Results\nnew body\n\n<!-- beyond:start -->\nmine v2\n<!-- beyond:end -->\n"
    assert render_results.replace_marked_section("# R\n", "x", "body") == "# R\n\n<!-- x:start -->\nbody\n<!-- x:end -->\n"


def test_a_section_written_to_a_file_keeps_the_others_and_leaves_no_part_file(tmp_path):
    md = tmp_path / "results.md"
    render_results.write_marked_section(md, "x", "first")  # no file yet: created
    assert md.read_text(encoding="utf-8") == "\n\n<!-- x:start -->\nfirst\n<!-- x:end -->\n"
    render_results.write_marked_section(md, "y", "other")
    render_results.write_marked_section(md, "x", "second")
    text = md.read_text(encoding="utf-8")
    assert "second" in text and "first" not in text and "<!-- y:start -->\nother\n<!-- y:end -->" in text
    assert [p.name for p in tmp_path.iterdir()] == ["results.md"]
