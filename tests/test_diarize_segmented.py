"""The segmented diarizer: segmentation-3.0 windows linked by resemblyzer voices."""

from __future__ import annotations

import numpy as np
import pytest
from pyannote.core import Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate

from listenlens.errors import AudioError, ConfigError
from listenlens.models.registry import segmentation_model_path
from listenlens.pipeline.audio import Audio, load_audio
from listenlens.pipeline.diarize.segmentation import FRAME_STEP, LocalSegmentation, SpeakerSegmenter
from listenlens.pipeline.diarize.segmented import (
    SegmentedDiarizer,
    SegmentedSettings,
    _activity,
    _assign,
    _cluster_activity,
    _top_speakers,
    _turns,
)
from listenlens.pipeline.timeline import Turn, turns_annotation


def test_the_segmentation_model_ships_in_site_packages():
    path = segmentation_model_path()
    assert path.is_file() and path.stat().st_size > 1_000_000


def test_speaker_count_is_the_rounded_mean_over_windows():
    act = np.zeros((2, 4, 3), dtype=bool)
    act[0, :, 0] = True  # window 0 hears one speaker on all its frames
    act[1, :2, :2] = True  # window 1 (2 frames later) hears two on its first two
    seg = LocalSegmentation(offsets=np.array([0, 2]), activity=act, n_frames=6)
    # frames 0-1: window 0 only (1); 2-3: (1 + 2) / 2 -> 2 (rint rounds half to even);
    # 4-5: window 1 only (0)
    assert seg.count().tolist() == [1, 1, 2, 2, 0, 0]


def test_each_frame_keeps_its_count_of_most_active_speakers():
    active = np.array([[0.9, 0.2, 0.0], [0.9, 0.6, 0.1], [0.0, 0.0, 0.0], [0.0, 0.3, 0.0]])
    count = np.array([1, 2, 1, 2])
    on = _top_speakers(active, count)
    assert on.tolist() == [
        [True, False, False],
        [True, True, False],
        [False, False, False],  # counted speech that no linked speaker holds stays empty
        [False, True, False],  # only speakers actually heard are kept
    ]


def test_two_local_speakers_of_one_window_take_different_speakers():
    # Both local speakers of window 0 are closer to speaker 0; the pair is resolved so
    # the total similarity is best: 0.9 + 0.7 beats 0.8 + 0.6.
    keys = [(0, 0, 0), (0, 1, 0), (1, 0, 0)]
    sims = np.array([[0.9, 0.6], [0.8, 0.7], [0.5, 0.9]])
    assert _assign(keys, sims, constrained=True, margin=0.05) == {(0, 0, 0): 0, (0, 1, 0): 1, (1, 0, 0): 1}
    unconstrained = _assign(keys, sims, constrained=False, margin=0.05)
    assert unconstrained[(0, 1, 0)] == 0


def test_a_speaker_heard_by_two_local_speakers_counts_once():
    act = np.zeros((1, 4, 3), dtype=bool)
    act[0, :, 0] = act[0, :, 1] = True
    seg = LocalSegmentation(offsets=np.array([0]), activity=act, n_frames=4)
    assign = {(0, 0, 0): 0, (0, 1, 0): 0}
    parts = {(0, 0): [4], (0, 1): [4]}
    active = _cluster_activity(seg, assign, parts, 2)
    assert active[:, 0].tolist() == [1.0] * 4 and active[:, 1].tolist() == [0.0] * 4


def test_turns_bridge_short_gaps_and_name_speakers_by_first_turn():
    on = np.zeros((200, 2), dtype=bool)
    on[100:150, 0] = True
    on[10:60, 1] = True
    on[65:80, 1] = True  # 5 frames (84 ms) after the previous piece
    turns = _turns(on, bridge_s=0.1, min_turn_s=0.0, duration=10.0)
    assert [t.speaker for t in turns] == ["SPEAKER_00", "SPEAKER_01"]
    assert turns[0].end - turns[0].start == pytest.approx(70 * FRAME_STEP / 16000, abs=1e-3)


def test_frame_activity_carries_the_turns_speaker_names():
    # Cluster 1 speaks first, so it is SPEAKER_00; the activity's columns follow the names.
    on = np.zeros((200, 2), dtype=bool)
    on[100:150, 0] = True
    on[10:60, 1] = True
    active = on.astype(np.float32) * np.array([0.9, 0.6], dtype=np.float32)
    count = on.sum(axis=1).astype(np.int8)
    turns = _turns(on, bridge_s=0.1, min_turn_s=0.0, duration=10.0)
    act = _activity(active, count, on, 0.1, 0.0, 10.0, 0.0)
    assert act.labels == ["SPEAKER_00", "SPEAKER_01"]
    for t in turns:
        heard = act.mean(t.start + 0.05, t.end - 0.05)
        assert max(heard, key=heard.get) == t.speaker
    assert act.mean(turns[0].start + 0.1, turns[0].end - 0.1)["SPEAKER_00"] == pytest.approx(0.6)


