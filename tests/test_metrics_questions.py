"""Questions by form, their wait times, and the four-second rule."""

import pytest

from listenlens.pipeline.metrics import MetricsConfig, find_questions, four_second_rule, question_form, question_rate
from listenlens.pipeline.timeline import Role, build_timeline

ROLES = {"R": "rep", "C": "customer"}


def words(spk, t0, text, step=0.5):
    return [(t0 + i * step, t0 + (i + 1) * step, w, spk) for i, w in enumerate(text.split())]


def call(*lines, duration=None, roles=ROLES):
    """lines: (speaker, start, text); speech turns cover each line's words."""
    ws, turns = [], []
    for spk, t0, text in lines:
        w = words(spk, t0, text)
        ws += w
        turns.append((w[0][0], w[-1][1], spk))
    return build_timeline(turns, ws, roles=roles, duration=duration)


@pytest.mark.parametrize(
    "text, form",
    [
        ("What are your goals", "wh"),
        ("So what's the budget", "wh"),
        ("How many users do you have", "wh"),
        ("Which plan do you prefer", "wh"),
        ("Okay, and what about timing", "wh"),
        ("Do you use Salesforce", "inversion"),
        ("Could you walk me through it", "inversion"),
        ("Okay, and is there a deadline", "inversion"),
        ("Have you considered an upgrade", "inversion"),
        ("I know it's early, don't you think it's worth a look", "inversion"),
        ("That works for you, right", "tag"),
        ("It's expensive, isn't it", "tag"),
        ("You're the decision maker?", "mark"),
        ("I was wondering if you had time next week", "indirect"),
    ],
)
def test_questions_by_form_not_only_by_question_mark(text, form):
    assert question_form(text) == form


@pytest.mark.parametrize(
    "text",
    [
        "What I mean is we can help.",
        "How we do it is simple.",
        "When you're ready we can start.",
        "Have a great day.",
        "That's right.",
        "Okay, right.",
        "We have three plans.",
        "Thanks so much for your time.",
        "I know what you need.",
        "",
    ],
)
def test_statements_are_not_questions(text):
    assert question_form(text) is None


@pytest.mark.parametrize("text", ["Hello?", "hello, hello?", "Hi there?", "Good morning?"])
def test_a_greeting_heard_rising_checks_the_line_and_is_not_a_question(text):
    assert question_form(text) is None


@pytest.mark.parametrize(("text", "form"), [
    ("Hello, are you still there?", "inversion"),
    ("Hello, so the renewal is in March?", "mark"),
    ("There?", "mark"),
])
def test_a_greeting_with_more_than_greeting_words_can_still_be_a_question(text, form):
    assert question_form(text) == form


def one(tl, **kw):
    (q,) = find_questions(tl, MetricsConfig(**kw))
    return q


def test_customer_answers():
    q = one(call(("R", 0, "What is your budget?"), ("C", 3, "About ten thousand dollars.")))
    assert (q.start, q.end, q.text, q.wait_s, q.next_by, q.outcome, q.honoured) == (
        0, 2.0, "What is your budget?", 1.0, "C", "answered", True)


def test_rep_answers_own_question():
    q = find_questions(call(("R", 0, "What is your budget?"), ("R", 2.5, "We usually see ten thousand.")))
    assert [(x.wait_s, x.outcome, x.honoured) for x in q] == [(0.5, "self_answered", False)]


def test_stacked_questions():
    qs = find_questions(call(("R", 0, "What is your budget?"), ("R", 2, "Is it over ten thousand?"),
                             ("C", 6, "Yes it is.")))
    assert [(q.text, q.wait_s, q.outcome, q.honoured) for q in qs] == [
        ("What is your budget?", 0.0, "stacked", False),
        ("Is it over ten thousand?", 1.5, "answered", True),
    ]


def test_rep_who_waits_four_seconds_honours_the_rule():
    q = one(call(("R", 0, "What is your budget?"), ("R", 6, "No rush at all.")))
    assert (q.wait_s, q.outcome, q.honoured) == (4.0, "waited", True)
    q = one(call(("R", 0, "What is your budget?"), ("R", 5.5, "No rush at all.")))
    assert (q.wait_s, q.outcome, q.honoured) == (3.5, "self_answered", False)
    q = one(call(("R", 0, "What is your budget?"), ("R", 5.5, "No rush at all.")), four_second_rule_s=3.0)
    assert q.honoured


