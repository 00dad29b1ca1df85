"""Transcription: faster-whisper with word timestamps.

The recogniser only hears the speech the diarizer found: those regions are cut out,
joined and transcribed (``clips.py`` plans how), and the word times are mapped back to the call
(faster-whisper's own ``vad_filter`` does the same with its own VAD; here speech is
detected once and shared with diarization). On a dual-channel call each channel is
transcribed over its own party's speech only, so the other party's voice leaking into
it is never transcribed a second time.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from listenlens.config import AsrSettings
from listenlens.errors import ModelError
from listenlens.models.registry import asr_model_path
from listenlens.pipeline.clips import Batch, as_whisper_chunks, plan_batches, speech_chunks
from listenlens.pipeline.constants import SAMPLE_RATE
from listenlens.pipeline.progress import Progress

# Whisper learned from transcripts that mostly leave out "um" and "uh", so it drops
# fillers unless its prompt shows some. faster-whisper puts ``hotwords`` in front of
# every 30 s window; ``initial_prompt`` would reach only the first one, because the
# previous window's text is not carried over (condition_on_previous_text=False).
FILLER_PROMPT = "Um, uh, so, like, you know, I mean, er, hmm, basically."
# Text that compresses this well is a decoding loop ("ma'am, ma'am, ma'am, ..."), not
# speech: Whisper's own bound for a failed window (compression_ratio_threshold). A loop
# often takes over a window half-way, after words heard right ("... to explain the
# outages. Yes, ma'am, ma'am, ..."): those words are kept, the loop is cut off, and the
# audio it covered is decoded once more on its own, where Whisper falls back to higher
# temperatures (greedy decoding once is ~20% faster, so only these spans pay for it).
LOOP_COMPRESSION = 2.4
LOOP_RETRY_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8)
# A unit of this many words repeated this many times in a row is where a loop starts
# ("no, no, no" is speech; a fourth "no" in a row in a window that compresses like a
# loop is not).
LOOP_UNIT_REPEATS = {1: 4, 2: 3, 3: 3, 4: 3}
# A loop's span ends where the next kept word starts, less this much (word times overlap).
RETRY_OVERLAP_S = 0.05
RETRY_SEED = 0



@dataclass(frozen=True, slots=True)
class AsrWord:
    start: float
    end: float
    text: str
    probability: float


@dataclass(slots=True)
class AsrSegment:
    start: float
    end: float
    text: str
    words: list[AsrWord]
    channel: int | None = None


@lru_cache(maxsize=2)
def load_whisper(model: str, device: str, compute_type: str, cpu_threads: int):
    """One loaded model per setting and process (the overlap detector and a tiny.en recogniser share one)."""
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(model, device=device, compute_type=compute_type, cpu_threads=cpu_threads)
    except (RuntimeError, ValueError, OSError) as exc:
        # faster-whisper raises these for unknown names (no hub here), missing CUDA, or
        # a compute type the device lacks.
        raise ModelError(
            f"cannot load ASR model {model!r} on {device}/{compute_type}: {str(exc).splitlines()[0]}; "
            "check --model/--device/--compute-type (offline, only the bundled base and tiny.en or a local CTranslate2 folder work)"
        ) from exc


class Transcriber:
    def __init__(self, settings: AsrSettings, *, keep_fillers: bool | None = None):
        """``keep_fillers``: overrides the ``keep_fillers`` setting (the filler bench compares both)."""
        s = settings.resolved()
        self.settings = s
        self.keep_fillers = s.keep_fillers if keep_fillers is None else keep_fillers
        self.model_path = asr_model_path(s.model)
        # CTranslate2's own default is 4 threads; on a 2-core machine that oversubscribes.
        threads = s.cpu_threads or (os.cpu_count() or 1)
        self.model = load_whisper(self.model_path, s.device, s.compute_type, threads)

    @property
    def description(self) -> dict:
        s = self.settings
        return {"model": s.model, "path": self.model_path, "device": s.device, "compute_type": s.compute_type,
                "beam_size": s.beam_size, "phone_beam_size": s.phone_beam_size}

    def decode_options(self, narrowband: bool = False) -> dict:
        """Options of faster-whisper's ``transcribe`` besides the audio; ``narrowband``: the
        call came over a telephone line."""
        s = self.settings
        return dict(
            language=s.language,
            beam_size=s.phone_beam_size if narrowband else s.beam_size,
            word_timestamps=True,
            vad_filter=False,
            # A long call must not drift into a repetition loop carried by its own prompt,
            # and without that prompt the temperature fallback (re-decoding a window up to
            # five times) costs more than it recovers: greedy decoding once is ~20% faster.
            condition_on_previous_text=False,
            temperature=0.0,
            hotwords=FILLER_PROMPT if self.keep_fillers else None,
        )

    def clips_per_batch(self, narrowband: bool = False) -> int | None:
        """Clips decoded side by side (``None``: one 30 s window after another).

        faster-whisper's batched decoding with a beam search gives different words from
        one run to the next, even one clip at a time (faster-whisper 1.2.1, CTranslate2
        4.8.5 on CPU: a telephone call transcribed three times gave 265, 268 and 268
        words); greedy batches and the beam search one window after another do not. A
        call analysed twice must say the same, so beam-searched audio (telephone calls,
        ``asr.phone_beam_size``) goes one window after another: about 12% slower there."""
        s = self.settings
        if s.batch_size <= 1:
            return None
        return None if self.decode_options(narrowband)["beam_size"] > 1 else s.batch_size

    def transcribe(
        self,
        samples: np.ndarray,
        regions: Iterable[tuple[float, float]],
        *,
        channel: int | None = None,
        progress: Progress | None = None,
        stage: str = "asr",
        stop: threading.Event | None = None,
        narrowband: bool = False,
    ) -> list[AsrSegment]:
        """Transcribe the speech ``regions`` (seconds) of 1-D 16 kHz ``samples``; a set
        ``stop`` ends the work at the next recognised segment; ``narrowband``: telephone
        audio, decoded with ``phone_beam_size``."""
        return self.transcribe_as_found(samples, [(list(regions), None)], channel=channel, progress=progress,
                                        stage=stage, stop=stop, narrowband=narrowband)

    def transcribe_as_found(
        self,
        samples: np.ndarray,
        found: Iterable[tuple[list[tuple[float, float]], float | None]],
        *,
        channel: int | None = None,
        progress: Progress | None = None,
        stage: str = "asr",
        stop: threading.Event | None = None,
        narrowband: bool = False,
    ) -> list[AsrSegment]:
        """``transcribe`` while the speech is still being found: ``found`` yields the
        speech regions found so far with the time before which they are complete (see
        ``plan_batches``; ``None``: all of it), and each batch is decoded as soon as it
        is settled. The words are those of ``transcribe`` on the last regions."""
        options = self.decode_options(narrowband)
        batch_size = self.clips_per_batch(narrowband)
        decoded: dict[Batch, tuple[list[AsrSegment], list[tuple[float, float]]]] = {}
        regions: list[tuple[float, float]] = []
        done = 0.0

        def decode(batch: Batch, total: float) -> None:
            nonlocal done
            start = batch.clips[0][0] / SAMPLE_RATE if batch.clips else 0.0
            decoded[batch] = self._decode(samples, batch, channel, _offset(progress, done - start, total), stage,
                                          options, stop)
            done += batch.seconds

        def stopped() -> bool:
            return stop is not None and stop.is_set()

        for regions, settled_s in found:
            total = sum(b - a for a, b in speech_chunks(regions, len(samples))) / SAMPLE_RATE
            for batch in plan_batches(samples, regions, settled_s, batch_size):
                if stopped():
                    break
                if batch not in decoded:
                    decode(batch, total)
        # Batches handed out early are those of the whole plan; one that is not (a
        # diarizer that took back speech it had called settled) is decoded again.
        plan = plan_batches(samples, regions, None, batch_size)
        total = sum(b.seconds for b in plan)
        for batch in plan:
            if batch not in decoded and not stopped():
                decode(batch, total)
        out = [seg for batch in plan if batch in decoded for seg in decoded[batch][0]]
        loops = _unheard([span for batch in plan if batch in decoded for span in decoded[batch][1]], out)
        if loops and not stopped():
            again = []
            for batch in plan_batches(samples, within(regions, loops), None, None):
                again.extend(self._decode(samples, batch, channel, None, stage, options, stop, retry=True)[0])
            out = _merge_retried(out, again, loops)
        if progress:
            progress(stage, total, total)
        return out

    def _decode(
        self, samples, batch: Batch, channel, progress, stage, options, stop=None, retry: bool = False
    ) -> tuple[list[AsrSegment], list[tuple[float, float]]]:
        """The segments of one batch, and the spans (seconds) a decoding loop took over."""
        from faster_whisper.transcribe import get_compression_ratio, restore_speech_timestamps

        joined = batch.joined(samples)
        if retry:
            import ctranslate2

            # The fallback samples at higher temperatures: seeded, a call's words stay the
            # same from one run to the next.
            ctranslate2.set_random_seed(RETRY_SEED)
            retry_options = {**options, "temperature": LOOP_RETRY_TEMPERATURES, "compression_ratio_threshold": LOOP_COMPRESSION}
            segments, _info = self.model.transcribe(joined, **retry_options)
        elif batch.clips is not None:
            from faster_whisper import BatchedInferencePipeline

            clips = [{"start": a / SAMPLE_RATE, "end": b / SAMPLE_RATE} for a, b in batch.clips]
            pipeline = BatchedInferencePipeline(self.model)
            segments, _info = pipeline.transcribe(joined, **options, clip_timestamps=clips, batch_size=len(clips))
        else:
            segments, _info = self.model.transcribe(joined, **options)
        out: list[AsrSegment] = []
        loops: list[tuple[float, float]] = []
        chunks = as_whisper_chunks(batch.chunks)
        for seg in restore_speech_timestamps(_with_progress(segments, progress, stage, stop), chunks, SAMPLE_RATE):
            words = [AsrWord(float(w.start), float(w.end), w.word.strip(), float(w.probability)) for w in seg.words or []]
            words = [w for w in words if w.text]
            text = seg.text.strip()
            if get_compression_ratio(seg.text) > LOOP_COMPRESSION:
                words = before_loop(words)
                text = " ".join(w.text for w in words)
                if words and get_compression_ratio(text) > LOOP_COMPRESSION:
                    words, text = [], ""
                end = max([float(seg.end)] + [w.end for w in seg.words or []])
                loops.append((words[-1].end if words else float(seg.start), end))
            if words:
                out.append(AsrSegment(words[0].start, words[-1].end, text, words, channel))
        return out, loops


def word_key(text: str) -> str:
    """A recognised word as compared with another: lower case, no punctuation."""
    return re.sub(r"[^\w']", "", text.lower())


def before_loop(words: list[AsrWord]) -> list[AsrWord]:
    """The words before the first run of one unit (one to four words) repeated
    ``LOOP_UNIT_REPEATS`` times in a row: where a decoding loop took over."""
    toks = [word_key(w.text) for w in words]
    for i in range(len(toks)):
        for n, repeats in LOOP_UNIT_REPEATS.items():
            unit = toks[i : i + n]
            if len(unit) < n or not any(unit):
                continue
            r = 1
            while toks[i + r * n : i + (r + 1) * n] == unit:
                r += 1
            if r >= repeats:
                return words[:i]
    return words


def within(regions: list[tuple[float, float]], spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of ``regions`` inside any of ``spans``."""
    from pyannote.core import Segment, Timeline

    inside = Timeline([Segment(a, b) for a, b in regions]).crop(Timeline([Segment(s, e) for s, e in spans]), mode="intersection")
    return [(seg.start, seg.end) for seg in inside]


