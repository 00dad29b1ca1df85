"""The event figures of one quality (variant), the issue's targets, and the saved report."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from listenlens.evaluation.events.matching import KINDS, TOLERANCES, CallResult, KindScore

SCHEMA = "listenlens.event-eval/1"
PHANTOMS_PER_10_CALLS = 1.0
VERDICTS_PCT = 95.0
PARAPHRASE_PCT = 90.0
INTERRUPTIONS_FOUND_PCT = 95.0
TALK_RATIO_PP = {"mono": 1.5, "telephone": 2.5}  # on every call


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    unit: str
    at_most: bool

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit + 1e-9 if self.at_most else self.value >= self.limit - 1e-9


@dataclass
class EventReport:
    variant: str
    calls: list[CallResult]

    def splits(self) -> list[str]:
        return sorted({c.split for c in self.calls if c.split})

    def summary(self, split: str | None = None) -> dict[str, Any]:
        calls = [c for c in self.calls if split is None or c.split == split]
        tot = {k: KindScore() for k in KINDS}
        for c in calls:
            for k in KINDS:
                tot[k] += c.scores[k]
        inter = KindScore()
        inter += tot["interruptions_rep_on_customer"]
        inter += tot["interruptions_customer_on_rep"]
        rated = [c for c in calls if c.talk_ratio_error_pp is not None]
        errs = [abs(c.talk_ratio_error_pp) for c in rated]  # type: ignore[arg-type]
        judged = sum(c.verdicts_judged for c in calls)
        aligned = sum(c.words_aligned for c in calls)
        found_words = sum(c.words_found for c in calls)
        waits = [w for c in calls for w in c.wait_errors_s]
        phantoms = sum(len(c.phantom_questions) for c in calls)
        return {
            "calls": len(calls),
            "failed": [c.id for c in calls if c.error],
            "kinds": {k: v.to_dict() for k, v in tot.items()} | {"interruptions": inter.to_dict()},
            "phantom_questions": phantoms,
            "phantom_questions_per_10_calls": 10.0 * phantoms / len(calls) if calls else None,
            # Phantoms the scorecard marked uncertain are listed but move no score.
            "phantom_questions_scored": sum(1 for c in calls for q in c.phantom_questions if not q.get("uncertain")),
            "uncertain_events": {k: [sum(c.uncertain.get(k, [0, 0])[i] for c in calls) for i in (0, 1)]
                                 for k in sorted({k for c in calls for k in c.uncertain})},
            "verdict_accuracy": sum(c.verdicts_right for c in calls) / judged if judged else None,
            "verdicts_judged": judged,
            "wait_mean_abs_error_s": sum(waits) / len(waits) if waits else None,
            "talk_ratio_error_pp_max": max(errs) if errs else None,
            "talk_ratio_error_pp_mean": sum(errs) / len(errs) if errs else None,
            "talk_ratio_worst_call": max(rated, key=lambda c: abs(c.talk_ratio_error_pp or 0.0)).id if rated else None,
            "word_attribution_error": sum(c.words_wrong for c in calls) / aligned if aligned else None,
            "word_side_error": sum(c.words_wrong_side for c in calls) / aligned if aligned else None,
            "roles_right": sum(1 for c in calls if c.roles_right),
            "roles_wrong_calls": [c.id for c in calls if c.roles_right is False],
            "words_unaligned_share": (found_words - aligned) / found_words if found_words else None,
        }

    def targets(self, split: str | None = None) -> list[Target]:
        """The issue's targets for this quality. A call that failed leaves no target met."""
        s = self.summary(split)
        k = s["kinds"]
        out = [
            Target("phantom rep questions per 10 calls", s["phantom_questions_per_10_calls"], PHANTOMS_PER_10_CALLS,
                   "per 10 calls", True),
            Target("rep-question verdicts right", _pct(s["verdict_accuracy"]), VERDICTS_PCT, "%", False),
            Target("paraphrase precision", _pct(k["paraphrases"]["precision"]), PARAPHRASE_PCT, "%", False),
            Target("paraphrase recall", _pct(k["paraphrases"]["recall"]), PARAPHRASE_PCT, "%", False),
        ]
        if self.variant in TALK_RATIO_PP:
            out.append(Target("interruptions found (who cut off whom)", _pct(k["interruptions"]["recall"]),
                              INTERRUPTIONS_FOUND_PCT, "%", False))
            out.append(Target("talk ratio error, worst call", s["talk_ratio_error_pp_max"], TALK_RATIO_PP[self.variant], "pp", True))
        return out

    def to_dict(self) -> dict:
        splits = self.splits()
        return {
            "variant": self.variant,
            "overall": self.summary(),
            "by_split": {sp: self.summary(sp) for sp in splits},
            "targets": {sp or "all": [asdict(t) | {"met": met(t, self.summary(sp))} for t in self.targets(sp)]
                        for sp in [None, *splits]},
            "calls": [c.to_dict() for c in self.calls],
        }


def met(target: Target, summary: dict[str, Any]) -> bool | None:
    """A target's verdict; MISSED whatever its value when a call of the run failed."""
    return False if summary["failed"] else target.met


def document(folder: str, calls: Sequence, reports: Sequence[EventReport], **extra: Any) -> dict[str, Any]:
    """The whole run as JSON (``--json`` of ``listenlens eval``, ``bench/event_eval.json``)."""
    splits = sorted({c.split for c in calls if c.split})
    return {
        "schema": SCHEMA,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **extra,
        "folder": folder,
        "tolerances": TOLERANCES,
        "calls": len(calls),
        "audio_minutes": sum(c.duration_s for c in calls) / 60.0,
        "splits": {sp: [c.id for c in calls if c.split == sp] for sp in splits},
        "variants": {r.variant: r.to_dict() for r in reports},
    }


def _pct(x: float | None) -> float | None:
    return None if x is None else 100.0 * x
