import pytest

from listenlens.errors import ConfigError
from listenlens.pipeline.roles import assign_roles
from listenlens.pipeline.timeline import CallTimeline, Role, RoleSource, Speaker, Turn, Word


def call(lines, channels=None):
    words, turns, t = [], [], 0.0
    for speaker, text in lines:
        start = t
        for token in text.split():
            words.append(Word(t, t + 0.3, token, speaker))
            t += 0.35
        turns.append(Turn(start, t, speaker))
        t += 0.5
    labels = sorted({s for s, _ in lines})
    speakers = [Speaker(lbl, channel=(channels or {}).get(lbl)) for lbl in labels]
    return CallTimeline(duration=t, speech=turns, words=words, speakers=speakers)


SALES = [
    ("S1", "Hello?"),
    ("S0", "Hi, this is Sam from Acme. Thanks for taking my call."),
    ("S1", "Sure."),
    ("S0", "What tools do you use today? How big is the team?"),
    ("S1", "We use spreadsheets and we are five people."),
]


def test_inferred_from_introduction_and_questions():
    tl = call(SALES)
    result = assign_roles(tl)
    assert tl.role_of("S0") is Role.REP and tl.role_of("S1") is Role.CUSTOMER
    assert result.source is RoleSource.INFERRED
    assert result.confidence > 0.9
    assert any("introduces self" in e for e in result.evidence)


def test_customer_who_asks_more_is_still_not_the_rep_after_an_introduction():
    lines = SALES + [("S1", "What does it cost? Is there a trial? Do you integrate with Salesforce?")]
    tl = call(lines)
    assign_roles(tl)
    assert tl.role_of("S0") is Role.REP


def test_tie_gives_low_confidence_and_says_so():
    tl = call([("A", "ok sure"), ("B", "fine thanks")])
    result = assign_roles(tl)
    assert result.confidence == 0.5
    assert any("--rep" in e for e in result.evidence)


def test_hint_by_label_and_by_name():
    tl = call(SALES)
    assert assign_roles(tl, rep="S1").source is RoleSource.HINT
    assert tl.role_of("S1") is Role.REP
    result = assign_roles(tl, rep="Sam")
    assert tl.role_of("S0") is Role.REP and result.confidence == 0.9


def test_unknown_hint_is_a_clear_error():
    with pytest.raises(ConfigError, match="neither a speaker label"):
        assign_roles(call(SALES), rep="Alex")


def test_channel_map():
    tl = call(SALES, channels={"S0": 1, "S1": 0})
    result = assign_roles(tl, channels="customer,rep")
    assert tl.role_of("S0") is Role.REP and result.source is RoleSource.CHANNEL_MAP and result.confidence == 1.0


@pytest.mark.parametrize("bad", ["rep,boss", "customer,customer", ""])
def test_bad_channel_map(bad):
    with pytest.raises(ConfigError, match="--channels"):
        assign_roles(call(SALES, channels={"S0": 0, "S1": 1}), channels=bad or ",")


def test_channel_map_on_a_mono_diarization_is_refused():
    with pytest.raises(ConfigError, match="--rep LABEL instead"):
        assign_roles(call(SALES), channels="rep,customer")


@pytest.mark.parametrize("opening", [
    "Hi Kevin, it's Matt from Iron Bridge. I have Lisa from our engineering team with me today.",
    "It is Matt with Iron Bridge, do you have a minute?",
])
def test_its_name_from_company_is_an_introduction(opening):
    """On the phone a rep often says "it's", and the opener then says who the rep is even
    when the customer and a colleague ask and answer more questions."""
    tl = call([
        ("A", opening),
        ("B", "Hello both. What does your backup cost? Does it work with our database?"),
        ("C", "It does. How large is that database?"),
        ("B", "Four terabytes. Is that a problem? How long would a restore take?"),
    ])
    result = assign_roles(tl)
    assert tl.role_of("A") is Role.REP and tl.role_of("B") is Role.CUSTOMER
    assert any("introduces self" in e for e in result.evidence)


def test_saying_where_you_are_from_is_not_an_introduction():
    tl = call([("A", "Oh, I'm originally from Chicago also."), ("B", "Hi, this is Diane in New Jersey."),
               ("A", "And it's Tom from finance who signs.")])
    result = assign_roles(tl)
    assert not any("introduces self" in e for e in result.evidence)


def test_colleague_who_answers_the_customers_questions_is_on_the_sellers_side():
    """A rep brings a colleague (the technical one): the colleague answers what the
    customer asks, so both are sellers; the customer who asks stays the customer."""
    tl = call([
        ("A", "Hi, this is Maria from Northwind. Thanks for your time today."),
        ("B", "Hello Maria."),
        ("A", "I brought my colleague along, he runs our integrations. How do you handle invoices today?"),
        ("B", "We type them in by hand. Does your system read scanned invoices?"),
        ("C", "It does, it reads scans and photos and checks the totals against the order."),
        ("B", "And how long does the setup take?"),
        ("C", "About two weeks, most of it is connecting your accounting system."),
        ("A", "Would a pilot with one team work for you?"),
        ("B", "Yes, that sounds good."),
    ])
    result = assign_roles(tl)
    assert [tl.role_of(x) for x in "ABC"] == [Role.REP, Role.CUSTOMER, Role.REP]
    assert any("C answers" in e for e in result.evidence)


def test_colleague_who_answers_the_reps_questions_stays_a_customer():
    tl = call([
        ("A", "Hi, this is Maria from Northwind. Thanks for your time today."),
        ("B", "Hello. I asked Tom from finance to join us."),
        ("A", "Great. Tom, how do you handle invoices today?"),
        ("C", "We type them in by hand, about four hundred a month."),
        ("A", "How long does that take your team?"),
        ("C", "Two days a month, roughly."),
        ("B", "Does your system read scanned invoices?"),
        ("A", "It does, scans and photos."),
    ])
    assign_roles(tl)
    assert [tl.role_of(x) for x in "ABC"] == [Role.REP, Role.CUSTOMER, Role.CUSTOMER]


@pytest.mark.parametrize("opening", [
    "Hi, Mrs. Sarah from Keyton Marketing. And for taking my call to me.",  # a narrowband recogniser's "this is ... Thanks"
    "Hello, Sarah from Keyton Marketing here.",
])
def test_garbled_introduction_still_outweighs_a_customer_who_asks_the_questions(opening):
    tl = call([
        ("A", opening),
        ("B", "Hi, Sarah. Yes, go ahead."),
        ("A", "I saw that you opened two new shops."),
        ("B", "We did. What does that involve? How can you know that? What does the package cost?"),
    ])
    result = assign_roles(tl)
    assert tl.role_of("A") is Role.REP and tl.role_of("B") is Role.CUSTOMER
    assert any("name with a company" in e for e in result.evidence)


def test_greeting_someone_from_a_company_is_not_an_introduction():
    tl = call([("A", "Hi Sarah, I spoke with John from Acme last week."), ("B", "Good.")])
    result = assign_roles(tl)
    assert not any("name with a company" in e for e in result.evidence)
