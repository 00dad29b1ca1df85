"""Fixtures of the service tests: a synthesized call, settings under a temp home, keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from service_helpers import synth_call


@pytest.fixture(scope="session")
def call_wav(tmp_path_factory) -> Path:
    return synth_call(tmp_path_factory.mktemp("calls") / "call.wav")