def test_question_at_the_end_of_the_call_waits_until_the_end():
    q = one(call(("C", 0, "I think that covers it."), ("R", 3, "Any other questions?"), duration=10))
    assert (q.end, q.wait_s, q.next_by, q.outcome, q.honoured) == (4.5, 5.5, None, "end_of_call", True)


def test_backchannel_during_the_question_is_not_the_next_speech():
    q = one(call(("R", 0, "What is your budget?"), ("C", 1, "mm-hmm"), ("C", 3, "About ten thousand.")))
    assert (q.wait_s, q.next_by, q.outcome) == (1.0, "C", "answered")


def test_customer_talking_over_the_end_gives_negative_wait():
    q = one(call(("R", 0, "What is your budget for this?"), ("C", 2.5, "About ten thousand.")))
    assert (q.end, q.wait_s, q.outcome) == (3.0, -0.5, "answered")


def test_unknown_speaker_next_then_rep_too_soon():
    q = one(call(("R", 0, "What is your budget?"), ("U", 2.5, "hello"), ("R", 3, "As I was saying.")))
    assert (q.wait_s, q.next_by, q.next_role, q.outcome, q.honoured) == (0.5, "U", Role.UNKNOWN, "self_answered", False)


def test_sentences_split_at_pauses_when_punctuation_is_missing():
    qs = find_questions(call(("R", 0, "what is your budget"), ("R", 3.5, "we have plans for every size")))
    assert [(q.text, q.wait_s, q.outcome) for q in qs] == [("what is your budget", 1.5, "self_answered")]


def test_only_rep_questions_count():
    assert find_questions(call(("C", 0, "What does it cost?"), ("R", 3, "It depends on seats."))) == []


def test_four_second_rule_summary():
    tl = call(
        ("R", 0, "What is your budget?"), ("C", 3, "About ten thousand dollars."),
        ("R", 6, "Do you have a deadline?"), ("R", 9, "We can move fast."),
        ("R", 12, "Shall we book a call?"), duration=20,
    )
    qs = find_questions(tl)
    assert [(q.outcome, q.wait_s) for q in qs] == [("answered", 1.0), ("self_answered", 0.5), ("end_of_call", 5.5)]
    rule = four_second_rule(qs)
    assert (rule.asked, rule.honoured, rule.self_answered, rule.stacked) == (3, 2, 1, 0)
    assert rule.share_honoured == pytest.approx(2 / 3)
    assert rule.median_wait_s == pytest.approx(0.75)  # end-of-call wait left out
    assert [v.start for v in rule.violations] == [6]
    # 3 questions over 14.5 s of speech, per 10 minutes
    assert question_rate(qs, tl, MetricsConfig()) == pytest.approx(3 / 14.5 * 600)


def test_no_questions_is_not_applicable_not_zero():
    tl = call(("R", 0, "Thanks for joining."), ("C", 3, "Happy to be here."))
    rule = four_second_rule(find_questions(tl))
    assert (rule.asked, rule.share_honoured, rule.median_wait_s, rule.violations) == (0, None, None, [])
    assert question_rate([], tl, MetricsConfig()) == 0.0
    assert question_rate([], build_timeline([]), MetricsConfig()) is None


def test_a_fragment_cut_off_by_the_customer_joins_the_rep_sentence_it_finishes():
    # "Right, and we ..." is talked over; the recogniser goes on "did it directly." in
    # lower case after the customer's words: one statement, not the question "did it ...".
    tl = talked_over(("R", 0.0, "Right, and we"), ("C", 1.6, "for many years"), ("R", 3.4, "did it directly."))
    assert find_questions(tl) == []


def test_a_capitalised_sentence_after_the_customer_spoke_is_a_sentence_of_its_own():
    tl = talked_over(("R", 0.0, "Right, and we"), ("C", 1.6, "for many years"), ("R", 3.4, "Did it work?"))
    assert [q.text for q in find_questions(tl)] == ["Did it work?"]


def test_a_lower_case_sentence_after_a_clean_hand_over_is_a_sentence_of_its_own():
    # Nobody talked at once: the customer's turn between is a reply, not an interruption.
    tl = call(("R", 0.0, "we also do forecasting"), ("C", 2.5, "great thanks"), ("R", 4.5, "what do you need most?"),
              duration=10.0)
    assert [q.text for q in find_questions(tl)] == ["what do you need most?"]


def talked_over(*lines):
    """``call``, with the rep audible (words not recognised) all through the customer's words."""
    tl = call(*lines, duration=10.0)
    from listenlens.pipeline.timeline import Turn

    rep_words = [w for w in tl.words if w.speaker == "R"]
    tl.speech = sorted([t for t in tl.speech if t.speaker != "R"] + [Turn(rep_words[0].start, rep_words[-1].end, "R")],
                       key=lambda t: t.start)
    return tl


