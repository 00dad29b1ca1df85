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