def _unheard(loops: list[tuple[float, float]], segments: list[AsrSegment]) -> list[tuple[float, float]]:
    """Each loop's span, ended where the next word the first pass kept begins (a loop's
    last word times can run past it)."""
    starts = sorted(w.start for seg in segments for w in seg.words)
    out = []
    for s, e in loops:
        later = [t for t in starts if t >= s + RETRY_OVERLAP_S]
        e = min([e] + later[:1])
        if e > s:
            out.append((s, e))
    return out


def _merge_retried(
    first: list[AsrSegment], again: list[AsrSegment], loops: list[tuple[float, float]]
) -> list[AsrSegment]:
    """``first`` with the retried spans' words added: those whose middle lies in a loop's
    span and in no word the first pass kept (the retried audio starts with a little
    padding, which can echo the last kept word)."""
    heard = [(v.start, v.end) for f in first for v in f.words]
    kept = []
    for seg in again:
        words = [
            w for w in seg.words
            if any(s <= (w.start + w.end) / 2 < e for s, e in loops)
            and not any(a <= (w.start + w.end) / 2 < b for a, b in heard)
        ]
        if words:
            kept.append(AsrSegment(words[0].start, words[-1].end, " ".join(w.text for w in words), words, seg.channel))
    return sorted(first + kept, key=lambda s: s.start)