def test_one_frame_flickers_at_a_turn_end_leave_no_slivers():
    on = np.zeros((100, 2), dtype=bool)
    on[0:40, 0] = True
    on[40, 1] = True  # one frame of the other speaker
    on[41:43, 0] = True  # and the first speaker back for two
    on[60:100, 1] = True
    turns = _turns(on, bridge_s=0.05, min_turn_s=0.05, duration=10.0)
    assert [(t.speaker, round(t.end - t.start, 2)) for t in turns] == [("SPEAKER_00", 0.73), ("SPEAKER_01", 0.68)]


def test_onset_delay_moves_starts_only_and_drops_turns_it_empties():
    on = np.zeros((200, 2), dtype=bool)
    on[10:60, 0] = True
    on[100:102, 1] = True  # 34 ms: gone once its start moves 50 ms
    plain = _turns(on, bridge_s=0.05, min_turn_s=0.0, duration=10.0)
    late = _turns(on, bridge_s=0.05, min_turn_s=0.0, duration=10.0, onset_delay_s=0.05)
    assert len(plain) == 2 and len(late) == 1
    assert late[0].start == pytest.approx(plain[0].start + 0.05, abs=1e-3)
    assert late[0].end == plain[0].end


def test_windows_sit_on_one_frame_grid_and_cover_the_tail():
    calls = []

    class Session:
        def run(self, _, feed):
            calls.append(feed["input"].shape)
            return [np.zeros((feed["input"].shape[0], 589, 7), dtype=np.float32)]

    x = np.zeros(int(23.3 * 16000), dtype=np.float32)
    seg = SpeakerSegmenter(Session())(x, step_s=2.0)
    starts = seg.offsets * FRAME_STEP
    assert (starts[1:] - starts[:-1] > 0).all()
    assert starts[-1] + 160000 >= len(x)  # the last window reaches the end
    assert seg.n_frames * FRAME_STEP <= len(x)
    assert not seg.activity.any()  # class 0 is "nobody"


def test_silence_gives_no_turns():
    out = SegmentedDiarizer().diarize(Audio(np.zeros((1, 16000 * 5), dtype=np.float32)))
    assert out.turns == [] and out.backend == "segmented" and out.info["speech_s"] == 0


def test_impossible_speaker_counts_are_refused():
    audio = Audio(np.zeros((1, 16000), dtype=np.float32))
    with pytest.raises(ConfigError, match="num_speakers=0"):
        SegmentedDiarizer().diarize(audio, num_speakers=0)
    with pytest.raises(ConfigError, match="min_speakers=3, max_speakers=2"):
        SegmentedDiarizer().diarize(audio, min_speakers=3, max_speakers=2)


def test_other_sample_rates_are_refused_with_what_to_do():
    with pytest.raises(AudioError, match="16 kHz.*load_audio"):
        SegmentedDiarizer().diarize(Audio(np.zeros((1, 8000), dtype=np.float32), sample_rate=8000))


@pytest.mark.slow
def test_a_mono_call_gets_both_speakers_and_its_overlap(overlapping_call):
    path, truth = overlapping_call
    audio = load_audio(path)
    out = SegmentedDiarizer().diarize(audio)
    hyp = turns_annotation(out.turns)
    ref = turns_annotation([type(out.turns[0])(t.start, t.end, t.speaker) for t in truth])
    assert len(hyp.labels()) == 2
    der = DiarizationErrorRate(collar=0.5)(ref, hyp, uem=Timeline([Segment(0, audio.duration)]))
    assert der < 0.05, der
    placed = Segment(truth[4].start, truth[3].end)  # the rep starts under the customer
    found = hyp.get_overlap()
    covered = sum((s & placed).duration for s in found if s.intersects(placed))
    assert covered >= 0.5 * placed.duration, (list(found), placed)
    stray = [s for s in found if not s.intersects(Segment(placed.start - 0.3, placed.end + 0.3))]
    assert all(s.duration < 0.5 for s in stray), stray


def test_turns_start_where_the_speech_does(overlapping_call):
    # segmentation-3.0 fires ~55 ms before speech begins; without the onset delay the
    # starts here come out a median 60 ms early, which lengthens every overlap.
    path, truth = overlapping_call
    out = SegmentedDiarizer().diarize(load_audio(path))
    early = [min((t.start - line.start for t in out.turns), key=abs) for line in truth]
    assert abs(float(np.median(early))) < 0.03, early


