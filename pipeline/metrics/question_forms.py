"""Whether a sentence asks a question, told from its words as a recogniser writes them.

Recognisers drop the "?", end a question with ".", and run two sentences together
("...the team how many people are on it"), so a question is found by its form at any
clause start, not only at the start of a sentence:

* at the start of the sentence or of a comma clause (after lead-ins such as "okay, so"):
  a wh-word that opens a question (not a statement that opens with one: "what we do
  is...", "how we got here...", "which is why..."); auxiliary inversion ("do you...",
  "have the managers..."); an indirect question ("I was wondering if", "I'm curious
  how", "I'd love to know"); a request for an account ("tell me about", "walk me
  through"); an elliptic question ("any questions", "anything else");
* inside a run-on sentence, where a new clause starts after a finished one: the
  stricter forms only (a wh-word with an auxiliary or a quantity, "which/what + noun +
  auxiliary + subject", auxiliary + subject + more words), and never right after a word
  that takes a clause ("I know what...", "it depends on how many...", "the thing is we...");
* a tag at the end (", right", ", isn't it"; without a comma "...twenty people right");
* or a final "?" on anything else (a rising check: "So that's ten users?").

``find_question`` returns the form and the token where the question starts, so a
question inside a run-on sentence can be shown (and timed) from its own first word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from listenlens.pipeline.metrics.config import MetricsConfig
from listenlens.pipeline.metrics.text import covered_by, phrase_tokens, strip_lead_ins, tokens

WH_WORDS = {"what", "why", "how", "when", "where", "who", "whom", "whose", "which"}
# A wh-word with the verb contracted onto it is already "wh + auxiliary".
WH_CONTRACTED = {
    "what's", "how's", "where's", "who's", "when's", "why's", "what're", "how're", "who're", "where're",
    "how'd", "what'd", "where'd", "why'd", "who'd", "when'd", "what'll", "who'll", "how'll", "where'll",
    "what've", "who've",
}
AUXILIARIES = {
    "do", "does", "did", "is", "are", "was", "were", "am", "can", "could", "will", "would", "shall",
    "should", "may", "might", "must", "have", "has", "had",
    "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "can't", "couldn't", "won't",
    "wouldn't", "shouldn't", "haven't", "hasn't", "hadn't", "mightn't", "mustn't",
    # as recognisers sometimes write them
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt", "wouldnt", "shouldnt",
    "havent", "hasnt", "hadnt",
}
NEGATIVE_AUX = {a for a in AUXILIARIES if a.endswith(("n't", "nt"))}
PRONOUNS = {"i", "you", "we", "they", "he", "she", "it", "y'all", "u", "ya"}
# Pronoun + auxiliary contractions: "what you're..." / "when we've..." open a statement.
PRONOUN_CONTRACTED = {
    f"{p}{c}" for p in ("i", "you", "we", "they", "he", "she", "it")
    for c in ("'m", "'re", "'ve", "'ll", "'d", "'s")
}
SUBJECT_HEADS = PRONOUNS | {
    "there", "this", "that", "these", "those", "your", "my", "our", "their", "his", "her", "its",
    "the", "a", "an", "anyone", "anybody", "anything", "someone", "somebody", "something", "everyone",
    "everybody", "everything", "any", "some", "all", "most", "both", "each", "either", "neither",
}
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "your", "my", "our", "their", "his", "her", "its"}
HOW_QUANTIFIERS = {"many", "much", "long", "often", "far", "soon", "big", "large", "about", "come", "so",
                   "old", "quickly", "fast", "frequently", "likely", "important", "well", "else"}
WHAT_FOLLOWERS = {"about", "if", "else", "kind", "sort", "type", "types", "kinds", "sorts", "time", "happens",
                  "happened", "exactly", "other"}
# "which is why / which means ...": a relative clause the recogniser cut off, not a question.
WHICH_RELATIVE_VERBS = {"means", "meant", "makes", "made", "gives", "gave", "leaves", "brings", "explains",
                        "sounds", "helps", "allows", "lets", "saves", "includes", "covers", "works"}
WHICH_IS_STATEMENT = {"why", "what", "how", "where", "when", "exactly", "great", "good", "fine", "perfect",
                      "nice", "awesome", "totally", "really", "also", "just", "kind", "pretty", "actually",
                      "basically", "something", "not", "huge", "important", "interesting", "fantastic",
                      "helpful", "fair", "exciting", "amazing", "cool", "similar", "common", "typical",
                      "partly", "super", "definitely", "probably", "usually", "often", "always"}
# Single words between a wh-word and "is/was" that make "what happens is ..." a statement.
WH_STATEMENT_VERBS = {"happens", "happened", "matters", "counts", "works", "helps", "worked", "helped",
                      "changed", "changes", "surprised", "struck", "stands", "sets", "makes", "made"}
TAG_WORDS = {"right", "correct"}
# "that's right", "all right", "you're right", "get it right": "right" closes a statement.
NOT_A_TAG_BEFORE = {"that's", "thats", "is", "was", "are", "were", "be", "been", "you're", "all", "exactly",
                    "it", "right", "alright", "quite", "just", "that", "okay", "ok", "yeah", "yes", "yep",
                    "it's", "he's", "she's", "they're", "we're", "i'm", "not", "so", "very", "turn", "left",
                    "do", "done", "got", "get", "feel", "feels", "felt", "sound", "sounds", "look", "looks", "seem",
                    "seems", "about", "something", "nothing", "anything", "everything", "go", "goes", "went"} | NEGATIVE_AUX
# A clause after these words is embedded in the sentence, not a new question:
# "I know what you mean", "it depends on how many", "the thing is we ...".
EMBEDDING_WORDS = {
    "know", "knows", "knew", "see", "sees", "saw", "understand", "understands", "understood", "wonder",
    "wondering", "ask", "asked", "asking", "tell", "told", "show", "showed", "decide", "decided", "figure",
    "out", "about", "on", "of", "in", "at", "for", "to", "from", "with", "by", "into",
    "is", "was", "are", "were", "be", "been", "being", "that's", "what's", "it's", "exactly", "sure",
    "care", "matter", "matters", "depends", "depend", "explain", "learn", "hear", "heard", "mean", "means",
    "remember", "forget", "check", "idea", "clue", "discuss", "talk", "think", "thinking", "guess",
    "imagine", "believe", "wonderful", "regardless", "no", "not", "like", "love", "hate", "find", "found",
    "get", "got", "realize", "realise", "notice", "noticed", "where", "what", "how", "why", "when", "who",
    "which", "if", "whether", "than", "as", "because", "since", "until", "unless", "so", "and", "or",
    "but", "only", "nor", "the", "a", "an", "my", "your", "our", "their",
    "i", "you", "we", "they", "he", "she", "it", "me", "us", "them", "him", "her", "just", "even",
    "up", "choose", "pick", "worked", "work", "works", "look", "looking", "looked", "determine",
    "showing", "asks", "explaining", "describe", "doesn't", "don't", "didn't", "can't", "couldn't",
    # adverbs inside a verb phrase: "we never had the budget"
    "never", "always", "also", "really", "already", "still", "ever", "actually", "probably", "definitely",
    "usually", "often", "sometimes", "certainly", "simply",
    # verbs that report or choose a wh-clause: "a report that shows how many", "suggest which"
    # (words that are nouns as often, "plan", "test", "reports", are left out: "...the old plan which ...")
    "shows", "tells", "says", "said", "explains", "decides", "determines", "predicts", "reveals",
    "calculates", "suggest", "suggests", "recommend", "recommends", "propose", "select", "prioritise",
    "prioritize", "consider", "agree", "confirm", "clarify", "compare", "calculate", "predict",
}
# Before "is/are" these make a copula, not a new question.
COPULA_SUBJECTS = {
    "that", "this", "here", "there", "it", "which", "who", "issue", "issues", "problem", "problems", "thing",
    "things", "point", "reality", "truth", "fact", "reason", "question", "idea", "goal", "goals", "plan",
    "hope", "concern", "worry", "challenge", "difference", "catch", "trick", "key", "risk", "news", "part",
    "answer", "result", "downside", "upside", "line", "advantage", "benefit", "rule", "deal", "trouble",
    "pain", "priority", "focus", "aim", "bet", "guess", "sense", "feeling", "impression", "worst", "best",
}
# A run-on inversion needs a pronoun-like subject ("...last week did you get a chance");
# "...the team that did your rollout" is a relative clause.
RUN_ON_SUBJECTS = PRONOUNS | {"there", "that", "this", "anyone", "anybody", "everyone", "everybody", "someone"}
# "...does that work for you" asks; "...does that automatically" states.
DO_IT_VERBS = {"work", "make", "sound", "help", "mean", "matter", "happen", "change", "cover", "include", "seem",
               "look", "fit", "affect", "apply", "cost", "take", "need", "require", "come", "feel", "hurt", "impact",
               "solve", "answer", "ring", "bother", "surprise", "worry", "concern", "get", "go", "run", "give",
               "resonate", "land", "align", "match", "line", "hold", "stay", "count", "show", "ever", "still",
               "really", "also", "usually", "normally", "always", "often", "actually"}
# "have the managers seen ...?" asks; "have the team send ..." tells.
PARTICIPLES = {"seen", "done", "had", "been", "got", "gotten", "made", "heard", "met", "spoken", "taken", "given",
               "thought", "read", "sent", "found", "told", "put", "set", "built", "bought", "run", "begun", "known",
               "chosen", "written", "spent", "left", "paid", "brought", "kept", "won", "lost"}
# After these a run-on "who ..." starts a new question ("...right now who maintains them"),
# where after a noun it is a relative clause ("the person who maintains them").
CLAUSE_END_WORDS = {
    "now", "today", "yesterday", "tomorrow", "then", "too", "anyway", "though", "already", "yet",
    "before", "again", "lately", "currently", "earlier", "later", "ago", "month", "week", "year",
    "quarter", "time", "okay", "ok", "great", "good", "perfect", "cool", "sense", "helpful", "thanks",
    "interesting", "right", "fine", "awesome", "well",
}
REQUESTS = (
    ("tell", "me", "about"), ("tell", "me", "more"), ("tell", "me", "a", "bit"), ("tell", "me", "a", "little"),
    ("tell", "me", "how"), ("tell", "me", "what"), ("tell", "me", "why"), ("tell", "me", "who"),
    ("tell", "me", "which"), ("tell", "me", "where"), ("walk", "me", "through"), ("talk", "me", "through"),
    ("take", "me", "through"), ("run", "me", "through"), ("help", "me", "understand"), ("describe",),
    ("explain", "how"), ("explain", "what"), ("explain", "why"), ("give", "me", "a", "sense"),
    ("give", "me", "an", "idea"), ("fill", "me", "in"),
)
INDIRECT = (
    ("i", "was", "wondering"), ("i", "was", "just", "wondering"), ("i'm", "wondering"), ("i'm", "just", "wondering"),
    ("i", "wonder", "if"), ("i", "wonder", "whether"), ("i", "wonder", "what"), ("i", "wonder", "how"),
    ("i'm", "curious"), ("i", "am", "curious"), ("i'd", "be", "curious"), ("i'm", "just", "curious"),
    ("i'd", "love", "to", "know"), ("i'd", "love", "to", "hear"), ("i'd", "love", "to", "understand"),
    ("i'd", "love", "to", "learn"), ("i'd", "like", "to", "know"), ("i'd", "like", "to", "understand"),
    ("i'd", "like", "to", "hear"), ("i'd", "like", "to", "learn"), ("i", "would", "love", "to", "know"),
    ("i", "would", "like", "to", "know"), ("i", "would", "like", "to", "understand"),
    ("any", "chance"), ("my", "question", "is"),
)
ELLIPSIS_HEADS = {"questions", "thoughts", "concerns", "other", "ideas", "feedback", "objections", "updates",
                  "news", "luck", "reactions", "comments", "plans", "preference", "preferences"}
# "Hello?" on a line is a check that someone is there (and a recogniser's favourite
# word in a short pause of telephone audio), not a question the customer answers.
GREETINGS = {"hello", "hullo", "hi", "hiya", "hey", "morning", "afternoon", "evening"}
GREETING_WORDS = GREETINGS | {"there", "good"}
# Forms that ask for new information, as opposed to checks ("tag", "mark").
NEW_INFORMATION_FORMS = frozenset({"wh", "inversion", "indirect", "request", "ellipsis"})

_CLAUSE_SPLIT = re.compile(r"[,;:]|\s[-–—]\s")


@dataclass(frozen=True)
class QuestionMatch:
    form: str  # wh | inversion | indirect | request | ellipsis | tag | mark
    start: int  # index into ``tokens(text)`` of the question's first token


def find_question(text: str, lead_ins: Sequence[tuple[str, ...]]) -> QuestionMatch | None:
    """The first question in one sentence of text, or None. ``lead_ins`` as ``phrase_tokens``."""
    parts = [tokens(p) for p in _CLAUSE_SPLIT.split(text)]
    parts = [p for p in parts if p]
    toks = [t for p in parts for t in p]
    if not toks:
        return None
    starts, ends, i = [], [], 0
    for p in parts:
        starts.append(i)
        i += len(p)
        ends.append(i)
    if _is_tag(parts, toks, lead_ins):
        return QuestionMatch("tag", 0)
    clause_start = set(starts)
    embedded_wh = False  # "...suggest which findings to test first, and which ones can wait"
    for i in range(len(toks)):
        if i and toks[i] in WH_WORDS and toks[i - 1] in EMBEDDING_WORDS:
            embedded_wh = True
        if any(tuple(toks[i: i + len(p)]) == p for p in INDIRECT):
            form = "indirect"  # "...I guess my question is how many", "thanks, I was wondering"
        elif i and i in clause_start and embedded_wh and toks[i] in {"and", "or"} and toks[i + 1: i + 2] and \
                toks[i + 1] in WH_WORDS:
            form = None  # a second embedded wh-clause, coordinated with the first
        elif i in clause_start and not (i and toks[i] in {"which", "who", "whose"}):
            form = _clause_start_form(toks, i, lead_ins)
        else:  # also ", which is why...", ", who handles it": relative clauses after a comma
            # A run-on question lies within its comma clause: "the leads are there, but..."
            form = _run_on_form(toks[: min(e for e in ends if e > i)], i)
        if form:
            return QuestionMatch(form, _shown_from(parts, starts, i, lead_ins))
    if text.strip().rstrip("\"')]").endswith("?") and not (set(toks) <= GREETING_WORDS and set(toks) & GREETINGS):
        return QuestionMatch("mark", 0)
    return None


def _shown_from(parts, starts, i, lead_ins) -> int:
    """Where the question is shown from: its clause, or the sentence start when only
    lead-ins come before it ("Okay, so, what ...")."""
    k = max(j for j, s in enumerate(starts) if s <= i)
    if i != starts[k]:
        return i
    if all(covered_by(p, lead_ins) for p in parts[:k]):
        return 0
    return starts[k]


def _is_tag(parts: list[list[str]], toks: list[str], leads) -> bool:
    """", right", ", isn't it", ", correct" after a statement, also without the comma."""
    if len(parts) >= 2 and any(strip_lead_ins(p, leads)[-1] for p in parts[:-1]):
        last = parts[-1]  # "Okay, right." is two listener tokens, not a tag question
        if len(last) == 1 and last[0] in TAG_WORDS | {"yeah", "no"}:
            return True
        if len(last) == 2 and last[0] in NEGATIVE_AUX and last[1] in PRONOUNS | {"that", "there"}:
            return True
    if len(toks) >= 4 and toks[-1] in TAG_WORDS and toks[-2] not in NOT_A_TAG_BEFORE:
        body = strip_lead_ins(toks[:-1], leads)[-1]
        return len(body) >= 3 and not covered_by(body, leads)
    if len(toks) >= 5 and toks[-2] in NEGATIVE_AUX and toks[-1] in PRONOUNS | {"that", "there"}:
        return toks[-3] not in EMBEDDING_WORDS
    return False


def _clause_start_form(toks: list[str], i: int, leads) -> str | None:
    for rest in strip_lead_ins(toks[i:], leads):
        form = _form_at(rest, run_on=False)
        if form:
            return form
    return None


def _run_on_form(toks: list[str], i: int) -> str | None:
    prev = toks[i - 1]
    if prev in EMBEDDING_WORDS or prev in AUXILIARIES or prev in PRONOUN_CONTRACTED or prev in {"let's", "gonna", "wanna"}:
        return None  # inside a verb phrase: "I'll have it to you Monday", "we can have it ready"
    if _verb_after_modal(toks, i - 1):
        return None  # the wh-clause is the verb's object: "I will also note which of your findings..."
    if toks[i] in {"is", "are", "was", "were"} and (prev in COPULA_SUBJECTS or prev.endswith("ing")):
        return None  # "that is it for me", "the issue is that...", "what you're saying is that..."
    if toks[i - 1] in {"that", "who", "which"} and toks[i] in AUXILIARIES and toks[i + 1: i + 2] not in (["you"], ["we"]):
        return None  # "the team that does it": a relative clause
    rest = toks[i:]
    if rest[0] == "who" and toks[i - 1] not in CLAUSE_END_WORDS and not (len(rest) > 1 and rest[1] == "else"):
        return None  # "the person who handles it": a relative clause
    return _form_at(rest, run_on=True)


# What puts the next word in a verb's place: "will [also] note", "I'll [just] send". Not
# "to": it is a preposition as often ("slipped to April why did that happen").
MODAL_BEFORE_VERB = {"will", "would", "can", "could", "should", "shall", "may", "might", "must"} | {
    p for p in PRONOUN_CONTRACTED if p.endswith(("'ll", "'d"))
}
VERB_PHRASE_ADVERBS = {"also", "just", "then", "first", "still", "really", "quickly", "probably", "definitely",
                       "certainly", "simply", "never", "always", "usually", "often", "sometimes", "actually"}


def _verb_after_modal(toks: list[str], j: int) -> bool:
    """Whether ``toks[j]`` stands where a modal puts its verb, however the
    recogniser heard that verb: a wh-word after it opens the verb's object clause."""
    before = toks[max(0, j - 2): j]
    if before and before[-1] in MODAL_BEFORE_VERB:
        return True
    return len(before) == 2 and before[0] in MODAL_BEFORE_VERB and before[1] in VERB_PHRASE_ADVERBS


