"""Recognition on its own thread while the diarizer works (pipeline/asr.py BackgroundTranscription)."""

from __future__ import annotations

import threading
import time

import pytest

from listenlens.pipeline.asr import AsrSegment, AsrWord, BackgroundTranscription


class SlowTranscriber:
    """Stands in for faster-whisper: one segment per region, each taking a while."""

    def __init__(self, seconds_per_region: float = 0.05):
        self.seconds = seconds_per_region
        self.thread: str | None = None
        self.stopped_after: int | None = None

    def transcribe(self, samples, regions, *, progress=None, stop=None, **_):
        self.thread = threading.current_thread().name
        out = []
        for i, (a, b) in enumerate(regions):
            if stop is not None and stop.is_set():
                self.stopped_after = i
                break
            time.sleep(self.seconds)
            out.append(AsrSegment(a, b, "hello", [AsrWord(a, b, "hello", 0.9)]))
            if progress:
                progress("asr", b, regions[-1][1])
        return out


def test_recognition_runs_on_its_own_thread_and_reports_progress_when_asked():
    tr = SlowTranscriber()
    early = BackgroundTranscription(tr, samples=None)
    assert not early.started
    early.start([(0.0, 1.0), (2.0, 3.0), (4.0, 5.0)])
    early.start([(9.0, 10.0)])  # a second announcement changes nothing
    heard = []
    segments = early.result(lambda stage, done, total: heard.append((stage, done, total)))
    assert [s.start for s in segments] == [0.0, 2.0, 4.0]
    assert tr.thread is not None and tr.thread.startswith("listenlens-asr")
    assert heard and heard[-1] == ("asr", 5.0, 5.0)


def test_a_failed_call_stops_recognition_at_the_next_segment():
    tr = SlowTranscriber(seconds_per_region=0.05)
    early = BackgroundTranscription(tr, samples=None)
    early.start([(float(i), i + 0.5) for i in range(200)])  # 10 s of work
    time.sleep(0.12)
    t0 = time.perf_counter()
    early.cancel()
    segments = early.result()
    assert time.perf_counter() - t0 < 1.0
    assert tr.stopped_after is not None and len(segments) == tr.stopped_after < 200


def test_asking_for_words_never_started_is_a_programming_error():
    with pytest.raises(RuntimeError, match="never started"):
        BackgroundTranscription(SlowTranscriber(), samples=None).result()


def test_a_decoding_loop_is_dropped_and_real_words_are_kept():
    """Whisper on a narrowband call can fall into "ma'am, ma'am, ma'am, ..." for a whole
    window; with one temperature nothing re-decodes it, so the segment is dropped."""
    import numpy as np
    from faster_whisper.transcribe import Segment, Word

    from listenlens.pipeline.asr import Transcriber

    def segment(start, text):
        words = [Word(start + 0.3 * i, start + 0.3 * i + 0.25, " " + w, 0.9) for i, w in enumerate(text.split())]
        return Segment(0, 0, start, words[-1].end, text, [], -0.3, 1.0, 0.0, words, 0.0)

    class Model:
        def transcribe(self, audio, **options):
            return iter([segment(0.0, "Your site crashed twice during the busiest sales period."),
                         segment(4.0, "ma'am, " * 30)]), None

    tr = Transcriber.__new__(Transcriber)
    tr.model, tr.keep_fillers = Model(), False
    tr.settings = type("S", (), {"language": "en", "beam_size": 1, "batch_size": 1})()
    out = tr.transcribe(np.zeros(16000 * 20, dtype=np.float32), [(0.0, 20.0)])
    assert [s.text for s in out] == ["Your site crashed twice during the busiest sales period."]
