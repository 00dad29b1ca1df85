"""Hand-built calls that exercise every part of the scorecard, for the contract test.

Each case is (timeline, config, embedder); ``tests/data/scorecard_golden.json`` holds
the scorecard each one produced, and ``test_scorecard_contract.py`` holds every later
scorecard to it, key for key.
"""

from __future__ import annotations

import numpy as np

from listenlens.pipeline.metrics import ContentConfig, MetricsConfig
from listenlens.pipeline.scorecard import ScorecardConfig, Target
from listenlens.pipeline.timeline import build_timeline

ROLES = {"R": "rep", "C": "customer"}


def words(spk, t0, text, step=0.5):
    return [(t0 + i * step, t0 + (i + 1) * step, w, spk) for i, w in enumerate(text.split())]


class NoEmbedder:
    def encode(self, sentences, **kwargs):
        raise AssertionError("the embedder must not be called")


class TopicEmbedder:
    """Texts mentioning 'reporting' point one way, everything else the other."""

    def encode(self, sentences, **kwargs):
        return np.array([[1.0, 0.0] if "reporting" in s.lower() else [0.0, 1.0] for s in sentences])


def discovery():
    turns = [(0, 5, "R"), (6, 66, "C"), (66.8, 181.8, "R"), (187.8, 202.8, "C"), (195, 200, "R")]
    ws = (
        words("R", 0, "What are your goals this year?")
        + words("C", 6, "our reporting takes two full days every month")
        + words("C", 64, "that is the problem")
        + words("R", 66.8, "It sounds like reporting is slow for you")
        + words("R", 100, "Does that make sense?")
        + words("R", 103, "Anyway the dashboard")
        + words("R", 195, "wait let me stop you there")
    )
    return build_timeline(turns, ws, roles=ROLES, duration=210)


def busy():
    """A long call: a monologue over target, a semantic play-back, a missed story, stacked
    questions, the customer interrupting, backchannels and an unknown third voice."""
    turns = [
        (0, 170, "R"), (60, 60.4, "C"),               # monologue with a customer backchannel
        (171, 201, "C"),                               # story 1 (played back semantically)
        (201.5, 215, "R"),
        (216, 250, "C"), (249, 256, "R"),              # story 2, rep cuts in, not played back
        (256.6, 262, "R"), (262.5, 300, "C"), (290, 293, "R"),
        (300.2, 320, "R"), (318.5, 330, "C"),          # customer interrupts the rep
        (331, 335, "X"),
    ]
    ws = (
        words("R", 0, "Let me walk you through our whole platform")
        + words("R", 150, "Any questions so far? What else matters?")
        + [(60.0, 60.4, "mhm", "C")]
        + words("C", 171, "our reporting is manual and the team hates it")
        + words("R", 201.5, "So weekly reporting costs your team real time")
        + words("C", 216, "we also lose deals in the handover")
        + words("R", 249, "right and our handover module")
        + words("R", 256.6, "How many reps do you have? Who owns forecasting?")
        + words("C", 262.5, "about forty reps and I own it")
        + words("R", 290, "yeah")
        + words("R", 300.2, "Our pricing starts at")
        + words("C", 318.5, "sorry can I ask about security")
        + words("X", 331, "hello is this the meeting")
    )
    tl = build_timeline(turns, ws, roles=ROLES, duration=340)
    tl.source["diarizer"] = {"backend": "channels", "detects_overlap": True}
    tl.source["name"] = "busy"
    return tl


def mono_without_overlap():
    turns = [(0.0, 100.0, "R"), (100.5, 200.0, "C"), (200.5, 300.0, "R")]
    ws = [(0.0, 1.0, "Hello.", "R"), (100.5, 101.0, "Hi.", "C"), (200.5, 201.0, "Okay.", "R")]
    tl = build_timeline(turns, ws, ROLES)
    tl.source["diarizer"] = {"backend": "embedded", "detects_overlap": False}
    return tl


def mono_estimated():
    tl = mono_without_overlap()
    tl.source["diarizer"] = {"backend": "segmented", "detects_overlap": True}
    return tl


def content():
    """What was said: self-promotion, an objection answered with a question, a follow-up
    promise, dead air, tracker phrases and a next step agreed at the end."""
    lines = [
        ("R", 0, "Thanks for joining, good to meet you."),
        ("C", 3, "Sure, happy to chat."),
        ("R", 6, "We are the industry-leading platform for fleet safety."),
        ("C", 12, "Honestly it sounds too expensive for us."),
        ("R", 17, "What budget did you set aside for this?"),
        ("C", 22, "About ten thousand a year, we compared Acme as well."),
        ("R", 35, "I'll send you the pricing by Friday."),
        ("R", 40, "How does your team plan routes today?"),
        ("C", 45, "Mostly spreadsheets."),
        ("R", 48, "Can we meet Tuesday at ten?"),
        ("C", 51, "Tuesday at ten works."),
    ]
    ws, turns = [], []
    for spk, t0, text in lines:
        w = words(spk, t0, text, step=0.4)
        ws += w
        turns.append((w[0][0], w[-1][1], spk))
    return build_timeline(turns, ws, roles=ROLES, duration=55)


# Rules only: the content classifier would ask the embedder, which these cases stub.
RULES = ContentConfig(semantic=False)
RULES_ONLY = ScorecardConfig(content=RULES)

CASES = {
    "discovery": lambda: (discovery(), RULES_ONLY, NoEmbedder()),
    "discovery_custom_targets": lambda: (
        discovery(),
        ScorecardConfig(
            targets={
                "talk_ratio": Target(weight=3, good_min=0.55, good_max=0.65, zero_below=0.3, zero_above=0.9, label="55-65%"),
                "paraphrase": Target(weight=0, good_min=0.5, zero_below=0.0),
            },
            metrics=MetricsConfig(four_second_rule_s=0.5),
            max_component_moments=1,
            content=RULES,
        ),
        NoEmbedder(),
    ),
    "busy": lambda: (busy(), RULES_ONLY, TopicEmbedder()),
    "mono_without_overlap": lambda: (mono_without_overlap(), RULES_ONLY, TopicEmbedder()),
    "mono_estimated": lambda: (mono_estimated(), RULES_ONLY, TopicEmbedder()),
    "short": lambda: (build_timeline([(0, 15, "R"), (15.5, 20, "C")], roles=ROLES), RULES_ONLY, NoEmbedder()),
    "unknown_roles": lambda: (build_timeline([(0, 10, "A"), (5, 12, "B")]), RULES_ONLY, NoEmbedder()),
    "empty": lambda: (build_timeline([]), RULES_ONLY, NoEmbedder()),
    "content": lambda: (
        content(),
        ScorecardConfig(
            content=RULES,
            metrics=MetricsConfig(paraphrase_semantic=False),
            trackers={"competitors": ["Acme"], "pricing": ["pricing", "too expensive", "budget"]},
        ),
        NoEmbedder(),
    ),
}
