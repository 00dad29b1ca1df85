import numpy as np
import pytest

from listenlens.pipeline.asr import AsrSegment, AsrWord
from listenlens.pipeline.attribute import attribute_words, drop_crosstalk_duplicates, utterances
from listenlens.pipeline.clips import chunk_groups, speech_chunks
from listenlens.pipeline.timeline import Turn


def seg(words, channel=None):
    ws = [AsrWord(s, e, t, 0.9) for s, e, t in words]
    return AsrSegment(ws[0].start, ws[-1].end, " ".join(w.text for w in ws), ws, channel)


def test_segment_spanning_a_speaker_change_is_split_at_the_change():
    turns = [Turn(0.0, 2.0, "A"), Turn(2.1, 4.0, "B")]
    s = seg([(0.2, 0.6, "How"), (0.6, 1.0, "are"), (1.0, 1.5, "you?"), (2.2, 2.6, "Fine,"), (2.6, 3.0, "thanks.")])
    words = attribute_words([s], turns)
    assert [w.speaker for w in words] == ["A", "A", "A", "B", "B"]
    us = utterances(words)
    assert [(u.speaker, u.text) for u in us] == [("A", "How are you?"), ("B", "Fine, thanks.")]


def test_word_in_a_gap_goes_to_nearest_turn_and_far_words_are_dropped():
    turns = [Turn(0.0, 1.0, "A"), Turn(3.0, 4.0, "B")]
    s = seg([(1.2, 1.4, "um"), (2.7, 2.9, "so"), (9.0, 9.2, "ghost")])
    words = attribute_words([s], turns)
    assert [(w.text, w.speaker) for w in words] == [("um", "A"), ("so", "B")]


def test_word_goes_to_the_speaker_covering_most_of_it():
    turns = [Turn(0.0, 1.1, "A"), Turn(1.0, 3.0, "B")]
    words = attribute_words([seg([(0.9, 1.5, "overlap")])], turns)
    assert words[0].speaker == "B"


def test_channel_words_belong_to_their_channel():
    turns = [Turn(0.0, 3.0, "CH0"), Turn(0.5, 1.0, "CH1")]
    words = attribute_words([seg([(0.6, 0.9, "yes")], channel=1)], turns, {"CH0": 0, "CH1": 1})
    assert words[0].speaker == "CH1"


def test_word_heard_on_both_channels_is_kept_once_on_the_louder_channel():
    sr = 16000
    samples = np.zeros((2, 3 * sr), dtype=np.float32)
    samples[0, sr : 2 * sr] = 0.5  # loud on channel 0
    samples[1, sr : 2 * sr] = 0.02  # leak on channel 1
    ch0 = [seg([(1.1, 1.5, "budget"), (1.5, 1.9, "approved.")], channel=0)]
    ch1 = [seg([(1.15, 1.5, "Budget"), (2.2, 2.5, "great")], channel=1)]
    merged = drop_crosstalk_duplicates([ch0, ch1], samples)
    texts = sorted((s.channel, w.text) for s in merged for w in s.words)
    assert texts == [(0, "approved."), (0, "budget"), (1, "great")]


