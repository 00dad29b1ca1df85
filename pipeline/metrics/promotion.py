"""Self-promotion: the rep praising their own product, company or technology.

A rep sentence is self-promotion (``is_self_promotion``) when it makes a claim of
excellence about the seller's side:

* *claims* that are praise wherever they stand: "award-winning", "industry-leading",
  "best-in-class", "world-class", "patented", "proprietary", "second to none", "nobody
  else ...", "the only platform that ...", "years ahead", "trusted by", "customers love
  it", "named a leader by Gartner", "top-rated", ...;
* *superlatives and strong adjectives* ("the best", "the most advanced", "the fastest",
  "better/faster/cheaper than anyone", "amazing", "powerful", "revolutionary") only when
  the sentence is about the seller's side: "we/our/us", the product ("it", "this", "the
  platform"), or a name from ``ContentConfig.seller_names``.

It is not self-promotion when the sentence asks (a question), is negated ("it won't
be the cheapest", "I'm not sure we're the best fit"), praises the customer ("your best
reps", "you have a great product") or a competitor ("their product is the market
leader"), or uses the word for something else ("the leading cause", "best case",
"number one on my list").

Where these rules find neither praise nor a reason to rule it out, and
``ContentConfig.semantic`` is on, the sentence classifier (``semantic.classify``) decides,
taken at ``promotion_min_probability``.

Each instance is a moment; the count is also given per ``promotion_rate_per_s`` (10
minutes) of rep talk time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.content_config import ContentConfig
from listenlens.pipeline.metrics.focus import CUSTOMER_WORDS, PRODUCT_NOUNS
from listenlens.pipeline.metrics.moments import Moment, moment, side_sentences
from listenlens.pipeline.metrics.paraphrase import Embedder
from listenlens.pipeline.metrics.questions import question_form
from listenlens.pipeline.metrics.semantic import classify
from listenlens.pipeline.metrics.talk import side_talk_time
from listenlens.pipeline.metrics.text import phrase_tokens, tokens
from listenlens.pipeline.timeline import CallTimeline, Role

# Matched on the lower-cased tokens joined by single spaces (hyphens kept inside tokens).
CLAIMS = [
    r"\b(industry|market|category)[- ]lead(ing|er|ers)\b", r"\bthe leading (\w+ )?(platform|solution|provider|vendor|tool|"
    r"software|company|name|brand|system|choice|partner)", r"\b(a|the) leader in\b", r"\bnamed (a|the) leader\b",
    r"\brecogni[sz]ed (by|as)\b", r"\baward[- ]winning\b", r"\bwon (the |an |a |\w+ )*awards?\b", r"\bawards?\b",
    r"\bbest[- ]in[- ]class\b", r"\bworld[- ]class\b", r"\bpatented\b", r"\bproprietary\b", r"\bsecond to none\b",
    r"\bunmatched\b", r"\bunparalleled\b", r"\bunrivall?ed\b", r"\bunbeatable\b", r"\bstate[- ]of[- ]the[- ]art\b",
    r"\bcutting[- ]edge\b", r"\brevolutionary\b", r"\bgame[- ]chang(er|ing)\b", r"\bgold standard\b",
    r"\bnumber one (in|choice|provider|platform|vendor|solution|rated|for)\b", r"\bthe number one\b", r"\b#1\b",
    r"\btop[- ]rated\b", r"\brated (five|5|4\.\d|four point \w+) stars?\b", r"\b(five|5)[- ]star\b",
    r"\b(no|nothing|nobody|no one|none) (else )?(on the market |out there )?(compares|comes close|like (it|us|ours|this))\b",
    r"\bnothing else (like|on the market)\b", r"\b(nothing|nobody|no one)\b.{0,40}\b(compares|comes close|can match)\b", r"\b(nobody|no one|no other \w+) (else )?(in the (industry|market|space) )?(can|does|offers|gives|has|comes)\b",
    r"\bno (other|competitor)\b", r"\bthe only (\w+ )?(vendor|solution|platform|one|company|provider|tool|product|system) "
    r"(that|with|who|to|in|on)\b", r"\b(years|miles|way) ahead\b", r"\bahead of (the|any|every) (competition|competitors|curve|rest|pack)\b",
    r"\b(customers|clients|users|people|everyone|teams|reps|agents|nurses|drivers) (\w+ )?(love|adore|rave|swear by)\b",
    r"\blove (it|us|our|the (product|platform|app|tool))\b", r"\brave (about|reviews)\b",
    r"\btrust(ed)? (by|us|our)\b", r"\b(rely|run|depend|count) on (us|our)\b", r"\bfortune (500|five hundred|100)\b",
    r"\bgartner\b", r"\bforrester\b", r"\bcapterra\b", r"\bg2\b", r"\binvented (this|the) (category|space|industry)\b",
    r"\bproven to\b", r"\bguarantee[sd]?\b", r"\bfamous for\b", r"\bnever look back\b", r"\babove and beyond\b",
    r"\bspeak for themselves\b", r"\bhands down\b", r"\bout of the water\b", r"\b(beat|beats|crush|crushes|outperform|"
    r"outperforms|outclass|outclasses) (the competition|everyone|anyone|everybody|the rest|all)\b",
    r"\b(can't|cannot|cant|won't|wont|couldn't) (\w+ ){0,2}(get|find|see|match) (\w+ ){0,3}anywhere else\b",
    r"\b(get|find|see|match) (\w+ ){0,3}anywhere else\b", r"\bsells itself\b", r"\b(speaks|pays) for itself\b", r"\bvoted\b",
    r"\b(every|each) (single )?(customer|client|user)\b.{0,30}\b(renewed|stayed|loves?|recommends?|expanded)\b",
    r"\bnever lost a (customer|client)\b", r"\b(lightning|blazing) fast\b", r"\brock solid\b", r"\btop[- ]notch\b",
    r"\bbest[- ]of[- ]breed\b", r"\bindustry[- ]best\b", r"\blegendary\b", r"\bpioneer(s|ed|ing)?\b",
    r"\b(world[- ])?renowned\b", r"\bthe envy of\b", r"\bone of a kind\b", r"\bno better\b(?! than)",
    r"\bnever (go|went|look|looked) back\b", r"\bhead and shoulders\b", r"\blight[- ]years\b", r"\bbeloved\b",
    r"\biconic\b", r"\bacclaimed\b", r"\bfastest[- ]growing\b", r"\bcategory[- ]defining\b", r"\bwin (almost |nearly )?"
    r"(every|all|most) (\w+ )?(deal|deals|evaluation|evaluations|bake-off|bake-offs|bakeoff|head to head|comparison)", r"\bby far\b", r"\bthe best in the (business|industry|market|world|country|space|region)\b",
]
# Praise only when the sentence is about the seller's side.
ABOUT_SELLER = [
    r"\b(the )?best\b", r"\bthe (most|fastest|highest|strongest|easiest|simplest|smartest|cheapest|quickest|"
    r"largest|biggest|safest|lowest|broadest|deepest|richest|only)\b", r"\b(better|faster|cheaper|smarter|easier|"
    r"stronger|more \w+) than (anyone|anybody|any|anything|everyone|everybody|the (competition|rest|others|big)|"
    r"competitors|what|our competitors|the other)\b", r"\b(amazing|incredible|incredibly|fantastic|awesome|outstanding|exceptional|"
    r"phenomenal|powerful|robust|seamless|seamlessly|innovative|intuitive|superior|remarkable|brilliant|"
    r"unique|leader|leading|unbelievable|stunning|bulletproof|flawless|effortless|premier|go-to|slick|special|"
    r"gorgeous|beautiful|elegant|spectacular|magical|insanely|crazy fast|super fast|dominant|favorite|favourite)\b",
    # superlatives by form: "the smoothest", "the cleanest", "the most accurate"
    r"\bthe (?!latest\b|earliest\b|nearest\b|closest\b|soonest\b|least\b|newest\b|oldest\b|rest\b|west\b)[a-z]+est\b",
    r"\bthe most [a-z]+\b", r"\bknown (across|in|throughout|for)\b",
]
NOT_PRAISE = [
    r"\bbest (case|way|time|fit|practice|practices|bet|guess|of luck|regards|option for you|approach for you)\b",
    r"\ball the best\b", r"\bdo (my|our) best\b", r"\bleading (cause|indicator|indicators|question|questions)\b",
    r"\bnumber one (on|goal|priority|question|issue|concern|thing)\b", r"\bthe most (important|common|likely|of)\b",
    r"\bunique (challenge|situation|case|need|needs|setup|requirement|problem)\b",
    r"\bthe best (thing|way|step|approach|option|route|plan) (to do|to start|forward|is to|would be to|for you)\b",
    r"\bour best (people|person|engineers?|team members?|reps?|specialists?|experts?|folks)\b",
    r"\bthe (fastest|soonest|earliest|quickest|best|most) (we|i) can\b", r"\bthe best next step\b", r"\bthe leading \w+ in your\b", r"\bspecial (offer|offers|pricing|deal|promotion|discount|rate)\b",
    r"\bthe (most \w+|\w+est) (way|path|route|thing|option|step|place|setup|issue|problem|part) (to|for|is|of)\b",
    r"\bthe (most|\w+est) (common|important|likely|popular question|frustrating|difficult|hardest)\b",
]
SELLER_REFS = {"we", "our", "ours", "us", "we're", "we've", "we'll", "we'd", "i'd", "i"}
# "it", "this": the product in a rep's pitch, unless the sentence is about the customer.
WEAK_SELLER_REFS = {"it", "it's", "its", "this", "this's"}
OTHER_SIDE = {"their", "they", "they're", "competitor", "competitors", "theirs"}
NEGATIONS = {"not", "never", "no", "won't", "can't", "cannot", "don't", "doesn't", "isn't", "aren't", "wasn't",
             "wouldn't", "couldn't", "shouldn't", "haven't", "hasn't", "didn't"}

_CLAIMS = [re.compile(p) for p in CLAIMS]
_ABOUT_SELLER = [re.compile(p) for p in ABOUT_SELLER]
_NOT_PRAISE = [re.compile(p) for p in NOT_PRAISE]


def is_self_promotion(
    text: str, config: MetricsConfig | None = None, content: ContentConfig | None = None, *, embedder: Embedder | None = None
) -> bool:
    return self_promotion_flags([text], config, content, embedder=embedder)[0]


def self_promotion_flags(
    texts: Sequence[str], config: MetricsConfig | None = None, content: ContentConfig | None = None,
    *, embedder: Embedder | None = None,
) -> list[bool]:
    """``is_self_promotion`` for many sentences, with one batch for the classifier."""
    config = config or MetricsConfig()
    content = content or ContentConfig()
    verdicts = [_by_rules(t, config, content) for t in texts]
    ask = [i for i, v in enumerate(verdicts) if v is None]
    if content.semantic and ask:
        for i, (label, p) in zip(ask, classify("self_promotion", [texts[i] for i in ask], c=content.semantic_c, embedder=embedder)):
            verdicts[i] = label == "yes" and p >= content.promotion_min_probability
    return [bool(v) for v in verdicts]


def _by_rules(text: str, config: MetricsConfig, content: ContentConfig) -> bool | None:
    """True: praise; False: ruled out (a question, negated, about the customer or a
    competitor); None: the rules have no evidence either way."""
    toks = tokens(text)
    if not toks or question_form(text, config.lead_ins) is not None:
        return False
    joined = " ".join(toks)
    for pat in _NOT_PRAISE:
        joined = pat.sub(" ", joined)
    # "in weeks, not months" contrasts; it does not negate the claim
    contrasted = " ".join(tokens(re.sub(r",\s*(and\s+)?not\s+[\w'-]+", " ", text)))
    if _negated(toks, contrasted):
        return False
    first = next((t for t in toks if t in WEAK_SELLER_REFS | CUSTOMER_WORDS | OTHER_SIDE | SELLER_REFS), None)
    claim = any(p.search(joined) for p in _CLAIMS)
    praise = claim or any(p.search(joined) for p in _ABOUT_SELLER)
    if not praise:
        return False if first in CUSTOMER_WORDS | OTHER_SIDE else None
    if _mentions_seller(toks, content):
        return True
    if not claim:
        return False
    # A claim about the customer ("your team is world-class") or a competitor ("their product
    # is the market leader") names them before the claim; "no other platform gives you ..." after.
    at = min(m.start() for p in _CLAIMS for m in [p.search(joined)] if m)
    before = joined[:at].split()
    return not any(t in CUSTOMER_WORDS | OTHER_SIDE for t in before)


def _negated(toks: list[str], joined: str) -> bool:
    """A negation outside the claims that carry their own ("nobody else", "second to none")."""
    rest = joined
    for p in _CLAIMS:
        rest = p.sub(" ", rest)
    return any(t in NEGATIONS for t in rest.split()) or any(t.endswith("n't") for t in rest.split())


def _mentions_seller(toks: list[str], content: ContentConfig) -> bool:
    if any(t in SELLER_REFS for t in toks):
        return True
    # The first reference decides: "it's the most intuitive tool you'll use" is about the
    # product, "your best reps already do this" about the customer.
    first = next((t for t in toks if t in WEAK_SELLER_REFS | CUSTOMER_WORDS | OTHER_SIDE), None)
    if first in WEAK_SELLER_REFS:
        return True
    if any(t in PRODUCT_NOUNS and i > 0 and toks[i - 1] in {"the", "this", "our"} for i, t in enumerate(toks)):
        return True
    return any(tuple(toks[i : i + len(n)]) == n for n in phrase_tokens(content.seller_names) for i in range(len(toks)))


@dataclass(frozen=True)
class SelfPromotion:
    moments: list[Moment]
    count: int
    rate: float | None  # per ``promotion_rate_per_s`` of rep talk time; None when the rep did not speak


def find_self_promotion(
    timeline: CallTimeline, config: MetricsConfig | None = None, content: ContentConfig | None = None,
    *, embedder: Embedder | None = None,
) -> SelfPromotion:
    config = config or MetricsConfig()
    content = content or ContentConfig()
    sentences = side_sentences(timeline, Role.REP, config)
    flags = self_promotion_flags([s.text for s in sentences], config, content, embedder=embedder)
    found = [moment(timeline, s) for s, yes in zip(sentences, flags) if yes]
    talk = side_talk_time(timeline, Role.REP, config.talk_pause_s)
    rate = len(found) / talk * content.promotion_rate_per_s if talk > 0 else None
    return SelfPromotion(found, len(found), rate)
