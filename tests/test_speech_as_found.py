"""Recognition starts on the speech found so far while the segmentation goes on
(pipeline/clips.py, the segmented diarizer's announcements, Transcriber.transcribe_as_found).

What is handed out early must be what the whole call would give: the regions announced
before the end are the final regions that start before the settled time, and every batch
planned early is a batch of the final plan, so the words cannot change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from listenlens.pipeline import clips
from listenlens.pipeline.clips import plan_batches
from listenlens.pipeline.diarize.segmentation import FRAME_SPAN, FRAME_STEP, SpeakerSegmenter
from listenlens.pipeline.diarize.segmented import SegmentedSettings, _SpeechFound

DEMO = Path(__file__).resolve().parents[1] / "demo" / "demo_call.wav"
SR = 16000


class EnergySession:
    """Stands in for segmentation-3.0: a frame is one speaker where it is loud, two
    where it is very loud in every other window (so the windows' mean count varies)."""

    def __init__(self):
        self.window = 0

    def run(self, _, feed):
        batch = feed["input"][:, 0]
        n = (batch.shape[1] - FRAME_SPAN) // FRAME_STEP + 1
        out = np.zeros((len(batch), n, 7), dtype=np.float32)
        for b, x in enumerate(batch):
            centre = np.arange(n) * FRAME_STEP + FRAME_SPAN // 2
            level = np.array([np.abs(x[c - FRAME_STEP // 2 : c + FRAME_STEP // 2]).mean() for c in centre])
            cls = np.where(level > 0.05, 1, 0)
            if self.window % 2:
                cls = np.where(level > 0.3, 4, cls)
            out[b, np.arange(n), cls] = 1.0
            self.window += 1
        return [out]


def _bursts(seconds: float, seed: int) -> np.ndarray:
    """Noise bursts of every length from a sliver to seconds, apart by every gap."""
    rng = np.random.default_rng(seed)
    x = np.zeros(int(seconds * SR), dtype=np.float32)
    t = 0.5
    while t < seconds - 1:
        on, off = rng.choice([0.02, 0.04, 0.08, 0.3, 1.5, 4.0, 12.0]), rng.choice([0.01, 0.03, 0.06, 0.12, 0.4, 1.0])
        a, b = int(t * SR), int(min(seconds, t + on) * SR)
        x[a:b] = rng.uniform(-1, 1, b - a) * rng.choice([0.2, 0.8])
        t += on + off
    return x


def _announcements(x: np.ndarray) -> list[tuple[list[tuple[float, float]], float | None]]:
    heard: list = []
    found = _SpeechFound(lambda regions, settled_s: heard.append((regions, settled_s)), SegmentedSettings())
    seg = SpeakerSegmenter(EnergySession())(x, 1.0, on_settled=found)
    found.all(seg.count(), len(x) / SR)
    return heard


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_speech_announced_early_is_the_final_speech_before_the_settled_time(seed):
    x = _bursts(240.0, seed)
    heard = _announcements(x)
    *early, (final, last) = heard
    assert last is None and len(early) >= 5
    settled = [s for _, s in early]
    assert settled == sorted(settled) and settled[-1] > 150
    for regions, settled_s in early:
        assert regions == [r for r in final if r[0] < settled_s]


@pytest.mark.parametrize("batch_size", [4, 2, 1, None])
def test_every_batch_planned_early_is_one_of_the_final_plan(batch_size, monkeypatch):
    monkeypatch.setattr(clips, "GROUP_MAX_S", 70.0)  # several groups, so groups close too
    x = _bursts(300.0, 4)
    regions = _announcements(x)[-1][0]
    final = plan_batches(x, regions, None, batch_size)
    assert len({b.chunks[0] for b in final}) >= 3  # groups
    # Settled at every region's start (the tightest the contract allows) and in every gap.
    gaps = [(b + c) / 2 for (_, b), (c, _) in zip(regions, regions[1:])]
    handed_out = 0
    for settled_s in sorted([a for a, _ in regions] + gaps):
        planned = plan_batches(x, [r for r in regions if r[0] < settled_s], settled_s, batch_size)
        assert planned == final[: len(planned)]  # batches of the final plan, in call order
        handed_out = max(handed_out, len(planned))
    # Only the last group (whole groups), or the last few clips, wait for the end.
    assert handed_out == len(final) - 1 if batch_size is None else handed_out >= len(final) - 3


def test_a_batch_waits_for_clips_that_could_still_grow():
    x = np.zeros(200 * SR, dtype=np.float32)
    regions = [(float(t), t + 8.0) for t in range(0, 120, 10)]  # 12 clips' worth of 8 s regions
    settled = plan_batches(x, regions[:7], 70.0, 4)
    # 7 regions of 8.4 s padded: 3 per 30 s clip -> clips of 3, 3 and an open one: no full batch yet.
    assert settled == []
    final = plan_batches(x, regions, None, 4)
    assert [len(b.clips) for b in final] == [4]
    assert sum(b - a for a, b in final[0].clips) == sum(b - a for a, b in final[0].chunks)


@pytest.fixture(scope="module")
def transcriber():
    from listenlens.config import load_settings
    from listenlens.pipeline.asr import Transcriber

    return Transcriber(load_settings().asr)


def test_words_recognised_as_the_speech_is_found_are_those_of_the_whole_call(transcriber):
    """On the bundled call, with the real segmentation and recogniser: the same words,
    at the same times, whether recognition waits for all the speech or starts early.
    (Both run on this CPU, so exact equality holds on any CPU.)"""
    from listenlens.pipeline.asr import BackgroundTranscription
    from listenlens.pipeline.audio import load_audio
    from listenlens.pipeline.diarize.segmented import SegmentedDiarizer

    audio = load_audio(DEMO)
    x = audio.mono()
    heard: list = []
    early = BackgroundTranscription(transcriber, x)

    def on_speech(regions, settled_s):
        heard.append((regions, settled_s))
        early.hear(regions, settled_s)

    SegmentedDiarizer().diarize(audio, on_speech=on_speech)
    as_found = early.result()
    assert len(heard) >= 3 and heard[-1][1] is None
    whole = transcriber.transcribe(x, heard[-1][0])
    key = lambda segments: [(w.start, w.end, w.text, w.probability) for s in segments for w in s.words]  # noqa: E731
    assert len(key(whole)) > 100
    assert key(as_found) == key(whole)


@pytest.mark.parametrize(
    "batch_size, beam, phone_beam, wide, phone",
    [(4, 1, 5, 4, None), (4, 1, 1, 4, 4), (4, 3, 5, None, None), (1, 1, 5, None, None)],
)
def test_beam_searched_audio_is_decoded_one_window_after_another(batch_size, beam, phone_beam, wide, phone):
    """faster-whisper's batched beam search gives different words from run to run; a
    call analysed twice must say the same, so only greedy decoding is batched."""
    from listenlens.config import AsrSettings
    from listenlens.pipeline.asr import Transcriber

    tr = Transcriber.__new__(Transcriber)
    tr.settings = AsrSettings(batch_size=batch_size, beam_size=beam, phone_beam_size=phone_beam).resolved()
    tr.keep_fillers = False
    assert tr.clips_per_batch(narrowband=False) == wide
    assert tr.clips_per_batch(narrowband=True) == phone
    from listenlens.pipeline.asr import BackgroundTranscription

    assert BackgroundTranscription(tr, None, narrowband=True).starts_early == (phone is not None)
