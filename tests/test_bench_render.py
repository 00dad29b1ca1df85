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