def _offset(progress: Progress | None, done: float, total: float) -> Progress | None:
    if progress is None:
        return None
    return lambda stage, d, _t: progress(stage, done + d, total)


def _with_progress(segments, progress: Progress | None, stage: str, stop: threading.Event | None = None):
    for seg in segments:
        if progress:
            progress(stage, seg.end, None)
        yield seg
        if stop is not None and stop.is_set():
            return


class BackgroundTranscription:
    """Recognition on a thread of its own, fed the speech as the diarizer finds it, so
    that it runs while the diarizer is still finding speech and working out who spoke.

    CTranslate2, ONNX Runtime and torch all release the GIL while they compute, and
    faster-whisper alone keeps two cores only partly busy, so the two overlap. Progress
    is held back until ``result`` is asked for: the caller's stages stay in order.
    """

    def __init__(self, transcriber: Transcriber, samples: np.ndarray, *, narrowband: bool = False):
        self._transcriber = transcriber
        self._samples = samples
        self._narrowband = narrowband
        self._future: Future[list[AsrSegment]] | None = None
        self._stop = threading.Event()
        self._found: queue.SimpleQueue = queue.SimpleQueue()
        self._latest: tuple[str, float, float | None] | None = None

    @property
    def started(self) -> bool:
        return self._future is not None

    @property
    def starts_early(self) -> bool:
        """Whether recognition can start on part of the speech (batches of clips can; a
        window-after-window decoding of a group waits for the whole group)."""
        return self._transcriber.clips_per_batch(self._narrowband) is not None

    def hear(self, regions: Iterable[tuple[float, float]], settled_s: float | None = None) -> None:
        """The speech found so far: every region that starts before ``settled_s`` is in
        ``regions`` and complete (``None``: all the speech). The first starts recognition."""
        self._found.put((list(regions), settled_s))
        if self._future is not None:
            return
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="listenlens-asr")
        self._future = pool.submit(self._transcriber.transcribe_as_found, self._samples, self._announced(),
                                   progress=self._note, stop=self._stop, narrowband=self._narrowband)
        pool.shutdown(wait=False)

    def _announced(self) -> Iterator[tuple[list[tuple[float, float]], float | None]]:
        """What ``hear`` was told, skipping to the latest while the recogniser was busy."""
        while True:
            latest = self._found.get()
            ended = latest is _END
            while not ended and not self._found.empty():
                later = self._found.get()
                ended = later is _END
                latest = latest if ended else later
            if latest is not _END:
                yield latest
            if ended or latest[1] is None:
                return

    def _note(self, stage: str, done: float, total: float | None) -> None:
        self._latest = (stage, done, total)

    def result(self, progress: Progress | None = None) -> list[AsrSegment]:
        """The segments, once recognition ends; ``progress`` hears how far it is meanwhile.
        Nothing more will be heard: the last regions heard are all the speech."""
        if self._future is None:
            raise RuntimeError("recognition was never started")
        self._found.put(_END)
        while True:
            if progress and self._latest:
                progress(*self._latest)
            try:
                out = self._future.result(timeout=0.2)
            except FutureTimeout:
                continue
            if progress and self._latest:
                progress(*self._latest)
            return out

    def cancel(self) -> None:
        """Stop at the next segment: the call failed, nobody will read the words."""
        self._stop.set()
        self._found.put(_END)


_END = object()  # BackgroundTranscription: nothing more will be heard