# espeak-ng voices that segmentation-3.0 hears as one person: every 10 s window holds a
# single local speaker, so the segmented backend on its own finds one speaker.
_ALIKE = ("en-us-nyc+m1", "en-gb+f3")


@pytest.fixture(scope="module")
def alike_voices_call(tmp_path_factory):
    """A two-party call in ``_ALIKE`` voices, with one 1.2 s overlap."""
    from callsynth import Line, make_call

    rep, customer = _ALIKE
    path = tmp_path_factory.mktemp("alike") / "alike.wav"
    truth = make_call(
        [
            Line(rep, "Good morning, this is Alex calling from Northwind about your renewal.", at=0.5),
            Line(customer, "Oh right, hello. Yes, I was expecting your call.", gap=0.5),
            Line(rep, "Great. How has the platform been working for your team this quarter?", gap=0.4),
            Line(customer, "Honestly it has been mixed. The reporting is slow and my analysts export by hand.", gap=0.8),
            Line(rep, "We have a scheduled export feature that is included in the premium tier.", gap=0.5),
            Line(customer, "Wait, does that include the API access as well?", gap=-1.2),
            Line(rep, "Yes, it does.", gap=0.4),
        ],
        path,
        noise_db=-55.0,
    )
    return path, truth


@pytest.mark.slow
def test_voices_the_segmentation_hears_as_one_get_a_second_look(alike_voices_call):
    path, truth = alike_voices_call
    audio = load_audio(path)
    ref = turns_annotation([Turn(t.start, t.end, t.speaker) for t in truth])
    uem = Timeline([Segment(0, audio.duration)])

    alone = SegmentedDiarizer(SegmentedSettings(second_look=False)).diarize(audio)
    assert len({t.speaker for t in alone.turns}) == 1  # the failure the second look is for

    out = SegmentedDiarizer().diarize(audio)
    assert out.info["second_look"]["adopted"] is True
    assert out.backend == "embedded"
    hyp = turns_annotation(out.turns)
    assert len(hyp.labels()) == 2
    assert DiarizationErrorRate(collar=0.5)(ref, hyp, uem=uem) < 0.1

    # A count given by the user forces a split of the segmentation's one voice; the
    # second look must still be taken, since that split would be by chance.
    forced = SegmentedDiarizer().diarize(audio, num_speakers=2)
    assert forced.info["second_look"]["adopted"] is True
    assert DiarizationErrorRate(collar=0.5)(ref, turns_annotation(forced.turns), uem=uem) < 0.1


@pytest.mark.slow
def test_one_voice_stays_one_speaker_without_proof_of_two(tmp_path):
    from callsynth import Line, make_call

    path = tmp_path / "one.wav"
    make_call(
        [
            Line(_ALIKE[0], "Thanks for joining today, I want to walk you through our product.", at=0.5),
            Line(_ALIKE[0], "It has three main parts: reporting, exports and the admin console.", gap=0.6),
            Line(_ALIKE[0], "Reporting is where most teams start, because it shows what they care about.", gap=0.7),
            Line(_ALIKE[0], "And the admin console is where you manage seats, permissions and billing.", gap=0.6),
        ],
        path,
        noise_db=-55.0,
    )
    class Splits:
        def diarize(self, *a, **k):
            raise AssertionError("no two voices were heard at once: nothing calls for a second look")

    # The embedded backend's two-party prior splits this very monologue in two, which is
    # why the second look needs proof of two people first.
    out = SegmentedDiarizer(second_opinion=Splits()).diarize(load_audio(path))
    assert len({t.speaker for t in out.turns}) == 1
    assert out.info["overlap_s"] < 0.5


def test_no_second_look_when_one_speaker_is_what_was_asked(alike_voices_call):
    class Refuses:
        def diarize(self, *a, **k):
            raise AssertionError("the second look must not run for --num-speakers 1")

    out = SegmentedDiarizer(second_opinion=Refuses()).diarize(load_audio(alike_voices_call[0]), num_speakers=1)
    assert len({t.speaker for t in out.turns}) == 1
    assert "second_look" not in out.info


