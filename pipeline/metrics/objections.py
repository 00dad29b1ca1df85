"""Objections and what the rep did next.

``objection_type`` reads a customer sentence and returns the kind of resistance it
voices, or None:

* ``brush_off``: "just send me something", "email me the details", "put it in writing";
* ``competitor``: another vendor in the picture ("we're talking to X", "we signed with
  one of your competitors", "locked into a contract with our current provider");
* ``price``: "too expensive", "no budget", "can't afford", "more than we pay today";
* ``authority``: someone else decides ("run it by my boss", "procurement has to sign off");
* ``timing``: "not now", "next quarter", "after the holidays", "on hold", "not a priority";
* ``need``: "we're fine", "we already have", "we built our own", "not interested".

The first kind that matches in that order wins (a brush-off often mentions a time, a
competitor a price). Wording the patterns do not list is caught two more ways: a
sentence that names a topic of one kind (money, time, a decider, a vendor, the need)
*and* pushes back (a negation or a word such as "too", "only", "already", "wait") is
that kind; and when the rules found nothing and ruled nothing out (no denial, not a
wh-question), the sentence classifier (``semantic.classify``, on when
``ContentConfig.semantic``) decides at ``objection_min_probability``. A sentence that denies the objection ("budget isn't an issue",
"the timing works well") matches none of the patterns, which are written as the
objection is voiced.

The rep's *response* is the rep's next utterance that is not a backchannel, read up to
``ContentConfig.objection_response_sentences`` sentences: *listening* when a sentence
asks a question or plays the objection back (a paraphrase opener, or repeating its
words) before any pitch; *pitching* when a sentence argues ("but", "actually", "the
thing is") or is about the seller's side (self-promotion, seller focus) first; *other*
otherwise (an acknowledgement alone, a goodbye). The pause is from the customer's last
word before the reply to the reply's start (negative when the rep talked over them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.content_config import ContentConfig
from listenlens.pipeline.metrics.focus import sentence_focus
from listenlens.pipeline.metrics.moments import Moment, moment, side_sentences
from listenlens.pipeline.metrics.paraphrase import Embedder
from listenlens.pipeline.metrics.promotion import is_self_promotion
from listenlens.pipeline.metrics.questions import question_form
from listenlens.pipeline.metrics.semantic import classify
from listenlens.pipeline.metrics.text import phrase_tokens, split_sentences, starts_with, strip_lead_ins, tokens
from listenlens.pipeline.metrics.utterances import build_utterances, is_backchannel_form
from listenlens.pipeline.timeline import CallTimeline, Role

_N = r"(n't|not|nt)"  # "can't", "cannot", and recogniser spellings such as "cant"
PATTERNS: dict[str, list[str]] = {
    "brush_off": [
        r"\bmailing list\b", r"\bby (email|e-mail|mail)\b",
        r"\b(read|look at|review|go through|check out) (your|the) (materials|info|information|brochure|deck|website|site|literature)\b",
        r"\bwebsite\b.{0,20}\b(look|read|check)\b",
        r"\b(send|shoot|drop|mail|email|e-mail|forward|fire|pop) (me|us|over|it|that) ?(over )?(something|some \w+|an? (email|e-mail|"
        r"brochure|one-pager|one pager|deck|note|line|pdf)|the (info|information|details|brochure|deck|material|materials)|"
        r"(your|the) pricing|info|information|details|material|materials|a few details|it all)\b",
        r"\bsend (something|some (info|information|material|materials|details|stuff)|over (some|a|the|something|your))\b",
        r"\b(email|e-mail) me\b", r"\bin (an )?(email|e-mail|writing)\b", r"\bjust send\b",
        r"\b(one-pager|one pager|brochure)\b",
        r"\b(email|e-mail|send|shoot|forward|mail) (it|that|this|them|those|everything|something|stuff) (over|across|to me|"
        r"my way|along|through)\b", r"\bsend (\w+ ){0,2}my way\b", r"\bwhatever you send\b",
        r"\bsend (me|us|over) (your|the|a|some) (deck|brochure|one-pager|info|information|materials?|details|pricing|link|"
        r"case study|case studies|overview|presentation|slides|whitepaper|white paper|pdf|literature|price list|summary)\b",
        r"\b(send|email|mail|forward|shoot) (me|us) (a|an|the|your|some) (price list|summary|overview|link)\b",
        r"\bleave (your|me|us) (a |an |some )?(details|number|info|information|card|literature|something|brochure)\b",
        r"\bif we're interested\b", r"\bsend (it|that|this|something) to (my|our) (assistant|team|office|inbox|colleague)\b",
    ],
    "competitor": [
        r"\b(vendor|provider|supplier|partner) is (building|adding|launching|working on|rolling out)\b",
        r"\bcommitted to\b", r"\b(gave|offered|quoted|got) us (a |an )?(much |way |far )?(better|lower|cheaper|bigger)\b",
        r"\b(homegrown|home-grown)\b", r"\bin talks with\b",
        r"\bcompetitors?\b", r"\b(talking|speaking|working) (to|with) (other|another|a few|a couple|two|three|several|some other)\b",
        r"\b(signed|going|went|renewed|locked|committed|partnered|sticking|staying) (in |on |up )?(\w+ ){0,2}(with|into) "
        r"(a|an|the|our|one|another|them|those)\b", r"going with (the other|another|them|someone)\b",
        r"\b(trial|pilot|poc|proof of concept|evaluation|contract|negotiations?) with\b",
        r"\b(been using|have used|using|used) \w+ (for|since) (years|ages|decades|a while|a long time|\w+ years)\b",
        r"\b(someone|somebody) else\b", r"\bpitched us\b", r"\bthe other guys\b",
        r"\b(had|have had|having) (good|great|decent|a good) (luck|experience|results|success) with\b",
        r"\b(other|another|different|second|third) (vendor|vendors|provider|providers|option|options|platform|platforms|"
        r"company|companies|solution|solutions|tool|tools)\b", r"\bshopping around\b", r"\bleaning (towards|toward|to)\b",
        r"\b(quote|quotes|proposal|offer|bid) from\b", r"\bloyal to\b", r"\bbeen with \w+ (for|since)\b",
        r"\b(current|existing) (vendor|provider|supplier|partner) (is |just )?(offered|gave|giving|matched|matching|covers|"
        r"handles|renewed|discounted|beat)\b", r"\bwith (our|the) (current|existing) (vendor|provider|supplier|partner)\b",
        r"\bfinal stages with\b",
        r"\b(also |already )?(looking at|evaluating|considering|comparing|trialing|piloting) (a few|a couple|two|three|\w+ other|"
        r"other|another|some other|several|a few other)\b",
        r"^(?!we |i |our |it |that |this |they )\w+ already (covers|handles|does|gives|offers|has)\b",
        r"\bwe('re| are) (already )?(talking|speaking) (to|with) (?!you\b|your\b)[a-z]+\b",
    ],
    "price": [
        r"\beye[- ]watering\b", r"\bstretch to (that|this|it)\b", r"\bquoted (us )?(way |much |a lot |far )?(less|lower)\b",
        r"\ba lot to ask\b", r"\b(serious|big|bigger|steep|huge) discount\b",
        r"\b(too|really|very|pretty|quite|so|way too|bit|little) (expensive|pricey|costly|steep|much money)\b",
        r"\bexpensive\b", r"\bpricey\b", r"\bafford\b", r"\bcannot afford\b",
        r"\b(no|zero|little|limited|tight) budget\b", r"\bbudget (is|was|'s)? ?(tight|gone|spent|frozen|zero|basically zero|"
        r"used up|maxed)\b", r"\b(budget|budgets) for \w+ (is|are) (basically |pretty much )?(zero|gone|tight|spent)\b",
        r"\bdo" + _N + r" have (the|a|any|enough) (budget|money|funds)\b", r"\b(out of|over|not in|outside) (our|the|my) "
        r"(price )?(budget|range|price range)\b", r"\bno budget\b", r"\bbudget left\b",
        r"\b(price|pricing|cost|costs|fee|fees|quote|number) (is|are|'s|seems|looks|feels)? ?(a (lot|bit|little) )?"
        r"(too|way|much|really|pretty|very|quite|a lot)? ?(high|higher|steep|much|more than|expensive|out of)\b",
        r"\b(costs?|price|pricing) .{0,20}\bproblem\b", r"\bcan" + _N + r" justify (the |that |spending |paying )\b",
        r"\bhard to justify\b", r"\bmoney is (really |pretty |very )?tight\b", r"\bmore than (we|i) (pay|paid|expected|planned|"
        r"budgeted|spend|thought|wanted)\b", r"\b(a lot |way |much )?more (expensive )?than (i|we) (thought|expected|planned)\b",
        r"\b(half|a third|a quarter|a fraction) of (that|what|the price)\b", r"\bpaying (a third|half|less)\b",
        r"\bfor less\b", r"\bcheaper\b", r"\btoo much( money)?\b(?! time)", r"\badds up\b", r"\bspend(ing)? that much\b",
        r"\bnumber like that\b", r"\bout of our (price )?range\b", r"\bout of our league\b", r"\b(price|cost)[- ]wise\b",
        r"\b(not|never|won't|wont) (be )?(paying|pay|spend|spending) (that|this|so) much\b",
        r"\b(double|twice|triple|three times|2x|3x) (what|the price|as much)\b", r"\b(choke|balk|flinch)\w* (on|at)\b",
        r"\bsticker shock\b", r"\b(half|a third|a quarter) (that|of that)\b", r"\b(fee|fees|price|cost|costs|pricing) (\w+ )?(kills|is a dealbreaker|is a deal breaker)\b",
        r"\bdo" + _N + r" have (that kind of|the kind of|that|this|that much|much) (money|cash|funds|budget)\b", r"\b(way |well |a lot |far )?over (what )?(we|i) (budgeted|planned|expected)\b",
        r"\b(price|pricing|cost|costs|fee|fees|quote|rate|rates)\b.{0,25}\b(too (high|much|steep)|steep|expensive)\b",
    ],
    "authority": [
        r"\b(bless|approve|sign off on|okay) anything\b", r"\bhas to bless\b",
        r"\bsign(s|ed)? off\b", r"\bfinal (call|word|say|decision)\b", r"\bupstairs\b",
        r"\bpay grade\b", r"\bhands are tied\b", r"\bvotes? on\b", r"\b(picks|chooses|selects) (the|our|all) (vendors?|"
        r"tools?|software|suppliers?|providers?)\b", r"\b[\w-]+'s (okay|ok|approval|sign-off|blessing|go-ahead|green light)\b",
        r"\b(okay|ok|approval|blessing|go-ahead|green light) from\b",
        r"\brun (it|this|that|everything|the \w+) (by|past)\b", r"\bnot (my|the) (decision|call)\b", r"\bnot up to me\b",
        r"\bnot the one who\b", r"\b(check|talk|speak|confer|consult|chat) (with|to) (my|our|the) \w*\b",
        r"\b(need|have|got|'ll have|will have) to loop in\b", r"\bloop(ing)? in .{0,30}\bfirst\b", r"\b(need|needs|has|have|got) to (sign off|approve|review|okay|ok|sign)\b",
        r"\bsign[- ]off\b", r"\bapprov(e|es|al|als)\b", r"\bup to (the|my|our)\b", r"\bfinal say\b", r"\bmakes? (those|that|the) "
        r"(calls?|decisions?)\b", r"\bdecides? on\b", r"\b(board|committee|procurement|legal|corporate|headquarters|hq|"
        r"parent company|owner|owners|partners?|finance) (has|have|needs?|will|would|wants?|decides?|makes?|approves?)\b",
        r"\bwants? to review\b", r"\bdon't have (the )?(authority|sign-off|sign off|final say)\b",
        r"\bask (my|our|the) (boss|manager|director|cfo|ceo|owner|team|partner|wife|husband)\b",
        r"\bnot my (department|budget|area)\b", r"\b(go|goes|run|runs) through (the|our|my) \w+",
        r"\b(needs?|has|have) to go (to|through|past|before)\b", r"\b(pitch|present|sell) (this|it|that) to\b",
        r"\bconvince (our|my|the)\b", r"\bcan" + _N + r" (make|decide) (that|this|it)\b", r"\bon my own\b",
        r"\b(my|our) (boss|manager|director|owner|vp|cfo|ceo|board) decides\b", r"\bsignatures?\b",
        r"\b(purchasing|procurement|legal|finance|it|hr) (department |team |office |group )?(handles|decides|makes|owns|approves|"
        r"signs|picks|chooses)\b", r"\bget (my|our|the) (\w+ ){1,2}(on board|to sign|to approve|to agree|sign-off|buy-in)\b",
        r"\bon board\b", r"\bi'm (just )?gathering (info|information)\b", r"\b(my|our) (boss|manager|director|cfo|ceo|vp) (decides|has|needs|makes|would)\b",
    ],
    "timing": [
        r"\bway down\b", r"\b(down|low) (on )?the list\b", r"\bput a pin in\b", r"\b(table|shelve) (this|it)\b",
        r"\boff the table\b", r"\bnot for a while\b", r"\b(ping|call|email|text|contact|reach out to) "
        r"(me|us) again\b", r"\bgive it (a few|a couple of|some|a) \w+\b", r"\b(once|when|until) things (calm|settle|slow|quiet)\w*\b",
        r"\bother (fires|priorities|things going on|projects)\b",
        r"\bnot (a |the )?(good|great|right|best|ideal) time\b",
        r"\b(is" + _N + r"|isn't|is not|'s not|s not) (really )?(the |a )?(right|good|great|best|ideal) (time|moment|window)\b", r"\btiming (just |really )?(is" + _N + r"|isn't|is not|is bad)\b",
        r"\b(bad|terrible|tough|awkward|poor) (time|timing)\b", r"\bnot (right )?now\b", r"\bnot yet\b", r"\bnot ready\b",
        r"\bnext (quarter|year|month|fiscal|budget cycle|spring|summer|fall|winter)\b", r"\bq[1-4]\b",
        r"\bafter (the )?(holidays|summer|new year|audit|launch|merger|migration|busy season|reorg|reorganisation|"
        r"reorganization|rollout|season|holiday)\b", r"\buntil (next|the|after|q[1-4]|spring|summer|fall|autumn|winter|"
        r"january|february|march|april|may|june|july|august|september|october|november|december|later|then)\b",
        r"\bin (a few|a couple|several|six|three|two|four|\w+) (months|quarters)\b", r"\b(maybe )?later\b(?! today)",
        r"\bdown the (road|line)\b", r"\brevisit\b", r"\bcircle back\b", r"\bcheck back\b", r"\bcall (me )?back\b",
        r"\breach out (again )?(in|after|later|next)\b", r"\bhold off\b", r"\bon hold\b", r"\bpaus(e|ing)\b", r"\bfreeze\b",
        r"\bnot a (top |high )?priority\b", r"\b(have to|will have to|need to|'ll have to) wait\b", r"\bwait (until|till|for)\b",
        r"\brather wait\b", r"\bswamped\b", r"\btoo busy\b", r"\bin the (fall|spring|summer|winter|new year)\b",
        r"\bthis (will|would|has to|can) wait\b", r"\bnothing new\b",
        r"\b(ask|call|try|ping|contact|email) (me|us) (again |back )?(in|after|next|around|once)\b",
        r"\bnow('s| is) not (great|good|ideal|the time|a good time)\b", r"\bnow isn't\b", r"\btoo (early|soon)\b",
        r"\b(touch base|talk|revisit|reconnect|connect|chat|come back|circle back|pick this up|look at this)( to (me|us))? "
        r"(again )?(after|once|when) (our|the|we)\b", r"\b(closer to|towards|toward|around|near|by) the end of the (year|quarter)\b", r"\bslammed\b", r"\b(next|another) (budget|planning) (cycle|year|round)\b",
        r"\b(talk|call|revisit|reconnect|connect|chat|touch base|come back|follow up)\b.{0,20}\bin (january|february|march|april|"
        r"may|june|july|august|september|october|november|december|the new year|a few weeks|a couple of weeks|a month)\b",
    ],
    "need": [
        r"\bserved us (fine|well|okay|ok)\b",
        r"\b(the way (we are|things are|it is)|as (it is|we are))\b",
        r"\btoo (small|few|tiny)\b", r"\bnot (big|large) enough\b", r"\bprefers? (doing it|to do it|paper|the old|manual)",
        r"\bdo" + _N + r" (really |actually )?(need|see the need|see a need|require)\b", r"\bno (real )?need\b",
        r"\b(we're|we are|i'm|i am) (pretty |really |totally |all |quite )?(fine|good|set|all set|happy|covered|okay|ok)\b",
        r"\bhappy with\b", r"\b(works?|working) (fine|well|great|okay|ok)\b", r"\bwell enough\b", r"\bdoes the job\b",
        r"\balready (have|use|got|using|has)\b", r"\bbuilt (our|it|one|something) (own|in-house|ourselves)?\b",
        r"\bin-house\b", r"\binternal (team|tool|system)\b", r"\bnot (really )?(a |an )?(problem|issue|pain|priority) (we|for us|"
        r"we have|here)\b", r"\b(don't|do not) (have|see) (that|this|a|the) (problem|issue|need)\b", r"\bnot interested\b",
        r"\bnot sure we (have|need)\b", r"\bwould" + _N + r" (use|add|need|help)\b", r"\bnot something (\w+ ){0,3}(would|need|use)\b",
        r"\bnot (much|a lot) of (a )?(need|use)\b", r"\bdon't think (this|it|that|we) would (add|help|change)\b",
        r"\bdoesn't (apply|fit)\b", r"\bdon't see (us|the|much)\b", r"\bno use for\b", r"\b(need|needs) anything (that|so|like)\b",
        r"\b(and|but) it works\b", r"\bdon't think (we'd|we would|we'll|we will|they'd|they would|it would|it'd|we) "
        r"(use|need|get much|benefit|really need)\b", r"\b(got|have) (it|that|this|everything) covered\b",
        r"\bno (real |big |major )(pain|problem|issue|need)\b", r"\bno pain\b", r"\bwithout it\b",
        r"(?<=\w )(handles|does|covers|takes care of) (all )?(of )?(that|this|it|everything)\b",
    ],
}
# The customer saying the opposite: "budget isn't an issue", "timing is perfect".
DENIALS = [
    r"\b(timing|budget|price|pricing|cost|money)\b.{0,20}\b(perfect|fine|fair|great|good|works|not (really )?an? (issue|problem|"
    r"concern)|is" + _N + r" (really )?an? (issue|problem|concern)|no (issue|problem))\b",
    r"\bbudget (is |was |has been )?(already )?(approved|set aside|signed off)\b",
    # a complaint about what they had before is why they are talking, not an objection
    r"\b(old|previous|former|last) (tool|system|vendor|provider|software|platform|solution)\b", r"\b(we|i) (already |do )?have the budget\b",
]
_DENIALS = [re.compile(p) for p in DENIALS]
ORDER = ["brush_off", "competitor", "price", "authority", "timing", "need"]

# Second tier, for wording the patterns above do not know: a sentence that names a topic
# of one kind (money, time, a decider, a vendor, the need itself) *and* resists (a
# negation or a word of pushback) is an objection of that kind.
TOPICS: dict[str, list[str]] = {
    "brush_off": [r"\b(send|email|e-mail|mail|forward|shoot|leave|drop) (me|us|it|over|whatever|something|your|a|some)\b"],
    "competitor": [
        r"\b(vendor|vendors|provider|providers|supplier|rival|rivals|competitor|competitors|alternative|alternatives)\b",
        r"\b(using|use|with|signed|contract|deal|onboarding|trial|pilot|luck) (with )?[A-Z]?[a-z]+\.(com|io)\b",
        r"\b(working|contract|deal|onboarding|luck|trial|pilot|partnered|signed|renewed|relationship) with (?!you\b|your\b|us\b|it\b|that\b|this\b|the (team|staff|budget)\b)\w+",
        r"\b(someone|somebody) else\b", r"\bcustom (solution|tool|build|system)\b", r"\bmandates?\b",
    ],
    "price": [
        r"\b(quote|quoted|discount|steep|pricey|price|prices|pricing|priced|cost|costs|costly|spend|spending|money|budget|budgets|afford|financially|financial|"
        r"dollars|bucks|grand|fee|fees|licensing|license|licence|roi|expensive|cheap|cheaper|paying|quote|subscription|"
        r"investment|price point|\d+ ?k|ten k|numbers)\b",
    ],
    "authority": [
        r"\b(decide|decides|decision|decisions|decision maker|approval|approve|approves|signatures?|sign off|sign-off|buy-in|"
        r"buy in|board|committee|boss|manager|director|directors|ceo|cfo|coo|cto|vp|owner|owners|partners|leadership|"
        r"purchasing|procurement|legal|corporate|headquarters|internally|up to me|on board|weigh in|final word|final say|"
        r"report to|my team|superiors|higher ups|higher-ups)\b",
    ],
    "timing": [
        r"\b(now|time|timing|moment|year|quarter|quarters|month|months|weeks|spring|summer|fall|autumn|winter|january|"
        r"february|march|april|june|july|august|september|october|november|december|later|radar|bandwidth|plate|"
        r"priorities|priority|roadmap|busy|launch|migration|until|wait|park|yet|soon|early|position|season|holidays|a while|"
        r"calm down|settle|settles)\b",
    ],
    "need": [
        r"\b(need|needs|needed|problem|problems|pain|issue|issues|complaints?|value|use|useful|benefit|working|works|fine|"
        r"covered|simple|must have|nice to have|bells and whistles|make sense|makes sense|overkill|change|get much|"
        r"point|necessary|relevant|worth it|solves?|by hand|manually|on paper|spreadsheets?|excel|that many|that much|"
        r"enough|small|size|volume)\b",
    ],
}
RESIST = [
    r"\b(not|no|never|nothing|nobody|none|cannot|can't|cant|won't|wont|don't|dont|doesn't|doesnt|isn't|isnt|aren't|"
    r"haven't|hasn't|wouldn't|shouldn't|didn't|couldn't)\b", r"n't\b",
    r"\btoo\b(?!$)", r"\b(more than|entire|whole|serious|a lot|off the table|other fires|prefers?|even consider)\b",
    r"\b(only|already|elsewhere|wait|later|hold|park|brutal|steep|tough|hard|high|higher|fraction|under|chunk|"
    r"beyond|capped|cap|scares?|scary|worried|worry|concerns?|concerned|unless|expecting|hoping|tight|locked|mandates?|"
    r"instead|laughed|lot|double|overkill|nice to have|halfway|first|rival|swing|hesitant|skeptical|doubt|maybe|"
    r"embarrassed|wince|ouch|yikes|hard|difficult|struggle|gamble|bet|risky|risk)\b",
]
_TOPICS = {k: [re.compile(p) for p in v] for k, v in TOPICS.items()}
_RESIST = [re.compile(p) for p in RESIST]
# Wanting or welcoming the thing is not resisting it.
WELCOME = [
    r"\b(within|fits|fit|under) (our|the|my) budget\b", r"\babout what (i|we) expected\b", r"\bcouldn't be better\b",
    r"\b(excited|love|eager|keen|happy to|glad|looking forward|can't wait|cant wait)\b", r"\b(we're|we are|i'm|i am) ready to\b",
    r"\blet's (do|get|start|set|go|schedule|book|move|try|sign|kick)\b",
    r"\b(we'd|we would|i'd|i would) (like|love) to (get started|start|move|begin|go|sign|try|see|set up|schedule|book|roll)\b",
    r"\b(i'm|i am) the (one|person) who (decides|makes|signs|approves)\b", r"\bi (decide|make the decision|make the call|sign off)\b", r"\b(contract|order form|agreement|paperwork|invoice)\b.{0,30}\bsign\b",
    r"\bsave (us )?(a lot of |so much |some )?(time|money|hours)\b", r"\b(good|fair|great|reasonable|decent) (price|deal|value)\b",
    r"\bi can (sign|approve|decide)\b", r"\bwe need (something|it|this|a \w+) (before|by)\b",
    r"\bbeen meaning to\b", r"\bhad (problems|issues|trouble)\b", r"\bcatch up\b",
    r"\b(cheaper|less|lower) than (i|we) (expected|thought|feared)\b",
]
_WELCOME = [re.compile(p) for p in WELCOME]
_PATTERNS = {k: [re.compile(p) for p in v] for k, v in PATTERNS.items()}
# Another product by name: recognisers keep capitals, so "rolling out Toast" shows a brand.
_BRAND = re.compile(r"\b(rolling out|implementing|deploying|switching to|moving to|migrating to|going with|committed to|"
                    r"already using|already use|signed with|renewed with|trial with|pilot with) (?!I\b)[A-Z][A-Za-z]+")

ARGUMENT_OPENERS = ["but", "actually", "the thing is", "honestly", "to be honest", "that's why", "what you get",
                    "the value", "you'll see", "the truth is", "in fact", "trust me", "remember", "keep in mind"]
PLAYBACK_OPENERS_EXTRA = ["so it's", "so it is", "so the", "so you're", "so you", "so budget", "so price", "so timing"]
# Acknowledgements say neither: the next sentence decides ("I hear you. What budget ...").
ACKNOWLEDGEMENTS = ["i hear you", "i understand", "i totally understand", "i completely understand", "i get it",
                    "i get that", "i see", "that's fair", "fair enough", "that makes sense", "makes sense", "totally",
                    "understood", "i appreciate that", "thanks for sharing", "thank you for sharing", "got it",
                    "of course", "absolutely", "no problem", "sure", "okay", "right"]
STOP = {"the", "a", "an", "to", "of", "and", "or", "we", "i", "it", "is", "are", "be", "that", "this", "for", "in", "on",
        "just", "so", "you", "your", "our", "my", "me", "us", "with", "at", "now", "right", "really", "have", "do", "don't",
        "not", "it's", "that's", "we're", "i'm", "yeah", "okay", "well", "but", "about", "what", "if", "would", "can"}


def objection_type(text: str, content: ContentConfig | None = None, *, embedder: Embedder | None = None) -> str | None:
    """The objection a customer sentence voices (see the module doc), or None."""
    return objection_types([text], content, embedder=embedder)[0]


def objection_types(
    texts: Sequence[str], content: ContentConfig | None = None, *, embedder: Embedder | None = None
) -> list[str | None]:
    """``objection_type`` for many sentences, with one batch for the classifier."""
    content = content or ContentConfig()
    verdicts = [_by_rules(t) for t in texts]
    ask = [i for i, (kind, settled) in enumerate(verdicts) if not settled]
    out = [kind for kind, _ in verdicts]
    if content.semantic and ask:
        for i, (label, p) in zip(ask, classify("objections", [texts[i] for i in ask], c=content.semantic_c, embedder=embedder)):
            if label != "none" and p >= content.objection_min_probability:
                out[i] = label
    return out


def _by_rules(text: str) -> tuple[str | None, bool]:
    """(kind, settled): settled when the rules found a kind or ruled one out."""
    joined = " ".join(tokens(text))
    if not joined or any(p.search(joined) for p in _DENIALS) or any(p.search(joined) for p in _WELCOME):
        return None, True
    for kind in ORDER:
        if any(p.search(joined) for p in _PATTERNS[kind]):
            return kind, True
        if kind == "competitor" and _BRAND.search(text):
            return kind, True
    if question_form(text) is not None:
        return None, True  # asking about the price, the timeline or a feature is not resisting them
    by_topic = _by_topic(text, joined)
    return by_topic, by_topic is not None


def _by_topic(text: str, joined: str) -> str | None:
    if not any(p.search(joined) for p in _RESIST):
        return None
    if question_form(text) in {"wh", "tag"}:
        return None  # asking about the price or the timeline is not resisting them
    for kind in ORDER:
        # brand names keep their capitals in the recogniser's text; the rest is matched lower-case
        if any(p.search(joined) or p.search(text) for p in _TOPICS[kind]):
            return kind
    return None


def response_kind(
    reply: list[str], objection: str, config: MetricsConfig | None = None, content: ContentConfig | None = None,
    *, embedder: Embedder | None = None,
) -> str:
    """``listening``, ``pitching`` or ``other`` for the rep's reply sentences."""
    config = config or MetricsConfig()
    content = content or ContentConfig()
    openers = phrase_tokens(list(config.paraphrase_openers) + PLAYBACK_OPENERS_EXTRA)
    leads = phrase_tokens(config.lead_ins)
    said = {t for t in tokens(objection) if t not in STOP}
    for sentence in reply[: content.objection_response_sentences]:
        toks = tokens(sentence)
        if not toks:
            continue
        suffixes = strip_lead_ins(toks, leads)
        if question_form(sentence, config.lead_ins) is not None:
            return "listening"
        if any(starts_with(s, o) for s in suffixes for o in openers):
            return "listening"
        if any(starts_with(s, o) for s in suffixes for o in phrase_tokens(ARGUMENT_OPENERS)):
            return "pitching"
        ack = next((a for s in suffixes for a in phrase_tokens(ACKNOWLEDGEMENTS) if starts_with(s, a)), None)
        if ack is not None:
            rest = next(s for s in suffixes if starts_with(s, ack))[len(ack):]
            if len(rest) <= 2:
                continue
            sentence = " ".join(rest)
        if sentence_focus(sentence, config, content) == "seller" or is_self_promotion(sentence, config, content, embedder=embedder):
            return "pitching"
        content_words = [t for t in toks if t not in STOP]
        if said and len(set(content_words) & said) >= 2:
            return "listening"  # repeats the objection's own words back
    return "other"


