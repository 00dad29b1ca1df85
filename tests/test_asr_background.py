"""Recognition on its own thread while the diarizer works (pipeline/asr.py BackgroundTranscription)."""

from __future__ import annotations

import threading
import time

import pytest

from listenlens.pipeline.asr import AsrSegment, AsrWord, BackgroundTranscription


class SlowTranscriber:
    """Stands in for faster-whisper: one segment per region, each taking a while, each
    region transcribed once, as soon as it is heard."""

    def __init__(self, seconds_per_region: float = 0.05):
        self.seconds = seconds_per_region
        self.thread: str | None = None
        self.stopped_after: int | None = None
        self.heard: list[tuple[int, float | None]] = []  # (regions, settled_s) of each announcement taken

    def transcribe_as_found(self, samples, found, *, progress=None, stop=None, **_):
        self.thread = threading.current_thread().name
        out: list[AsrSegment] = []
        for regions, settled_s in found:
            self.heard.append((len(regions), settled_s))
            for a, b in regions[len(out):]:
                if stop is not None and stop.is_set():
                    self.stopped_after = len(out)
                    return out
                time.sleep(self.seconds)
                out.append(AsrSegment(a, b, "hello", [AsrWord(a, b, "hello", 0.9)]))
                if progress:
                    progress("asr", b, regions[-1][1])
        return out


def test_recognition_runs_on_its_own_thread_and_reports_progress_when_asked():
    tr = SlowTranscriber()
    early = BackgroundTranscription(tr, samples=None)
    assert not early.started
    early.hear([(0.0, 1.0), (2.0, 3.0)], settled_s=3.5)
    assert early.started
    early.hear([(0.0, 1.0), (2.0, 3.0), (4.0, 5.0)])
    heard = []
    segments = early.result(lambda stage, done, total: heard.append((stage, done, total)))
    assert [s.start for s in segments] == [0.0, 2.0, 4.0]
    assert tr.thread is not None and tr.thread.startswith("listenlens-asr")
    assert heard and heard[-1] == ("asr", 5.0, 5.0)


def test_the_recogniser_skips_to_the_latest_speech_found_while_it_was_busy():
    tr = SlowTranscriber(seconds_per_region=0.2)
    early = BackgroundTranscription(tr, samples=None)
    early.hear([(0.0, 1.0)], settled_s=1.5)
    time.sleep(0.05)  # the first region is being transcribed
    for n in range(2, 6):
        early.hear([(float(i), i + 0.5) for i in range(n)], settled_s=n + 0.7)
    early.hear([(float(i), i + 0.5) for i in range(6)])
    segments = early.result()
    assert len(segments) == 6
    assert tr.heard == [(1, 1.5), (6, None)]


def test_speech_heard_is_all_there_is_once_the_result_is_asked_for():
    """A diarizer that stops announcing (no final call) does not leave the recogniser
    waiting: asking for the result ends the announcements."""
    tr = SlowTranscriber(seconds_per_region=0.01)
    early = BackgroundTranscription(tr, samples=None)
    early.hear([(0.0, 1.0), (2.0, 3.0)], settled_s=3.5)
    segments = early.result()
    assert [s.start for s in segments] == [0.0, 2.0]


def test_a_failed_call_stops_recognition_at_the_next_segment():
    tr = SlowTranscriber(seconds_per_region=0.05)
    early = BackgroundTranscription(tr, samples=None)
    early.hear([(float(i), i + 0.5) for i in range(200)])  # 10 s of work
    time.sleep(0.12)
    t0 = time.perf_counter()
    early.cancel()
    segments = early.result()
    assert time.perf_counter() - t0 < 1.0
    assert tr.stopped_after is not None and len(segments) == tr.stopped_after < 200


def test_a_failed_call_frees_a_recogniser_waiting_for_more_speech():
    tr = SlowTranscriber(seconds_per_region=0.01)
    early = BackgroundTranscription(tr, samples=None)
    early.hear([(0.0, 1.0)], settled_s=1.5)
    time.sleep(0.1)  # done with what it heard; waiting for more
    early.cancel()
    t0 = time.perf_counter()
    assert len(early.result()) == 1
    assert time.perf_counter() - t0 < 1.0


def test_asking_for_words_never_started_is_a_programming_error():
    with pytest.raises(RuntimeError, match="never started"):
        BackgroundTranscription(SlowTranscriber(), samples=None).result()


def _segment(start, text):
    from faster_whisper.transcribe import Segment, Word

    words = [Word(start + 0.3 * i, start + 0.3 * i + 0.25, " " + w, 0.9) for i, w in enumerate(text.split())]
    return Segment(0, 0, start, words[-1].end, " " + text, [], -0.3, 1.0, 0.0, words, 0.0)


