"""The scorecard contract and the score arithmetic, on hand-built timelines."""

import json

import pytest
from pydantic import ValidationError

from handbuilt import rules_only  # noqa: E402
from listenlens.errors import ListenlensError
from listenlens.pipeline.metrics import MetricsConfig
from listenlens.pipeline.scorecard import SCHEMA, Scorecard, ScorecardConfig, Target, curve, score_call
from listenlens.pipeline.timeline import CallTimeline, Turn, build_timeline

ROLES = {"R": "rep", "C": "customer"}


def words(spk, t0, text, step=0.5):
    return [(t0 + i * step, t0 + (i + 1) * step, w, spk) for i, w in enumerate(text.split())]


class NoEmbedder:
    def encode(self, sentences, **kwargs):
        raise AssertionError("the embedder must not be called")


def discovery_call():
    """A 202.8 s call whose every metric is known by construction."""
    turns = [(0, 5, "R"), (6, 66, "C"), (66.8, 181.8, "R"), (187.8, 202.8, "C"), (195, 200, "R")]
    ws = (
        words("R", 0, "What are your goals this year?")  # 0-3: answered by C at 6
        + words("C", 6, "our reporting takes two full days every month")
        + words("C", 64, "that is the problem")  # ends 66.0
        + words("R", 66.8, "It sounds like reporting is slow for you")  # patience 0.8, opener
        + words("R", 100, "Does that make sense?")  # 100-102
        + words("R", 103, "Anyway the dashboard")  # self-answered after 1.0 s
        + words("R", 195, "wait let me stop you there")  # talks over the customer's last turn
    )
    return build_timeline(turns, ws, roles=ROLES, duration=210)


@pytest.fixture(scope="module")
def card():
    return score_call(discovery_call(), rules_only(), embedder=NoEmbedder())


def comp(card, name):
    return card.component(name)


def test_contract_fields(card):
    assert card.schema_ == SCHEMA and card.model_dump(mode="json")["schema"] == SCHEMA
    assert [s.model_dump(mode="json") for s in card.speakers] == [
        {"label": "C", "role": "customer", "talk_time_s": 75.0},
        {"label": "R", "role": "rep", "talk_time_s": 125.0},
    ]
    m = card.metrics
    assert m.talk_ratio == 0.625
    assert m.longest_monologue_s == 115.0 and m.longest_customer_story_s == 60.0
    assert m.non_talk_s == pytest.approx(1.0 + 0.8 + 6.0, abs=1e-3)  # 5-6, 66-66.8, 181.8-187.8
    (i,) = m.interruptions
    assert (i.start, i.by, i.of, i.by_label, i.of_label, i.overlap_s, i.yielded) == (
        195.0, "rep", "customer", "R", "C", 5.0, False)
    assert [(q.start, q.end, q.text, q.wait_s, q.honoured) for q in m.questions] == [
        (0.0, 3.0, "What are your goals this year?", 3.0, True),
        (100.0, 102.0, "Does that make sense?", 1.0, False),
    ]
    (p,) = m.paraphrases
    assert (p.start, p.method, p.restates_start, p.restates_end) == (66.8, "opener", 6.0, 66.0)
    assert p.restates == "our reporting takes two full days every month that is the problem"
    assert m.patience.median_s == 0.8
    assert m.four_second_rule.share_honoured == 0.5 and m.four_second_rule.median_wait_s == 2.0
    assert (m.interactivity.switches, m.interactivity.per_minute) == (3, round(3 / (202.8 / 60), 3))
    assert m.customer_stories.count == 1 and m.customer_stories.played_back == 1
    assert m.interruption_counts.rep_on_customer == 1 and m.interruption_counts.customer_on_rep == 0


def test_component_scores_follow_the_curves(card):
    expected = {
        "talk_ratio": (0.625, 50.0),  # (0.75 - 0.625) / (0.75 - 0.50)
        "longest_monologue": (115.0, 100.0),
        "patience": (0.8, 100.0),
        "four_second_rule": (0.5, 62.5),  # 0.5 / 0.8
        "interruptions": (600 / 202.8, (6 - 600 / 202.8) / 5 * 100),
        "paraphrase": (1.0, 100.0),
        "question_rate": (1200 / 202.8, 100.0),
    }
    for name, (value, score) in expected.items():
        c = comp(card, name)
        assert c.applicable and c.value == pytest.approx(value, abs=1e-3), name
        assert c.score == pytest.approx(score, abs=0.05), name
        assert c.met is (score >= 100)
    weights = {c.name: c.weight for c in card.components}
    total = sum(weights[n] * comp(card, n).score for n in weights) / sum(weights.values())
    assert card.score == round(total) == 75
    assert sum(c.share for c in card.components) == pytest.approx(1.0, abs=1e-3)