def test_a_pause_nobody_filled_still_ends_a_sentence():
    # Without punctuation a pause is the only sentence end the recogniser gives.
    tl = call(("R", 0.0, "so we set it up"), ("R", 4.5, "do you use Salesforce"), ("C", 9.0, "yes we do"),
              duration=12.0)
    assert [q.text for q in find_questions(tl)] == ["do you use Salesforce"]


@pytest.mark.parametrize(
    "text, form",
    [
        ("Which of those matters most to you.", "wh"),  # the recogniser's "." instead of "?"
        ("which one would you start with", "wh"),
        ("how many seats would you need", "wh"),
        ("How much of that is manual.", "wh"),
        ("what kind of volume are we talking about", "wh"),
        ("What size is the team that would use this.", "wh"),
        ("who handles billing on your side", "wh"),  # wh-word + verb: the wh-word is the subject
        ("What made you reach out to us", "wh"),
        ("why now", "wh"),
        ("do the support agents have access to billing", "inversion"),
        ("have the managers seen the proposal yet", "inversion"),
        ("so the team is about twenty people right", "tag"),  # no comma before the tag
        ("you've seen our demo before haven't you", "tag"),
        ("I'm curious how you handle the handoff to support", "indirect"),
        ("I'd love to know what a good outcome looks like for you.", "indirect"),
        ("Tell me about your current setup.", "request"),
        ("so walk me through the renewal process", "request"),
        ("anything else I should know about the setup", "ellipsis"),
        ("Any questions so far?", "ellipsis"),
    ],
)
def test_question_forms_without_the_question_mark(text, form):
    assert question_form(text) == form


@pytest.mark.parametrize(
    "text",
    [
        "What we do is connect all your data in one place.",
        "How we got here was a lot of trial and error.",
        "Which is why we built the export feature.",
        "How much you save depends on the volume.",
        "What makes us different is the support team.",
        "it depends on how many seats you need",
        "I'm not sure how much that would cost yet",
        "We'll work out which integrations you need.",
        "the problem is that we never had the budget",
        "Every new hire takes three months, which is way too long for us.",
        "Have your team send me the list.",
        "let me know if anything changes on your side",
        "so do we",
        "you're right about that",
        "So what you're saying is that one analyst spends every Monday on spreadsheets.",
        "every month you get a report that shows how many people came into the shop",
        "I will suggest which findings to test first, and which ones can wait for the second round.",
        # the verb a modal governs, whatever the recogniser heard it as ("suggest" -> "connect")
        "In the plan I will also connect which of your own findings to test first and which ones can wait",
        "I'll just flag which of the reports your finance team needs",
        "I'll have it to you Monday morning.",
        "Our reporting does that automatically every night.",
        "The timing just isn't right.",
    ],
)
def test_statements_opening_with_a_wh_word_or_embedding_one_are_not_questions(text):
    assert question_form(text) is None


@pytest.mark.parametrize(
    "text, question",
    [
        ("okay so you mentioned the team how many people are on it", "how many people are on it"),
        ("So you're on the old plan which features do you actually use", "which features do you actually use"),
        ("we talked about pricing last time did you get a chance to review it", "did you get a chance to review it"),
        ("you said the data lives in spreadsheets is that right", "is that right"),
        ("so you're using spreadsheets right now who maintains them", "who maintains them"),
        ("Thanks for walking me through that, what happens when a deal stalls?", "what happens when a deal stalls?"),
        ("Okay, so, what's the budget", "Okay, so, what's the budget"),  # lead-ins stay with the question
        ("what's your timeline we could start as early as may", "what's your timeline we could start as early as may"),
        ("You mentioned three vendors which one do you trust most", "which one do you trust most"),
        ("So the launch slipped to April why did that happen", "why did that happen"),  # "to" is no modal here
    ],
)
def test_a_question_run_on_after_a_statement_starts_at_its_own_first_word(text, question):
    (q,) = find_questions(call(("R", 0, text), ("C", 30, "Sure.")))
    assert q.text == question
    n_before = len(text.split()) - len(question.split())
    assert (q.start, q.end) == (n_before * 0.5, len(text.split()) * 0.5)


def test_run_on_statements_hold_no_question():
    tl = call(("R", 0, "we have a team that handles this they meet every week"),
              ("R", 8, "the setup is simple we do most of it for you"), ("C", 20, "Okay."))
    assert find_questions(tl) == []
