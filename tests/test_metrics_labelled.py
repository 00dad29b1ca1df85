"""Regression floor: the content metrics on the labelled sets in bench/labelled/.

The floors sit a little under the figures bench/beyond_metrics.py reports (see
bench/results.md), so a rule change that loses ground on either split fails here.
Scored with the defaults, so with the sentence classifier (``slow``: it loads the embedder).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import beyond_metrics  # noqa: E402

FLOORS = {
    ("customer_focus", "customer"): 0.95,
    ("customer_focus", "seller"): 0.93,
    ("self_promotion", "yes"): 0.93,
    ("question_type", "open"): 0.95,
    ("question_type", "closed"): 0.95,
    ("objections", "objection (type right)"): 0.85,
    ("next_steps", "next step"): 0.90,
    ("next_steps", "follow-up"): 0.90,
}


@pytest.fixture(scope="module")
def results():
    return beyond_metrics.evaluate()


@pytest.mark.slow  # the sentence classifier loads the bundled embedder
@pytest.mark.parametrize("split", ["test", "dev"])
@pytest.mark.parametrize("key", sorted(FLOORS))
def test_precision_and_recall_stay_above_the_floor(results, key, split):
    counts = results[(key[0], key[1], split)]
    assert counts.precision is not None and counts.recall is not None
    assert counts.precision >= FLOORS[key], counts.misses
    assert counts.recall >= FLOORS[key], counts.misses


def test_the_sets_are_as_large_as_promised():
    for name in ("customer_focus", "self_promotion", "question_type", "objections"):
        rows = beyond_metrics.load(name)
        assert len(rows) >= 150, name
        assert {r["split"] for r in rows} == {"dev", "test"}
    assert len(beyond_metrics.load("next_steps")) >= 40