@dataclass(frozen=True)
class Objection:
    moment: Moment
    type: str
    response: Moment | None  # the rep's reply; None when the rep said nothing more
    response_kind: str | None  # listening | pitching | other; None without a reply
    pause_s: float | None  # from the customer's last word to the reply


def find_objections(
    timeline: CallTimeline, config: MetricsConfig | None = None, content: ContentConfig | None = None,
    *, embedder: Embedder | None = None,
) -> list[Objection]:
    config = config or MetricsConfig()
    content = content or ContentConfig()
    utts = build_utterances(timeline, config)
    reps = set(timeline.labels(Role.REP))
    customers = set(timeline.labels(Role.CUSTOMER))
    out: list[Objection] = []
    sentences = side_sentences(timeline, Role.CUSTOMER, config)
    kinds = objection_types([s.text for s in sentences], content, embedder=embedder)
    for s, kind in zip(sentences, kinds):
        if kind is None:
            continue
        reply = next(
            (u for u in utts if u.speaker in reps and u.start > s.start and u.end > s.end and u.words
             and not is_backchannel_form(u, config)),
            None,
        )
        if reply is None:
            out.append(Objection(moment(timeline, s), kind, None, None, None))
            continue
        before = [w.end for w in timeline.words if w.speaker in customers and w.start <= reply.start]
        pause = reply.start - max(before) if before else None
        taken = next(
            (u.start for u in utts if u.speaker != reply.speaker and u.start > reply.start and not is_backchannel_form(u, config)),
            float("inf"),
        )
        words = [w for w in timeline.words if w.speaker == reply.speaker and reply.start <= w.start < taken]
        reply_sentences = split_sentences(words, config.sentence_pause_s)[: content.objection_response_sentences]
        kind_of_reply = response_kind([r.text for r in reply_sentences], s.text, config, content, embedder=embedder)
        first = reply_sentences[0]
        out.append(Objection(moment(timeline, s), kind, moment(timeline, first), kind_of_reply, pause))
    return out
