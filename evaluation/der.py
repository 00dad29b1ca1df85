"""Diarization error against the truth: DER, its parts and JER, from pyannote.metrics."""

from __future__ import annotations

DEFAULT_COLLARS = (0.0, 0.25)
COLLAR_CONVENTION = "collar c forgives c seconds on each side of each reference boundary (NIST md-eval -c); pyannote.metrics collar = 2c"


def collar_key(collar: float) -> str:
    """How a collar names its figures in the report: ``"0"``, ``"0.25"``."""
    return f"{collar:g}"


def scored_region(case_uem: list[tuple[float, float]] | None, duration: float):
    from pyannote.core import Segment, Timeline

    regions = case_uem if case_uem else [(0.0, duration)]
    return Timeline([Segment(s, e) for s, e in regions]).support()


def diarization_error(reference, hypothesis, uem, collar: float) -> dict[str, float]:
    """DER and its parts (seconds and rates) and JER, for one file at one collar."""
    from pyannote.metrics.diarization import DiarizationErrorRate, JaccardErrorRate

    der = DiarizationErrorRate(collar=2 * collar)
    parts = der(reference, hypothesis, uem=uem, detailed=True)
    jer = JaccardErrorRate(collar=2 * collar)
    jparts = jer(reference, hypothesis, uem=uem, detailed=True)
    return _rates(
        total_s=parts["total"],
        missed_s=parts["missed detection"],
        false_alarm_s=parts["false alarm"],
        confusion_s=parts["confusion"],
        jer_speaker_error=jparts["speaker error"],
        jer_speaker_count=jparts["speaker count"],
    )


def _rates(*, total_s, missed_s, false_alarm_s, confusion_s, jer_speaker_error, jer_speaker_count) -> dict[str, float]:
    # pyannote gives numpy scalars; plain floats keep the report JSON-ready.
    total_s, missed_s, false_alarm_s, confusion_s = map(float, (total_s, missed_s, false_alarm_s, confusion_s))
    jer_speaker_error, jer_speaker_count = float(jer_speaker_error), float(jer_speaker_count)

    def rate(x: float) -> float | None:
        return x / total_s if total_s > 0 else None

    return {
        "der": rate(missed_s + false_alarm_s + confusion_s),
        "missed": rate(missed_s),
        "false_alarm": rate(false_alarm_s),
        "confusion": rate(confusion_s),
        "jer": jer_speaker_error / jer_speaker_count if jer_speaker_count else None,
        "total_s": total_s,
        "missed_s": missed_s,
        "false_alarm_s": false_alarm_s,
        "confusion_s": confusion_s,
        "jer_speaker_error": jer_speaker_error,
        "jer_speaker_count": jer_speaker_count,
    }


def pool_diarization(per_file: list[dict[str, float]]) -> dict[str, float]:
    """Corpus-level figures: seconds summed over files, then divided (as pyannote's ``abs(metric)``)."""
    keys = ("total_s", "missed_s", "false_alarm_s", "confusion_s", "jer_speaker_error", "jer_speaker_count")
    return _rates(**{k: sum(f[k] for f in per_file) for k in keys})


def speaker_mapping(reference, hypothesis, uem) -> dict[str, str]:
    """Hypothesis label -> truth label, the optimal one-to-one mapping (unmapped labels absent)."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    return {str(h): str(r) for h, r in DiarizationErrorRate().optimal_mapping(reference, hypothesis, uem=uem).items()}
