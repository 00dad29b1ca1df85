import numpy as np
import pytest

from listenlens.pipeline.asr import AsrSegment, AsrWord, speech_chunks
from listenlens.pipeline.attribute import attribute_words, drop_crosstalk_duplicates, utterances
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


def test_speech_chunks_pad_and_join_close_regions():
    chunks = speech_chunks([(1.0, 2.0), (2.3, 3.0), (5.0, 6.0)], 10 * 16000)
    assert [(c["start"] / 16000, c["end"] / 16000) for c in chunks] == [
        pytest.approx((0.8, 3.2)),
        pytest.approx((4.8, 6.2)),
    ]


def test_long_speech_is_transcribed_in_bounded_groups():
    from listenlens.pipeline.asr import _groups

    chunks = speech_chunks([(i * 10.0, i * 10.0 + 5.0) for i in range(10)], 200 * 16000)
    groups = _groups(chunks, 12 * 16000)
    assert [len(g) for g in groups] == [2] * 5
    assert [c for g in groups for c in g] == chunks  # nothing lost, order kept
    assert all(sum(c["end"] - c["start"] for c in g) <= 12 * 16000 for g in groups)