def test_components_carry_their_moments(card):
    (v,) = comp(card, "four_second_rule").moments
    assert v.start == 100.0 and v.text == "Does that make sense?"
    (i,) = comp(card, "interruptions").moments
    assert i.start == 195.0
    assert next(line for line in i.transcript if line.speaker == "R").role == "rep"


def test_coaching_moments(card):
    kinds = [(m.kind, m.start, m.good) for m in card.moments]
    assert kinds == [("paraphrase", 66.8, True), ("four_second_rule", 100.0, False),
                     # the close of the call (its last 30 s) has no agreed next step
                     ("missing_next_step", 172.8, False),
                     ("dead_air", 181.8, False),  # 6 s where nobody spoke, after no question
                     ("interruption", 195.0, False)]
    inter = card.moments[-1]
    texts = [(line.speaker, line.text) for line in inter.transcript]
    assert ("R", "wait let me stop you there") in texts
    assert all(192.0 - 1e-6 <= line.start <= 203.0 for line in inter.transcript)  # 3 s of context


def test_monologue_over_target_is_a_moment():
    tl = build_timeline([(0, 200, "R"), (201, 230, "C")], words("R", 0, "let me tell you everything"), roles=ROLES)
    card = score_call(tl, rules_only(), embedder=NoEmbedder())
    (m,) = [m for m in card.moments if m.kind == "monologue"]
    assert (m.start, m.end, m.duration_s) == (0.0, 200.0, 200.0)
    assert comp(card, "longest_monologue").score == pytest.approx(100 * (300 - 200) / 150, abs=0.05)


def test_not_applicable_components_are_left_out_and_weights_renormalised():
    tl = build_timeline([(0, 15, "R"), (15.5, 20, "C")], roles=ROLES)  # no words, 20 s
    card = score_call(tl, rules_only(), embedder=NoEmbedder())
    applicable = {c.name for c in card.components if c.applicable}
    assert applicable == {"talk_ratio", "longest_monologue"}
    for c in card.components:
        if not c.applicable:
            assert c.score is None and c.value is None and c.share == 0.0 and c.reason
    assert comp(card, "four_second_rule").reason == "the rep asked no questions"
    assert comp(card, "talk_ratio").score == 0.0  # 15 / 19.5 > 0.75
    assert comp(card, "talk_ratio").share == pytest.approx(3 / 4.5, abs=1e-3)
    assert card.score == round((3 * 0 + 1.5 * 100) / 4.5) == 33


def test_empty_timeline_has_no_score_and_no_crash():
    card = score_call(build_timeline([]), rules_only(), embedder=NoEmbedder())
    assert card.score is None and card.score_note
    assert not any(c.applicable for c in card.components)
    assert card.speakers == [] and card.moments == []
    json.loads(card.model_dump_json())


def test_unknown_roles_only():
    card = score_call(build_timeline([(0, 10, "A"), (5, 12, "B")]), rules_only(), embedder=NoEmbedder())
    assert card.metrics.talk_ratio is None and card.score is None
    assert card.metrics.interruptions[0].by == "unknown"


def test_result_is_json(card):
    assert json.loads(card.model_dump_json())["score"] == card.score
    assert Scorecard.model_validate_json(card.model_dump_json()) == card


def test_targets_and_thresholds_are_configurable():
    cfg = ScorecardConfig(targets={"talk_ratio": Target(weight=3, good_min=0.55, good_max=0.65,
                                                        zero_below=0.3, zero_above=0.9, label="55-65%")})
    card = score_call(discovery_call(), rules_only(cfg), embedder=NoEmbedder())
    assert comp(card, "talk_ratio").score == 100.0
    assert len(card.components) == 11  # the other targets keep their defaults
    cfg = ScorecardConfig(metrics=MetricsConfig(four_second_rule_s=0.5))
    card = score_call(discovery_call(), rules_only(cfg), embedder=NoEmbedder())
    assert card.metrics.four_second_rule.share_honoured == 1.0
    assert card.settings["metrics"]["four_second_rule_s"] == 0.5