def test_word_only_the_other_channels_leak_carries_is_dropped():
    """A word transcribed on one channel where that channel hears nothing but the other
    party's leak goes; the channel's own words stay, an overlap included."""
    from listenlens.pipeline.attribute import drop_leaked_words
    from listenlens.pipeline.diarize.channels import LeakPath

    sr, rng = 16000, np.random.default_rng(0)
    x = 1e-4 * rng.standard_normal((2, 6 * sr)).astype(np.float32)  # line noise
    rep = 0.3 * rng.standard_normal(3 * sr).astype(np.float32)
    x[0, sr : 4 * sr] += rep  # the rep talks 1-4 s on channel 0...
    delay = int(0.02 * sr)
    x[1, sr + delay : 4 * sr + delay] += 0.03 * rep  # ...and leaks 20 dB down into channel 1
    x[1, int(2.5 * sr) : int(3.0 * sr)] += 0.2 * rng.standard_normal(sr // 2).astype(np.float32)  # customer cuts in
    x[1, int(4.5 * sr) : int(5.0 * sr)] += 0.2 * rng.standard_normal(sr // 2).astype(np.float32)  # ...and answers
    paths = [LeakPath(0, 1, 0.02, -20.0, 200), LeakPath(1, 0, 0.02, -20.0, 200)]
    ch0 = seg([(1.1, 1.5, "does"), (1.5, 1.9, "that"), (1.9, 2.4, "work?")], channel=0)
    # "Hold" as recognisers time a turn's first word: no length, a little before the onset.
    ch1 = seg([(1.5, 1.9, "that"), (2.0, 2.4, "work?"), (2.45, 2.45, "Hold"), (2.6, 2.9, "on,"), (4.6, 4.9, "yes.")], channel=1)
    kept = drop_leaked_words([ch0, ch1], x, paths)
    texts = sorted((s.channel, w.text) for s in kept for w in s.words)
    assert texts == [(0, "does"), (0, "that"), (0, "work?"), (1, "Hold"), (1, "on,"), (1, "yes.")]
    # With no leak path measured there is nothing to compare against: every word stays.
    none = [LeakPath(0, 1, 0.0, -120.0, 0, "none"), LeakPath(1, 0, 0.0, -120.0, 0, "none")]
    assert sum(len(s.words) for s in drop_leaked_words([ch0, ch1], x, none)) == 8


def test_speech_chunks_pad_and_join_close_regions():
    chunks = speech_chunks([(1.0, 2.0), (2.3, 3.0), (5.0, 6.0)], 10 * 16000)
    assert [(a / 16000, b / 16000) for a, b in chunks] == [
        pytest.approx((0.8, 3.2)),
        pytest.approx((4.8, 6.2)),
    ]


def test_long_speech_is_transcribed_in_bounded_groups():
    chunks = speech_chunks([(i * 10.0, i * 10.0 + 5.0) for i in range(10)], 200 * 16000)
    groups = chunk_groups(chunks, 12 * 16000)
    assert [len(g) for g in groups] == [2] * 5
    assert [c for g in groups for c in g] == chunks  # nothing lost, order kept
    assert all(sum(b - a for a, b in g) <= 12 * 16000 for g in groups)


# -- mono calls: the diarizer's frame activity and the recogniser's sentences ----------

from listenlens.pipeline.diarize.base import SpeakerActivity  # noqa: E402


def activity(spans, until=10.0, frame=0.02):
    """Frame activity: ``spans`` is [(start, end, speaker, level)]."""
    labels = sorted({s[2] for s in spans})
    n = int(until / frame)
    act = np.zeros((n, len(labels)), dtype=np.float32)
    t = np.arange(n) * frame
    for a, b, spk, level in spans:
        act[(t >= a) & (t < b), labels.index(spk)] = level
    count = (act > 0.5).sum(axis=1).astype(np.int8)
    return SpeakerActivity(frame_s=frame, first_s=0.0, labels=labels, activity=act, count=count)


def test_words_in_an_overlap_stay_with_the_sentence_they_belong_to():
    # A speaks 0-3 s; B starts over A's end at 2.0 s and goes on to 5 s.
    turns = [Turn(0.0, 3.0, "A"), Turn(2.0, 5.0, "B")]
    act = activity([(0.0, 3.0, "A", 1.0), (2.0, 5.0, "B", 1.0)])
    a = seg([(0.2, 0.8, "We've"), (0.8, 1.5, "used"), (1.5, 2.3, "it"), (2.3, 2.9, "for years.")])
    b = seg([(2.4, 2.9, "Right,"), (3.1, 3.6, "and"), (3.6, 4.2, "we"), (4.2, 4.8, "integrate.")])
    words = attribute_words([a, b], turns, activity=act)
    by_text = {w.text: w for w in words}
    assert [by_text[t].speaker for t in ("We've", "used", "it", "for years.")] == ["A"] * 4
    assert [by_text[t].speaker for t in ("Right,", "and", "we", "integrate.")] == ["B"] * 4
    # The frames could not tell the overlap's words apart: their confidence says so.
    assert by_text["for years."].speaker_confidence < 0.5 and by_text["Right,"].speaker_confidence < 0.5
    assert by_text["used"].speaker_confidence > 0.9


def test_the_last_word_of_a_question_at_an_unsure_turn_edge_stays_with_the_asker():
    turns = [Turn(0.0, 2.2, "A"), Turn(2.1, 4.0, "B")]
    # The activity ramps: over "today?" the customer is a little ahead.
    act = activity([(0.0, 1.8, "A", 1.0), (1.8, 2.3, "A", 0.45), (1.8, 2.3, "B", 0.55), (2.3, 4.0, "B", 1.0)])
    q = seg([(0.2, 0.6, "Do"), (0.6, 0.9, "you"), (0.9, 1.4, "use"), (1.4, 1.7, "it"), (1.8, 2.3, "today?")])
    ans = seg([(2.5, 3.0, "Yes,"), (3.0, 3.6, "daily.")])
    words = attribute_words([q, ans], turns, activity=act)
    assert [w.speaker for w in words] == ["A"] * 5 + ["B"] * 2


def test_frames_sure_of_a_change_inside_a_sentence_are_believed():
    # The recogniser ran two speakers together without punctuation; the frames are sure.
    turns = [Turn(0.0, 1.5, "A"), Turn(1.6, 4.0, "B")]
    act = activity([(0.0, 1.5, "A", 1.0), (1.6, 4.0, "B", 1.0)])
    s = seg([(0.2, 0.6, "okay"), (0.6, 1.2, "thanks"), (1.7, 2.2, "so"), (2.2, 2.8, "what"), (2.8, 3.4, "now")])
    assert [w.speaker for w in attribute_words([s], turns, activity=act)] == ["A", "A", "B", "B", "B"]


def test_without_frame_activity_turn_coverage_sets_the_confidence():
    turns = [Turn(0.0, 2.0, "A"), Turn(1.0, 3.0, "B")]
    words = attribute_words([seg([(0.2, 0.6, "alone"), (1.2, 1.6, "both")])], turns)
    assert words[0].speaker_confidence == 1.0
    assert words[1].speaker_confidence < 0.5


def test_a_sentence_runs_on_across_a_recogniser_segment_edge():
    # Whisper cut its segment after "the"; "first message." still ends A's sentence,
    # though B, cutting in, is a little louder than A over those two words.
    turns = [Turn(0.0, 3.0, "A"), Turn(2.0, 5.0, "B")]
    act = activity([(0.0, 2.0, "A", 1.0), (2.0, 3.0, "A", 0.8), (2.0, 5.0, "B", 1.0)])
    one = seg([(0.2, 0.8, "put"), (0.8, 1.4, "in"), (1.4, 1.9, "the")])
    two = seg([(2.1, 2.5, "first"), (2.5, 2.9, "message."), (3.2, 3.6, "Just"), (3.6, 4.0, "to"), (4.0, 4.5, "check?")])
    words = attribute_words([one, two], turns, activity=act)
    assert [w.speaker for w in words] == ["A"] * 5 + ["B"] * 3


def test_a_segment_that_opens_with_a_capital_starts_a_sentence():
    # "year" ends the customer's question without a "?"; the rep's reply is a new
    # segment, "After ...", whose first word the frames are unsure of.
    turns = [Turn(0.0, 2.0, "B"), Turn(2.1, 5.0, "A")]
    act = activity([(0.0, 1.9, "B", 1.0), (1.9, 2.4, "B", 0.4), (1.9, 2.4, "A", 0.6), (2.4, 5.0, "A", 1.0)])
    one = seg([(0.2, 0.8, "after"), (0.8, 1.4, "the"), (1.4, 1.9, "year")])
    two = seg([(1.9, 2.4, "After"), (2.4, 2.9, "the"), (2.9, 3.4, "first"), (3.4, 4.0, "year,")])
    words = attribute_words([one, two], turns, activity=act)
    assert [w.speaker for w in words] == ["B"] * 3 + ["A"] * 4


def test_frames_that_do_not_know_every_speaker_leave_the_turns_to_decide():
    # The turns were split after diarization (B is new): the activity knows only A.
    turns = [Turn(0.0, 2.0, "A"), Turn(2.0, 4.0, "B")]
    act = activity([(0.0, 4.0, "A", 1.0)])
    words = attribute_words([seg([(0.5, 1.0, "hello."), (2.5, 3.0, "hi.")])], turns, activity=act)
    assert [w.speaker for w in words] == ["A", "B"]