class LoopingModel:
    """Stands in for WhisperModel: the first decode falls into a loop after ``heard``;
    a retry (asked with temperatures to fall back to) hears ``retried``. Records the
    length of audio and the options of each decode."""

    def __init__(self, heard: str, loop: str, retried: str):
        self.heard, self.loop, self.retried = heard, loop, retried
        self.calls: list[tuple[float, dict]] = []

    def transcribe(self, audio, **options):
        self.calls.append((len(audio) / 16000, options))
        if isinstance(options.get("temperature"), tuple):
            return iter([_segment(0.2, self.retried)]), None  # after the padding
        if not self.heard:
            return iter([_segment(0.0, self.loop)]), None
        first = _segment(0.0, self.heard)
        return iter([first, _segment(first.end + 0.1, self.loop)]), None


def _transcriber(model):
    import numpy as np  # noqa: F401  (the transcriber's audio)

    from listenlens.pipeline.asr import Transcriber

    tr = Transcriber.__new__(Transcriber)
    tr.model, tr.keep_fillers = model, False
    tr.settings = type("S", (), {"language": "en", "beam_size": 1, "batch_size": 1})()
    return tr


def test_words_before_a_decoding_loop_are_kept_and_the_loop_is_decoded_again():
    """Whisper on a narrowband call can fall into "ma'am, ma'am, ma'am, ..." half-way
    through a window of words it heard right: those words stay, the loop goes, and only
    the audio the loop covered is decoded again, with temperatures to fall back to."""
    import numpy as np

    heard = "Your site crashed twice during the busiest sales period. Yes,"
    model = LoopingModel(heard, "ma'am, " * 30, "that is exactly it.")
    out = _transcriber(model).transcribe(np.zeros(16000 * 20, dtype=np.float32), [(0.0, 20.0)])
    words = [w.text for s in out for w in s.words]
    assert "ma'am," not in words
    assert words[: len(heard.split())] == heard.split()
    assert words[len(heard.split()) :] == "that is exactly it.".split()
    first, retry = model.calls
    assert first[1]["temperature"] == 0.0 and retry[1]["temperature"][0] == 0.0 and len(retry[1]["temperature"]) > 1
    n = len(heard.split())
    loop_start = 0.3 * (n - 1) + 0.25  # the last kept word's end
    loop_end = loop_start + 0.1 + 0.3 * 29 + 0.25  # the loop's last word's end
    assert retry[0] == pytest.approx(loop_end - loop_start + 2 * 0.2, abs=0.15)  # the loop's span, padded
    retried = [w for s in out for w in s.words][len(heard.split()) :]
    assert all(w.start >= loop_start for w in retried)


def test_the_retry_samples_from_a_fixed_seed(monkeypatch):
    """Temperature fallback samples: unseeded, the same call could read differently on
    each run."""
    import ctranslate2
    import numpy as np

    seeds: list[int] = []
    monkeypatch.setattr(ctranslate2, "set_random_seed", seeds.append)
    model = LoopingModel("Fine.", "ma'am, " * 30, "that is it.")
    for _ in range(2):
        _transcriber(model).transcribe(np.zeros(16000 * 20, dtype=np.float32), [(0.0, 20.0)])
    assert len(seeds) == 2 and seeds[0] == seeds[1]


def test_a_window_that_is_all_loop_is_dropped_and_decoded_again():
    import numpy as np

    model = LoopingModel("", "ma'am, " * 30, "Probably three times a normal day.")
    out = _transcriber(model).transcribe(np.zeros(16000 * 20, dtype=np.float32), [(0.0, 20.0)])
    assert [s.text for s in out] == ["Probably three times a normal day."]
    assert len(model.calls) == 2


def test_a_loop_in_the_retry_is_cut_and_not_retried_again():
    import numpy as np

    class AlwaysLoops(LoopingModel):
        def transcribe(self, audio, **options):
            self.calls.append((len(audio) / 16000, options))
            return iter([_segment(0.2, "Okay. " + "ma'am, " * 30)]), None

    model = AlwaysLoops("", "", "")
    out = _transcriber(model).transcribe(np.zeros(16000 * 20, dtype=np.float32), [(0.0, 20.0)])
    assert len(model.calls) == 2
    assert {w.text for s in out for w in s.words} == {"Okay."}


@pytest.mark.parametrize(
    "text, kept",
    [
        ("to explain the outages. Yes, ma'am, ma'am, ma'am, ma'am, ma'am,", 5),
        ("and my boss was not happy and and and and", 6),
        ("I said thank you thank you thank you thank you", 2),
        ("No, no, no, that is not what I meant.", 9),  # three in a row is speech
        ("the team, the team, and the budget", 7),
    ],
)
def test_a_loop_starts_at_a_unit_repeated_in_a_row(text, kept):
    from listenlens.pipeline.asr import AsrWord, before_loop

    words = [AsrWord(float(i), i + 0.5, w, 0.9) for i, w in enumerate(text.split())]
    assert [w.text for w in before_loop(words)] == text.split()[:kept]
