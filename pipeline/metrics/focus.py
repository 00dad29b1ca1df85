"""Customer focus: does the rep talk about the customer's world or their own?

Each rep sentence is *customer*-focused, *seller*-focused or *neutral*
(``sentence_focus``). Small talk, greetings and call logistics are neutral whoever
they mention ("thanks for your time", "can you see my screen"). Otherwise the
sentence's references are weighed: "you/your" (the customer and their team, business,
problem) against "we/our/us/I/my" (the seller) and the seller's product or company
("the platform", "our software", a name from ``ContentConfig.seller_names``). The
grammatical subject, taken as the first such reference of the main clause, counts
double, so "our team will handle the migration for you" is about the seller and "your
agents could see the history before they pick up" about the customer. A question
put to the customer ("how do you ...") is about the customer.

Customer focus = customer / (customer + seller) sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.content_config import ContentConfig
from listenlens.pipeline.metrics.moments import Moment, moment, side_sentences
from listenlens.pipeline.metrics.questions import question_form
from listenlens.pipeline.metrics.text import clauses, phrase_tokens, strip_lead_ins, tokens
from listenlens.pipeline.timeline import CallTimeline, Role

CUSTOMER_WORDS = {"you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'll", "you'd", "y'all", "ya"}
SELLER_WORDS = {"we", "our", "ours", "us", "ourselves", "we're", "we've", "we'll", "we'd",
                "i", "i'm", "i've", "i'll", "i'd", "my", "me", "mine", "myself"}
# The seller's offering named without a possessive: in a rep's sentence "the platform"
# is the rep's platform (the customer's would be "your system").
PRODUCT_NOUNS = {"platform", "product", "products", "software", "tool", "app", "module", "dashboard", "dashboards",
                 "solution", "engine", "api", "feature", "features", "system", "company", "service", "roadmap",
                 "integration", "integrations", "release", "version", "suite", "technology", "interface"}
HANDOVER_VERBS = {"tell", "walk", "talk", "help", "give", "remind", "teach"}
DETERMINERS = {"the", "this", "our", "that"}
# Greetings, small talk and call logistics: neutral whoever they mention.
NEUTRAL_PHRASES = [
    "hello", "hi", "hey", "good morning", "good afternoon", "good evening", "thanks for", "thank you", "thanks so much",
    "thanks again", "nice to meet", "good to see", "great to see", "pleasure to meet", "how are you doing", "how are you today", "how's it going", "how is it going", "how was your",
    "how's your", "can you hear", "hear me", "my screen", "share my", "see my", "one second", "one sec", "just a second",
    "just a sec", "wait a second", "one moment", "a moment to", "give me a", "bear with me", "mute", "unmute", "cut out", "cutting out", "my internet",
    "connection", "let me pull up", "let me just pull up", "record this", "recording", "let's get started", "get started", "let's start", "wrap up",
    "wrap this up", "let you go", "let you get back", "talk soon", "talk to you", "have a great", "have a good",
    "bye", "weekend", "weather", "raining", "introductions", "where was i", "go ahead", "sorry about that",
    "take care", "covers it", "good point", "great question", "good question", "drop off", "hop off", "jump off",
    "hard stop", "have to run", "jump in", "dive in", "can you see", "is that visible", "showing up on your",
    "stop sharing", "on mute", "you're on mute", "happy friday", "happy monday", "by the way",
    # the meeting itself: time left, where we were, goodbyes
    "out of time", "minutes left", "time left", "done here", "leave off", "left off", "where were we",
    "where did we", "train of thought", "check the time", "against the clock", "talking to you", "talking with you", "chatting with you",
    "speaking with you", "enjoy your", "enjoy the rest", "rest of your day", "rest of the day", "have a lovely",
    "have a nice", "over time", "running late", "lost my", "on time", "keep it short", "keep this short", "be quick",
    "be brief", "top of the hour", "call it there", "moving on", "a bit over",
]
NEUTRAL_START = {"sorry", "oh", "okay", "ok", "alright", "right", "great", "perfect", "cool", "hmm", "um", "uh", "so",
                 "yeah", "yes", "sure", "nice", "good", "thanks"}


def sentence_focus(text: str, config: MetricsConfig | None = None, content: ContentConfig | None = None) -> str:
    """``"customer"``, ``"seller"`` or ``"neutral"`` for one rep sentence."""
    config = config or MetricsConfig()
    content = content or ContentConfig()
    toks = tokens(text)
    if not toks:
        return "neutral"
    if _contains_any(toks, phrase_tokens(NEUTRAL_PHRASES)) or (len(toks) <= 5 and toks[-3:] == ["how", "are", "you"]):
        return "neutral"
    names = phrase_tokens(content.seller_names)
    leads = phrase_tokens(config.lead_ins)
    openers = phrase_tokens(config.paraphrase_openers)
    customer = seller = 0.0
    subject_seen = False
    for _n, clause in enumerate(clauses(text)):
        clause = strip_lead_ins(clause, leads)[-1]
        # "if I heard you right, your agents ...": a reflective opener says nothing of either side
        opener = next((o for o in openers if tuple(clause[: len(o)]) == o), None)
        if opener is not None:
            clause = clause[len(opener):]
        for i, _t in enumerate(clause):
            side = _side(clause, i, names)
            if side is None:
                continue
            weight = 1.0 if subject_seen else 2.0
            subject_seen = True
            if side == "customer":
                customer += weight
            else:
                seller += weight
    if customer == seller == 0:
        return "neutral"
    if customer > 0 and question_form(text, config.lead_ins) is not None:
        return "customer"
    if customer == seller:
        return "neutral"
    return "customer" if customer > seller else "seller"


def _side(toks: list[str], i: int, names) -> str | None:
    t = toks[i]
    if t in CUSTOMER_WORDS:
        return "customer"
    if t in SELLER_WORDS:
        # "let me ask you", "can I ask", "tell me about": the rep handing the floor over,
        # not talking about themselves
        if t in {"me", "i"} and i + 1 < len(toks) and toks[i + 1] in {"ask", "know"}:
            return None
        if t == "me" and i > 0 and toks[i - 1] in HANDOVER_VERBS:
            return None
        return "seller"
    if t in {"founded", "headquartered"}:
        return "seller"  # a rep telling the company's story
    if t in PRODUCT_NOUNS:
        # "the platform", "the mobile app", "our reporting module"; not "your old system"
        for back in toks[max(0, i - 3) : i][::-1]:
            if back in CUSTOMER_WORDS or back in {"their", "a", "an"}:
                return None
            if back in DETERMINERS:
                return "seller"
    for name in names:
        if tuple(toks[i : i + len(name)]) == name:
            return "seller"
    return None


def _contains_any(toks: list[str], phrases) -> bool:
    n = len(toks)
    return any(tuple(toks[i : i + len(p)]) == p for p in phrases for i in range(n - len(p) + 1))


@dataclass(frozen=True)
class FocusedSentence:
    moment: Moment
    focus: str  # customer | seller | neutral


@dataclass(frozen=True)
class CustomerFocus:
    customer: int
    seller: int
    neutral: int
    share: float | None  # customer / (customer + seller); None when neither was said
    sentences: list[FocusedSentence]


def customer_focus(
    timeline: CallTimeline, config: MetricsConfig | None = None, content: ContentConfig | None = None
) -> CustomerFocus:
    config = config or MetricsConfig()
    content = content or ContentConfig()
    out = [
        FocusedSentence(moment(timeline, s), sentence_focus(s.text, config, content))
        for s in side_sentences(timeline, Role.REP, config)
    ]
    counts = {k: sum(1 for f in out if f.focus == k) for k in ("customer", "seller", "neutral")}
    judged = counts["customer"] + counts["seller"]
    return CustomerFocus(
        counts["customer"], counts["seller"], counts["neutral"], counts["customer"] / judged if judged else None, out
    )