def _form_at(toks: list[str], run_on: bool) -> str | None:
    if not toks:
        return None
    for phrase in INDIRECT:
        if tuple(toks[: len(phrase)]) == phrase:
            return "indirect"
    first = toks[0]
    if first in WH_WORDS or first in WH_CONTRACTED:
        return "wh" if _wh_question(toks, run_on) else None
    if first in AUXILIARIES:
        return "inversion" if _inversion(toks, run_on) else None
    if run_on:
        return None
    for request in REQUESTS:
        if tuple(toks[: len(request)]) == request:
            return "request"
    if first in {"anything", "anyone", "anybody"} and len(toks) >= 2:
        # "anything else I should know", "anything we missed"
        if toks[1] == "else" or (toks[1] in PRONOUNS and len(toks) <= 5):
            return "ellipsis"
    if first == "any" and len(toks) >= 2 and toks[1] in ELLIPSIS_HEADS:
        return "ellipsis"
    if toks[:2] == ["mind", "if"]:
        return "ellipsis"  # "(would you) mind if I ..."
    return None


def _wh_question(toks: list[str], run_on: bool) -> bool:
    first, rest = toks[0], toks[1:]
    if first in WH_CONTRACTED:
        return not _wh_statement(toks)
    if not rest:
        return not run_on  # a lone "why" / "how"
    nxt = rest[0]
    if nxt in PRONOUNS or nxt in PRONOUN_CONTRACTED or (nxt in DETERMINERS and first != "which"):
        # "what we do is...", "how we got here", "when you're ready", "what the team needs"
        return False
    if first == "which":
        return _which_question(rest, run_on)
    if nxt in AUXILIARIES:
        return not _wh_statement(toks)
    if first == "how":
        if nxt == "come" or nxt == "about":
            return True
        if nxt in HOW_QUANTIFIERS:
            # "how much you save depends on..." is a statement
            return not (len(rest) > 1 and (rest[1] in PRONOUNS or rest[1] in PRONOUN_CONTRACTED))
        return False
    if first == "what" and nxt in WHAT_FOLLOWERS:
        return not _wh_statement(toks)
    if first in {"why"}:
        return nxt in {"not", "now", "so", "exactly", "else"}
    if first in {"when", "where"}:
        return nxt in {"else", "exactly"} and not run_on
    if run_on and first != "who":  # a run-on "who" is checked by the word before it
        # "what/whose + noun + auxiliary + subject": "...what tools do you use"
        return len(rest) >= 3 and rest[1] in AUXILIARIES and rest[2] in SUBJECT_HEADS
    # "who signs off", "what made you...", "what size is the team": a wh-word at the
    # start of a clause followed by a verb or a noun asks, unless "... is/was" makes it
    # the subject of a statement ("what makes us different is...").
    return first in {"what", "who", "whose", "whom"} and not _wh_statement(toks)