def test_zero_weight_drops_a_component_from_the_score():
    cfg = ScorecardConfig(targets={"talk_ratio": Target(weight=0, good_max=0.5, zero_above=0.75)})
    card = score_call(discovery_call(), rules_only(cfg), embedder=NoEmbedder())
    assert card.score == round((1.5 * 100 + 1.5 * 100 + 2 * 62.5 + 2 * comp(card, "interruptions").score
                                   + 100 + 100) / 9)


def test_curve():
    talk = Target(weight=1, good_min=0.35, good_max=0.5, zero_below=0.1, zero_above=0.75)
    assert [curve(v, talk) for v in (0.43, 0.35, 0.5, 0.75, 0.9, 0.1, 0.0)] == [100, 100, 100, 0, 0, 0, 0]
    assert curve(0.2, talk) == pytest.approx(40.0)
    assert curve(0.6, talk) == pytest.approx(60.0)
    with pytest.raises(ValidationError):
        Target(weight=1, good_min=0.5)  # no zero point
    with pytest.raises(ValidationError):
        Target(weight=1, good_max=1.0, zero_above=0.5)
    with pytest.raises(ValidationError):
        ScorecardConfig(targets={"charisma": Target(weight=1)})


def test_bad_input_is_a_clear_error():
    with pytest.raises(ListenlensError, match="CallTimeline"):
        score_call({"speech": []})
    bad = CallTimeline(duration=5, speech=[Turn(3.0, 1.0, "R")], words=[], speakers=[])
    with pytest.raises(ListenlensError, match="end >= start"):
        score_call(bad)
    with pytest.raises(ListenlensError, match="not a valid interval"):
        score_call(CallTimeline(duration=5, speech=[Turn(float("nan"), 1.0, "R")], words=[], speakers=[]))


def test_interruptions_are_not_measured_when_the_diarizer_cannot_see_overlap():
    from listenlens.pipeline.scorecard import score_call
    from listenlens.pipeline.timeline import build_timeline

    turns = [(0.0, 100.0, "R"), (100.5, 200.0, "C"), (200.5, 300.0, "R")]
    words = [(0.0, 1.0, "Hello.", "R"), (100.5, 101.0, "Hi.", "C"), (200.5, 201.0, "Okay.", "R")]
    tl = build_timeline(turns, words, {"R": "rep", "C": "customer"})
    tl.source["diarizer"] = {"backend": "embedded", "detects_overlap": False}
    result = score_call(tl, rules_only(), embedder=_NoSemantic())
    comp = result.component("interruptions")
    assert comp.applicable is False and "not measured" in comp.reason
    assert result.metrics.interruption_counts.measured is False
    tl.source["diarizer"]["detects_overlap"] = True
    result = score_call(tl, rules_only(), embedder=_NoSemantic())
    comp = result.component("interruptions")
    assert comp.applicable is True and comp.value == 0
    # Mono overlaps are detected, not separated: the counts say they are estimates.
    assert result.metrics.interruption_counts.estimated is True
    for mono in ("segmented", "pyannote"):
        tl.source["diarizer"] = {"backend": mono, "detects_overlap": True}
        assert score_call(tl, rules_only(), embedder=_NoSemantic()).metrics.interruption_counts.estimated is True
    tl.source["diarizer"] = {"backend": "channels", "detects_overlap": True}
    assert score_call(tl, rules_only(), embedder=_NoSemantic()).metrics.interruption_counts.estimated is False


class _NoSemantic:
    def encode(self, texts, **kwargs):
        import numpy as np

        return np.eye(len(texts), 8)


def _with_confidence(timeline, speaker, start, end, confidence):
    """The timeline with ``speaker``'s words in [start, end) given ``confidence``."""
    from dataclasses import replace

    timeline.words = [replace(w, speaker_confidence=confidence) if w.speaker == speaker and start <= w.start < end else w
                      for w in timeline.words]
    return timeline


