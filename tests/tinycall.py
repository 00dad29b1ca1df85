"""One small built sales call (a few TTS lines, one of each event), for the tests of the
call builder and of the event evaluation. Builds in seconds; needs espeak-ng and flite."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

SMALL = """
id: tiny
title: a small call with one of each event
split: tune
speakers:
  rep: {voice: "espeak:en-us+m7", side: rep}
  customer: {voice: "flite:slt", side: customer}
lines:
  - {rep: "Hi, this is Sam from Acme. How many people are on your team?", at: 0.4}
  - {customer: "About forty people, spread over two offices in the north of the country.", gap: 1.5}
  - {rep: "Mm-hmm.", inside: 1.5}
  - {rep: "Okay. What do they use today?", gap: 0.8}
  - {rep: "Spreadsheets, I guess.", gap: 1.0}
  - {customer: "Mostly spreadsheets, and a very old database that nobody wants to", gap: 0.7}
  - {rep: "So it sounds like the old database is the real problem.", gap: -1.2, paraphrase: opener}
"""


def build_tiny(tmp: Path, script: str = SMALL):
    """Build the call into ``tmp / "out"`` (TTS cached in ``tmp / "cache"``); its ``BuiltCall``."""
    from sales_calls import voices
    from sales_calls.build import build_call
    from sales_calls.script import load_script

    old = voices.CACHE
    voices.CACHE = tmp / "cache"
    try:
        path = tmp / "tiny.yaml"
        path.write_text(script, encoding="utf-8")
        return build_call(load_script(path), tmp / "out")
    finally:
        voices.CACHE = old
