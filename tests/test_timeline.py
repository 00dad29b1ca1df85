import json

import pytest

from listenlens.pipeline.timeline import SCHEMA, CallTimeline, Role, build_timeline


def sample() -> CallTimeline:
    return build_timeline(
        turns=[(0.0, 2.0, "A"), (1.5, 3.0, "B"), (2.5, 4.0, "A")],
        words=[(0.1, 0.5, "Hello", "A"), (1.6, 2.0, "Hi", "B")],
        roles={"A": "rep", "B": "customer"},
    )


def test_json_round_trip_keeps_everything():
    tl = sample()
    data = json.loads(json.dumps(tl.to_dict()))
    assert data["schema"] == SCHEMA
    back = CallTimeline.from_dict(data)
    assert back.to_dict() == tl.to_dict()
    assert back.role_of("A") is Role.REP and back.labels(Role.CUSTOMER) == ["B"]


def test_unknown_schema_is_refused():
    data = sample().to_dict()
    data["schema"] = "listenlens.timeline/99"
    with pytest.raises(ValueError, match="unsupported timeline schema"):
        CallTimeline.from_dict(data)


def test_support_merges_own_overlaps_once():
    tl = sample()
    assert tl.support(["A"]).duration() == pytest.approx(3.5)  # [0,2] U [2.5,4]
    assert tl.support().duration() == pytest.approx(4.0)


def test_annotation_keeps_overlapping_turns_of_one_speaker():
    tl = build_timeline([(0, 2, "A"), (1, 3, "A")])
    ann = tl.annotation()
    assert len(list(ann.itertracks())) == 2
    assert ann.label_duration("A") == pytest.approx(3.0)  # pyannote's own union


def test_numpy_times_become_plain_floats():
    import numpy as np

    from listenlens.pipeline.timeline import Turn, Word

    t = Turn(np.float64(1.5), np.float32(2.0), "A")
    w = Word(np.float64(1.5), np.float64(1.7), "hi", "A", np.float32(0.9))
    assert type(t.start) is float and type(t.end) is float and type(w.probability) is float
    json.dumps(build_timeline([(np.float64(0), np.float64(1), "A")]).to_dict())


def test_word_speaker_confidence_round_trips_and_defaults_to_one():
    from listenlens.pipeline.timeline import CallTimeline, Speaker, Turn, Word

    tl = CallTimeline(duration=2.0, speech=[Turn(0.0, 1.0, "A")], speakers=[Speaker("A")],
                      words=[Word(0.1, 0.5, "hi", "A", 0.9, 0.42)])
    data = tl.to_dict()
    assert data["words"][0]["speaker_confidence"] == 0.42
    assert CallTimeline.from_dict(data).words[0].speaker_confidence == 0.42
    del data["words"][0]["speaker_confidence"]  # a timeline stored before the field existed
    assert CallTimeline.from_dict(data).words[0].speaker_confidence == 1.0
