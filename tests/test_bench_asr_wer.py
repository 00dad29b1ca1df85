"""bench/asr_wer.py's scoring: what counts as a word error, and which calls have a reference."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import asr_wer  # noqa: E402


def test_case_punctuation_and_hyphens_are_not_errors():
    assert asr_wer.word_errors("So, what you're saying is: follow-up calls?", "so what you\u2019re saying is follow up calls") == (0, 8)


@pytest.mark.parametrize(
    "hypothesis, errors",
    [
        ("how many laptops do you run", 0),
        ("how many laptop do you run", 1),  # substitution
        ("how many do you run", 1),  # deletion
        ("how many laptops do you run today", 1),  # insertion
        ("", 6),  # nothing heard: every word deleted
    ],
)
def test_each_substitution_deletion_and_insertion_is_one_error(hypothesis, errors):
    assert asr_wer.word_errors("How many laptops do you run?", hypothesis) == (errors, 6)


def test_the_script_is_read_in_time_order_and_a_real_voice_has_none():
    words = [
        {"start": 1.0, "end": 1.3, "text": "there", "speaker": "customer"},
        {"start": 0.2, "end": 0.5, "text": "Hi", "speaker": "rep"},
    ]
    assert asr_wer.script_text({"words": words}) == "Hi there"
    real = words + [{"start": 2.0, "end": 3.0, "text": None, "speaker": "customer"}]
    assert asr_wer.script_text({"words": real}) is None


def test_the_summary_weighs_calls_by_their_words_and_counts_calls_better_and_worse():
    data = {
        "settings": ["beam 1", "beam 5"],
        "rows": [
            {"variant": "telephone", "call": "a", "runs": [{"errors": 10, "words": 100, "cpu_s": 10.0},
                                                          {"errors": 5, "words": 100, "cpu_s": 12.0}]},
            {"variant": "telephone", "call": "b", "runs": [{"errors": 1, "words": 300, "cpu_s": 30.0},
                                                          {"errors": 3, "words": 300, "cpu_s": 36.0}]},
        ],
    }
    first, second = asr_wer.summary(data)
    assert first["wer"] == pytest.approx(11 / 400) and second["wer"] == pytest.approx(8 / 400)
    assert second["cpu_ratio"] == pytest.approx(1.2)
    assert (second["better"], second["worse"]) == (1, 1) and (first["better"], first["worse"]) == (0, 0)