def test_speech_is_announced_before_the_voices_are_embedded(overlapping_call, monkeypatch):
    """Recognition starts on these regions while the voices are still being linked: they
    come before any embedding, and they are where the speech is."""
    path, truth = overlapping_call
    diarizer = SegmentedDiarizer()
    order: list[str] = []
    heard: list[list[tuple[float, float]]] = []
    real_embed = diarizer._embed

    def embed(*args, **kwargs):
        order.append("embed")
        return real_embed(*args, **kwargs)

    monkeypatch.setattr(diarizer, "_embed", embed)

    def on_speech(regions, settled_s):
        order.append("speech" if settled_s is None else "speech so far")
        heard.append(regions)

    out = diarizer.diarize(load_audio(path), on_speech=on_speech)
    assert SegmentedDiarizer.announces_speech
    assert order[-2:] == ["speech", "embed"] and set(order[:-2]) <= {"speech so far"}
    speech = Timeline([Segment(a, b) for a, b in heard[-1]]).support()
    spoken = Timeline([Segment(t.start, t.end) for t in truth]).support()
    assert abs(speech.duration() - spoken.duration()) < 0.1 * spoken.duration()
    turns = Timeline([Segment(t.start, t.end) for t in out.turns]).support()
    assert abs(speech.duration() - turns.duration()) < 0.05 * turns.duration()


class _CountingEncoder:
    """The shared encoder, counting the windows it is asked to embed."""

    def __init__(self):
        from listenlens.pipeline.diarize.embedded_encoder import shared_encoder

        self.inner, self.windows = shared_encoder(), 0

    def __call__(self, batch):
        self.windows += len(batch)
        return self.inner(batch)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_windows_hearing_one_stretch_alike_embed_its_partials_once(overlapping_call):
    from listenlens.pipeline.diarize.embedded_encoder import embed_windows, mel_frames
    from listenlens.pipeline.diarize.segmented import _mel_index, _Partials

    path, _ = overlapping_call
    mel = mel_frames(load_audio(path).mono())
    encoder = _CountingEncoder()
    partials = _Partials(encoder, mel, win=160, step=80)
    # Two windows a second apart (59 segmentation frames) hearing one voice throughout.
    first, second = _mel_index(np.arange(0, 589), len(mel)), _mel_index(np.arange(59, 648), len(mel))
    alone = partials.embed([first])
    computed = encoder.windows
    partials.embed([second])
    shared = len({f.tobytes() for f in partials._partials(first)} & {f.tobytes() for f in partials._partials(second)})
    assert shared >= 3
    assert encoder.windows - computed == len(partials._partials(second)) - shared
    # A piece's voice is the mean of its own partials, as if each were embedded alone.
    each = np.stack([embed_windows(encoder.inner, mel[f], np.zeros(1, dtype=np.int64), 160)[0] for f in partials._partials(first)])
    mean = each.mean(axis=0)
    np.testing.assert_allclose(alone[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_partials_start_on_the_recordings_grid_and_short_pieces_embed_whole(overlapping_call):
    from listenlens.pipeline.diarize.embedded_encoder import embed_ragged, mel_frames, shared_encoder
    from listenlens.pipeline.diarize.segmented import _mel_index, _Partials

    path, _ = overlapping_call
    mel = mel_frames(load_audio(path).mono())
    partials = _Partials(shared_encoder(), mel, win=160, step=80)
    piece = _mel_index(np.arange(30, 400), len(mel))
    starts = [int(f[0]) for f in partials._partials(piece)]
    assert len(starts) >= 2 and all(len(f) == 160 for f in partials._partials(piece))
    # Each partial begins at the piece's first frame at or after a grid line.
    for s in starts:
        i, line = int(np.searchsorted(piece, s)), (s // partials.grid) * partials.grid
        assert line == s if i == 0 else piece[i - 1] < line <= s
    short = _mel_index(np.arange(100, 150), len(mel))
    np.testing.assert_allclose(partials.embed([short])[0], embed_ragged(shared_encoder(), [mel[short]])[0], atol=1e-5)
    partials.embed([piece])
    assert len(partials.known) == len(starts) + 1
    partials.forget_before(int(starts[-1]))
    assert [int(np.frombuffer(k, dtype=np.int64, count=1)[0]) for k in partials.known] == [starts[-1]]


@pytest.mark.parametrize("so_far", [True, False])
def test_speech_so_far_only_when_recognition_can_start_on_it(overlapping_call, so_far):
    """A recogniser that must wait for all the speech (beam search, one window after
    another) leaves the segmentation both cores and is told the speech once."""
    path, _ = overlapping_call
    diarizer = SegmentedDiarizer()
    real, seen = diarizer.segmenter, {}

    def spy(x, step_s, progress=None, *, threads=None, on_settled=None):
        seen.update(threads=threads, on_settled=on_settled is not None)
        return real(x, step_s, progress, threads=threads, on_settled=on_settled)

    diarizer.segmenter = spy
    heard: list = []
    diarizer.diarize(load_audio(path), on_speech=lambda regions, settled_s: heard.append(settled_s), speech_so_far=so_far)
    assert heard[-1] is None and (so_far or heard == [None])
    assert seen == ({"threads": 1, "on_settled": True} if so_far else {"threads": None, "on_settled": False})
