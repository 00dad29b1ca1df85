"""Shared test set-up: the test helpers (callsynth, audiofiles) import from any folder,
and the reference recordings are found beside the checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
# Bundled weights only; a test must never wait on a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = TESTS.parent.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"reference recordings not found at {SHARED}: the checkout must sit beside shared/")
    return SHARED


@pytest.fixture(scope="session")
def overlapping_call(tmp_path_factory):
    """A mono two-party call with one 1.5 s overlap; the other hand-overs have pauses.

    Returns (wav path, the spoken lines with their exact times).
    """
    from callsynth import Line, make_call

    path = tmp_path_factory.mktemp("overlap") / "overlap.wav"
    truth = make_call(
        [
            Line("rep", "Thanks for taking the call today, I wanted to ask about your renewal.", at=0.5),
            Line("customer", "Sure, we have been looking at the contract for a few weeks now.", gap=0.8),
            Line("rep", "What would you change about the current plan if you could?", gap=0.9),
            Line("customer", "Mostly the price, and the support hours, which never match our shifts.", gap=1.0),
            Line("rep", "I hear you, and we can certainly look at both of those together.", gap=-1.5),
            Line("customer", "That would help a lot, thank you.", gap=0.8),
        ],
        path,
    )
    return path, truth