def _which_question(rest: list[str], run_on: bool) -> bool:
    nxt = rest[0]
    if nxt in PRONOUNS or nxt in PRONOUN_CONTRACTED or nxt in WHICH_RELATIVE_VERBS:
        return False  # "which we use", "which means..."
    if nxt in {"is", "was", "would", "will", "could", "should"}:
        if len(rest) > 1 and rest[1] in SUBJECT_HEADS - DETERMINERS:
            return True  # "which would you prefer"
        if len(rest) > 1 and rest[1] in WHICH_IS_STATEMENT:
            return False  # "which is why", "which is exactly what..."
        return not run_on
    if nxt in {"one", "ones", "of"}:
        return True
    if nxt in AUXILIARIES:
        return not run_on
    if run_on:
        return len(rest) >= 3 and rest[1] in AUXILIARIES and rest[2] in SUBJECT_HEADS
    return True  # "which department feels...", "which regions are in scope"


def _wh_statement(toks: list[str]) -> bool:
    """"What we do is...", "what's great is...", "what makes us different is..."."""
    first = toks[0]
    if len(toks) > 1 and toks[1] in AUXILIARIES and first not in WH_CONTRACTED:
        # "what do you think is...", "who is it that...": inverted, a question
        return False
    limit = 3 if first in WH_CONTRACTED else 6
    for k in range(1, min(len(toks), limit + 2)):
        if toks[k] in {"is", "was"}:
            between = toks[1:k]
            if first in WH_CONTRACTED:
                return bool(between) and between[0] not in DETERMINERS
            if len(between) >= 2:
                return True
            return len(between) == 1 and between[0] in WH_STATEMENT_VERBS
    return False