def test_an_uncertain_question_is_listed_and_marked_but_does_not_move_the_score():
    def card(confidence):
        ws = (words("R", 0, "What are your goals this year?") + words("C", 4, "growth mostly")
              + words("R", 6, "Do you use a CRM?") + words("R", 8.5, "I guess Salesforce.")
              + words("C", 12, "yes we do"))
        tl = build_timeline([(0, 3, "R"), (4, 5, "C"), (6, 10.5, "R"), (12, 13.5, "C")], ws, roles=ROLES)
        return score_call(_with_confidence(tl, "R", 6, 8.5, confidence), rules_only(), embedder=NoEmbedder())

    sure, unsure = card(1.0), card(0.2)
    q_sure = [q for q in sure.metrics.questions if q.text == "Do you use a CRM?"][0]
    q_unsure = [q for q in unsure.metrics.questions if q.text == "Do you use a CRM?"][0]
    assert (q_sure.uncertain, q_unsure.uncertain) == (False, True)
    assert q_unsure.confidence < unsure.settings["uncertain_below"] <= q_sure.confidence
    # Sure: one of two questions self-answered; unsure: only the honoured one counts.
    assert sure.metrics.four_second_rule.share_honoured == 0.5
    assert unsure.metrics.four_second_rule.share_honoured == 1.0
    assert unsure.metrics.four_second_rule.uncertain == 1
    assert unsure.component("four_second_rule").score == card_without_the_question().component("four_second_rule").score
    # The call's moments still show it, marked uncertain.
    shown = [m for m in unsure.moments if m.kind == "four_second_rule"]
    assert len(shown) == 1 and shown[0].uncertain


def card_without_the_question():
    ws = words("R", 0, "What are your goals this year?") + words("C", 4, "growth mostly") + words("C", 12, "yes we do")
    tl = build_timeline([(0, 3, "R"), (4, 5, "C"), (12, 13.5, "C")], ws, roles=ROLES)
    return score_call(tl, rules_only(), embedder=NoEmbedder())


def test_an_interruption_no_word_confirms_is_uncertain_on_a_mono_call_only():
    # R talks 0-10 s; C's speech 4-7 s over it has no recognised word.
    def card(backend):
        tl = build_timeline([(0, 10, "R"), (4, 7, "C"), (11, 14, "C")],
                            words("R", 0, "so the plan covers every site and every user we have") + words("C", 11, "sounds good"),
                            roles=ROLES)
        tl.source = {"diarizer": {"backend": backend, "detects_overlap": True}}
        return score_call(tl, rules_only(), embedder=NoEmbedder())

    mono, dual = card("segmented"), card("channels")
    assert [i.uncertain for i in mono.metrics.interruptions] == [True]
    assert [i.uncertain for i in dual.metrics.interruptions] == [False]
    assert mono.metrics.interruption_counts.customer_on_rep == 0 and mono.metrics.interruption_counts.uncertain == 1
    assert dual.metrics.interruption_counts.customer_on_rep == 1


def _cut_in(overlap_confidence, alone_confidence, probability=0.9):
    """R talks 0-6 s; C cuts in at 4 s and goes on alone to 9 s. C's words under R's voice
    get ``overlap_confidence``, those after it ``alone_confidence``."""
    from dataclasses import replace

    ws = words("R", 0, "so the plan covers every site and every user") + words("C", 4, "wait how much is that per site then")
    tl = build_timeline([(0, 6, "R"), (4, 9, "C")], ws, roles=ROLES)
    tl.words = [replace(w, speaker_confidence=overlap_confidence if w.start < 6 else alone_confidence, probability=probability)
                if w.speaker == "C" else w for w in tl.words]
    tl.source = {"diarizer": {"backend": "segmented", "detects_overlap": True}}
    return score_call(tl, rules_only(), embedder=NoEmbedder()).metrics


def test_an_interruption_rests_on_the_interrupters_words_where_they_speak_alone():
    # In the overlap the diarizer hears two voices and is unsure of every word: that is
    # what an interruption is, not a doubt about it.
    (sure,) = _cut_in(overlap_confidence=0.3, alone_confidence=0.95).interruptions
    assert not sure.uncertain and sure.confidence == 0.95
    # Heard as the customer nowhere: doubtful.
    (unsure,) = _cut_in(overlap_confidence=0.3, alone_confidence=0.3).interruptions
    assert unsure.uncertain


def test_misheard_words_do_not_make_an_interruption_doubtful():
    (i,) = _cut_in(overlap_confidence=0.3, alone_confidence=0.95, probability=0.3).interruptions
    assert not i.uncertain
