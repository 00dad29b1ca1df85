"""The question and paraphrase detectors on the labelled text sets (bench/labelled).

A regression floor a few points under what the detectors reach on the dev split
(see bench/results.md for the figures of both splits); the test split is scored by
``bench/text_events.py`` and never tuned on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import text_events  # noqa: E402

QUESTION_FLOOR = {"precision": 0.96, "recall": 0.95}
PARAPHRASE_FLOOR = {"precision": 0.92, "recall": 0.92}


def test_the_labelled_sets_have_both_splits_and_enough_items():
    questions = text_events.load("questions.jsonl")
    pairs = text_events.load("paraphrases.jsonl")
    for split, n_q, n_p in (("dev", 150, 75), ("test", 150, 75)):
        assert sum(i["split"] == split for i in questions) >= n_q
        assert sum(i["split"] == split for i in pairs) >= n_p
    assert len({i["id"] for i in questions + pairs}) == len(questions) + len(pairs)
    assert {i["question"] for i in questions} == {True, False}
    assert {i["category"] for i in pairs if i["restatement"]} == {"opener", "summary"}
    assert {i["category"] for i in pairs if not i["restatement"]} == {"answer", "repeat_fact", "smalltalk", "pitch"}


def test_a_split_outside_dev_and_test_is_refused(tmp_path, monkeypatch):
    (tmp_path / "x.jsonl").write_text('{"split": "train", "text": "hi"}\n', encoding="utf-8")
    monkeypatch.setattr(text_events, "LABELLED", tmp_path)
    with pytest.raises(ValueError, match="x.jsonl line 1: split must be one of"):
        text_events.load("x.jsonl")


def _dev(items):
    return [i for i in items if i["split"] == "dev"]


def test_questions_stay_at_their_dev_figures():
    items = _dev(text_events.load("questions.jsonl"))
    s = text_events.score(items, text_events.detect_questions(items), "question", "form")["dev"]
    assert s["precision"] >= QUESTION_FLOOR["precision"] and s["recall"] >= QUESTION_FLOOR["recall"], s
    assert s["spans"]["right"] >= s["spans"]["of"] - 1, s["span_errors"]


@pytest.mark.slow
def test_paraphrases_stay_at_their_dev_figures():
    items = _dev(text_events.load("paraphrases.jsonl"))
    s = text_events.score(items, text_events.detect_paraphrases(items), "restatement", "category")["dev"]
    assert s["precision"] >= PARAPHRASE_FLOOR["precision"] and s["recall"] >= PARAPHRASE_FLOOR["recall"], s