def _inversion(toks: list[str], run_on: bool) -> bool:
    first, rest = toks[0], toks[1:]
    if not rest:
        return False
    subj = rest[0]
    if subj not in SUBJECT_HEADS:
        # "do the support agents have...", "have the managers seen...": a noun phrase
        # subject is caught below; anything else ("do let me know") is not a question.
        return False
    if first in {"have", "do"} and subj in {"a", "an"}:
        return False  # imperative: "have a great day"
    if first == "do" and subj == "the" and (len(rest) < 2 or rest[1] in {"math", "same", "work", "rest", "job",
                                                                          "trick", "thing", "honors"}):
        return False  # imperative: "do the math"
    after = rest[1:]
    if not after:
        return False  # "so do we"
    if run_on and subj not in RUN_ON_SUBJECTS:
        return False
    if run_on and first in {"do", "does", "did"} and subj in {"it", "that", "this"} and after[0] not in DO_IT_VERBS:
        return False  # "our reporting does that automatically": "do" with an object
    if first in {"have", "has"} and subj not in RUN_ON_SUBJECTS:
        return any(t in PARTICIPLES or t.endswith(("ed", "en")) for t in after[:4])
    if not run_on:
        return True
    if after[0] in AUXILIARIES - {"have", "has", "had", "do", "does", "did"}:
        return False  # "the options are you can ...": a statement, not an inversion
    # "the thing is you need...", "the problem is that we...": a copula, not an inversion
    if first in {"is", "was", "isn't", "wasn't"}:
        return subj in {"it", "this", "that", "there", "he", "she"} and after[0] not in PRONOUNS
    if first in {"are", "were", "aren't", "weren't"}:
        return subj in {"you", "we", "they", "there", "these", "those"} and after[0] not in PRONOUNS
    return True


def question_form(text: str, lead_ins: list[str] | None = None) -> str | None:
    """How a sentence asks, or None: "wh", "inversion", "indirect", "request", "ellipsis",
    "tag" or "mark".

    Structure wins over the bare "?" so callers can tell a request for new
    information (``NEW_INFORMATION_FORMS``) from a check ("So that's ten users?").
    """
    m = find_question(text, phrase_tokens(lead_ins if lead_ins is not None else MetricsConfig().lead_ins))
    return m.form if m else None
