"""``listenlens.scorecard/1`` does not drift: the scorecard of each hand-built call in
``scorecard_cases`` dumps to the JSON stored in ``data/scorecard_golden.json``, with the
same keys in the same order and the same values of the same JSON types.

The golden file was written by the dict-returning scorecard before the typed models
existed; regenerate it only for a deliberate, versioned change of the contract.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from listenlens.pipeline.scorecard import ScorecardConfig, score_call  # noqa: E402
from scorecard_cases import CASES  # noqa: E402

GOLDEN = json.loads((Path(__file__).parent / "data" / "scorecard_golden.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_scorecard_json_is_unchanged(name):
    timeline, config, embedder = CASES[name]()
    got = score_call(timeline, config, embedder=embedder).model_dump(mode="json")
    want = GOLDEN[name]
    # Settings follow the settings models (they may gain fields) and are not in the
    # golden file; everything else is fixed.
    assert got.pop("settings") == (config or ScorecardConfig()).model_dump(mode="json")
    assert json.dumps(got, indent=1) == json.dumps(want, indent=1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_stored_scorecards_validate_back_unchanged(name):
    from listenlens.pipeline.scorecard import Scorecard

    stored = dict(GOLDEN[name], settings={})
    assert Scorecard.model_validate(stored).model_dump(mode="json") == stored
    assert Scorecard.model_validate_json(json.dumps(stored)).model_dump_json() == json.dumps(stored, separators=(",", ":"))
