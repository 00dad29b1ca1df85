"""Customer objections, the rep's reply (listening, pitching, other) and the pause before it."""

import pytest

from handbuilt import call
from listenlens.pipeline.metrics import ContentConfig, find_objections, objection_type, response_kind

RULES = ContentConfig(semantic=False)  # the word rules alone; the classifier is tested below


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Honestly that's too expensive for us.", "price"),
        ("we dont have the budget this year", "price"),
        ("Can we revisit this next quarter?", "timing"),
        ("We already have a tool that does that.", "need"),
        ("I'd need to run it by my boss.", "authority"),
        ("We're already talking to another vendor.", "competitor"),
        ("Just send me something and I'll look at it.", "brush_off"),
        ("How much does the premium plan cost?", None),
        ("Budget isn't an issue for us.", None),
        ("Tuesday at ten works for me.", None),
    ],
)
def test_objection_type(text, kind):
    assert objection_type(text, RULES) == kind


@pytest.mark.parametrize(
    "reply, kind",
    [
        (["I hear you.", "What budget did you have in mind?"], "listening"),
        (["So it sounds like the price is the sticking point."], "listening"),
        (["But we're the leading platform and worth every penny."], "pitching"),
        (["Our customers see payback in three months."], "pitching"),
        (["Okay.", "Thanks for letting me know."], "other"),
    ],
)
def test_response_kind(reply, kind):
    assert response_kind(reply, "That's too expensive for us.", content=RULES) == kind


def test_objection_reply_and_pause():
    tl = call(
        ("R", 0.0, "The plan is five hundred a month."),  # ends 3.5
        ("C", 4.0, "That's too expensive for us. We only have six users."),  # ends 9.0
        ("R", 10.5, "I hear you. What budget did you have in mind?"),
        ("C", 16.0, "Maybe later in the year."),  # timing, and the rep never answers
    )
    found = find_objections(tl, content=RULES)
    assert [o.type for o in found] == ["price", "timing"]
    price, timing = found
    assert (price.moment.start, price.moment.end, price.moment.text) == (4.0, 6.5, "That's too expensive for us.")
    assert price.response.text == "I hear you."
    assert price.response.start == 10.5
    assert price.response_kind == "listening"
    assert price.pause_s == pytest.approx(1.5)
    assert (timing.response, timing.response_kind, timing.pause_s) == (None, None, None)


def test_pitching_over_the_customer_gives_a_negative_pause():
    tl = call(
        ("C", 0.0, "We already have a tool for that."),  # ends 3.5
        ("R", 3.0, "But our tool is the best in the industry."),
    )
    (o,) = find_objections(tl, content=RULES)
    assert o.type == "need"
    assert o.response_kind == "pitching"
    assert o.pause_s == pytest.approx(-0.5)


def test_a_rep_backchannel_is_not_the_reply():
    tl = call(
        ("C", 0.0, "We are not ready to change anything yet."),  # ends 4.0
        ("R", 4.2, "mm-hmm"),
        ("R", 6.0, "What would need to happen first?"),
    )
    (o,) = find_objections(tl, content=RULES)
    assert o.response.text == "What would need to happen first?"
    assert o.pause_s == pytest.approx(2.0)
    assert o.response_kind == "listening"


@pytest.mark.slow
@pytest.mark.parametrize(
    "text, kind",
    [
        ("Honestly the licence bill would eat our whole tooling line.", "price"),
        ("We'd rather stick with the spreadsheet, it does the job.", "need"),
        ("How many seats come with the starter plan?", None),  # a wh-question never reaches it
        ("Budget isn't an issue for us.", None),  # nor does a denial
    ],
)
def test_the_classifier_catches_wording_the_rules_do_not_list(text, kind):
    assert objection_type(text) == kind
