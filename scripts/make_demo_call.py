"""Make demo/demo_call.wav: a short discovery call with known listening moments.

Two synthetic voices (espeak-ng) play a rep and a customer. The script holds the
moments a scorecard should find: an introduction, questions with long and short waits,
a self-answered question, a customer story, a backchannel, an interruption by the rep
and a paraphrase-back. Its truth is written beside it as demo_call.truth.json.

    python scripts/make_demo_call.py [--out demo/demo_call.wav]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from callsynth import Line, make_call  # noqa: E402

SCRIPT = [
    Line("rep", "Hi Jordan, this is Sam from Acme Analytics. Thanks for taking my call today.", at=0.6),
    Line("customer", "Sure, happy to chat. I have about fifteen minutes.", gap=0.7),
    Line("rep", "Great. What made you look at new reporting tools this quarter?", gap=0.8),
    Line(
        "customer",
        "Well, our sales team builds every forecast by hand in spreadsheets. It takes two days each month, "
        "and by the time it is done the numbers are already out of date.",
        gap=1.2,
    ),
    Line("rep", "Mm-hmm.", gap=0.3),
    Line("customer", "So my managers stopped trusting the forecast, and that is a real problem for us.", gap=0.4),
    Line("rep", "So what you're saying is the manual forecast is slow and your managers no longer trust it.", gap=0.9),
    Line("customer", "Exactly, that is it.", gap=0.6),
    Line("rep", "How many people work on the forecast today?", gap=0.7),
    Line("rep", "I guess it is mostly the sales operations team, right? We see that a lot.", gap=1.0),
    Line("customer", "Yes, three analysts in sales operations. They also handle the territory planning and the", gap=1.4),
    Line("rep", "Right, and our platform can automate all of that for them.", gap=-0.9),
    Line("customer", "Okay. What would the rollout look like for a team our size?", gap=0.5),
    Line("rep", "Usually about four weeks. Would it help if I sent you a short plan after this call?", gap=0.8),
    Line("customer", "Yes, please send it over.", gap=4.5),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "demo" / "demo_call.wav")
    args = parser.parse_args()
    truth = make_call(SCRIPT, args.out, noise_db=-55.0)
    args.out.with_suffix(".truth.json").write_text(
        json.dumps({"lines": [asdict(s) for s in truth]}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.out} ({truth[-1].end:.1f} s, {len(truth)} lines)")


if __name__ == "__main__":
    main()
