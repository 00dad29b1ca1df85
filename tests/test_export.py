import json
import os

import pytest

from listenlens.pipeline import export
from listenlens.pipeline.timeline import CallTimeline, build_timeline


def tl():
    return build_timeline(
        turns=[(0.5, 2.0, "A"), (2.2, 3.61, "B")],
        words=[(0.5, 0.9, "How", "A"), (0.9, 1.6, "much?", "A"), (2.2, 3.6, "Plenty.", "B")],
        roles={"A": "rep", "B": "customer"},
    )


def test_rttm_lines():
    assert export.to_rttm(tl(), "my call").splitlines() == [
        "SPEAKER my_call 1 0.500 1.500 <NA> <NA> A <NA> <NA>",
        "SPEAKER my_call 1 2.200 1.410 <NA> <NA> B <NA> <NA>",
    ]


def test_vtt_cues_carry_speaker_and_role():
    vtt = export.to_vtt(tl())
    assert vtt.startswith("WEBVTT\n")
    assert "00:00:00.500 --> 00:00:01.600\n<v A (rep)>How much?" in vtt
    assert "00:00:02.200 --> 00:00:03.600\n<v B (customer)>Plenty." in vtt


def test_write_outputs_writes_all_three(tmp_path):
    paths = export.write_outputs(tl(), tmp_path / "out", "call")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["call.rttm", "call.timeline.json", "call.vtt"]
    assert CallTimeline.from_dict(json.loads(paths["json"].read_text())).to_dict() == tl().to_dict()


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    (tmp_path / "call.rttm").write_text("old rttm")
    real_replace = os.replace
    renames = []

    def failing_replace(src, dst):
        renames.append(dst)
        if str(dst).endswith("call.vtt"):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(export.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        export.write_outputs(tl(), tmp_path, "call")
    # The batch is rolled back: the earlier output is back as it was, nothing new or temporary stays.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["call.rttm"]
    assert (tmp_path / "call.rttm").read_text() == "old rttm"
