"""The ``segmented`` diarizer: local speaker segmentation linked by voice, on CPU, offline.

The structure of pyannote.audio's speaker-diarization-3.x pipeline, built from the
models this machine has:

1. ``segmentation.py``: pyannote's segmentation-3.0 (ONNX) finds, in 10 s windows
   every ``step_s``, up to three local speakers per window with their overlap. This is
   also the speech detection: nothing else decides what is speech.
2. Each local speaker of each window is embedded by resemblyzer from the mel frames
   where it speaks alone (all of its frames if it never does).
3. The embeddings are clustered into speakers (``cluster.cluster_speakers``, the same
   count rules as the ``embedded`` backend, and beyond the expected two speakers, groups
   the segmentation heard as different local speakers of the same windows stay apart);
   within a window, two local speakers are never given the same speaker while another
   is free (the segmentation says they are two people).
4. Every frame gets as many speakers as the windows over it count, the ones whose
   local speakers were most active there. Overlapped speech is therefore two turns at
   once by construction, not a second pass.
5. Second look: when the local speakers' voices all cluster into one speaker although
   there must be two people (the segmentation heard two voices at once, or the caller
   gave a count), the segmentation has heard two people as one. It does on some voice
   pairs: every window then holds a single local speaker, so there is nothing to tell
   apart. The ``embedded`` backend, which embeds the speech itself in short sliding
   windows, then diarizes the call; if it hears two or more voices, its result is
   used. Without that proof the one speaker stands: on a recording of one voice the
   embedded backend's two-party prior can split it in two.

Memory stays bounded: the segmentation keeps three booleans per frame and window, and
embeddings are computed a batch of windows at a time.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from listenlens.errors import AudioError
from listenlens.pipeline.audio import Audio
from listenlens.pipeline.diarize.base import (
    Diarization,
    Progress,
    SpeakerActivity,
    SpeechListener,
    check_counts,
    mask_runs,
    no_progress,
)
from listenlens.pipeline.diarize.cluster import cluster_speakers
from listenlens.pipeline.diarize.embedded_encoder import FRAME_S as MEL_FRAME_S
from listenlens.pipeline.diarize.embedded_encoder import HOP as MEL_HOP
from listenlens.pipeline.diarize.embedded_encoder import embed_ragged, embed_windows, mel_frames, shared_encoder
from listenlens.pipeline.diarize.segmentation import (
    FRAME_S,
    FRAME_SPAN,
    FRAME_STEP,
    SAMPLE_RATE,
    FrameCount,
    LocalSegmentation,
    SpeakerSegmenter,
)
from listenlens.pipeline.diarize.settings import EmbeddedSettings, SegmentedSettings
from listenlens.pipeline.timeline import Turn, annotation_turns, turns_annotation


class SegmentedDiarizer:
    """Diarizer protocol implementation. Reuse one instance (models load once)."""

    name = "segmented"
    announces_speech = True

    def __init__(
        self,
        settings: SegmentedSettings | None = None,
        *,
        encoder=None,
        segmenter: SpeakerSegmenter | None = None,
        second_opinion=None,
        embedded: EmbeddedSettings | None = None,
    ):
        """``embedded``: the knobs of the embedded backend asked for a second look."""
        self.settings = settings or SegmentedSettings()
        self.embedded = embedded or EmbeddedSettings()
        self._encoder = encoder
        # SpeakerSegmenter loads its model on first use, once per process.
        self.segmenter = segmenter or SpeakerSegmenter()
        self._second_opinion = second_opinion

    @property
    def second_opinion(self):
        """The diarizer asked when every voice clusters into one (built on first use)."""
        if self._second_opinion is None:
            from listenlens.pipeline.diarize.embedded import EmbeddedDiarizer

            self._second_opinion = EmbeddedDiarizer(self.embedded, encoder=self._encoder)
        return self._second_opinion

    @property
    def encoder(self):
        if self._encoder is None:
            self._encoder = shared_encoder()
        return self._encoder

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int = 1,
        max_speakers: int = 6,
        progress: Progress = no_progress,
        on_speech: SpeechListener | None = None,
        speech_so_far: bool = True,
    ) -> Diarization:
        """``on_speech`` hears where the speech is (seconds) while the segmentation runs,
        as far as it is settled, and all of it before the voices are embedded and linked;
        ``speech_so_far=False``: only all of it (nothing can start on a part)."""
        check_counts(num_speakers, min_speakers, max_speakers)
        if audio.sample_rate != SAMPLE_RATE:
            raise AudioError(f"the segmented diarizer takes 16 kHz audio, got {audio.sample_rate} Hz: load it with load_audio")
        s = self.settings
        x = audio.mono()
        duration = len(x) / SAMPLE_RATE
        info: dict = {"detects_overlap": True}
        progress("diarize", 0, 2)
        t0 = time.perf_counter()
        found = None if on_speech is None else _SpeechFound(on_speech, s)
        seg = self.segmenter(
            x, s.step_s, progress=lambda done, n: progress("diarize", done / n, 2),
            # Recognition runs beside it on the other core: two pools of two threads
            # would wait on each other (and one onnxruntime thread does more per CPU second).
            threads=1 if found is not None and speech_so_far else None,
            on_settled=found if speech_so_far else None,
        )
        t1 = time.perf_counter()
        count = seg.count()
        info["speech_s"] = round(float(np.sum(count > 0)) * FRAME_S, 2)
        info["overlap_s"] = round(float(np.sum(count > 1)) * FRAME_S, 2)
        if not np.any(count > 0):
            progress("diarize", 2, 2)
            return Diarization(turns=[], backend=self.name, info=info)
        if found is not None:
            found.all(count, duration)

        keys, emb, parts = self._embed(x, seg, lambda done, n: progress("diarize", 1 + done / n, 2))
        t2 = time.perf_counter()
        if len(emb) == 0:
            # Speech too short to voice anywhere: one speaker is the honest answer.
            n_clusters, assign = 1, {}
        else:
            clustering = self._cluster(emb, keys, seg, num_speakers=num_speakers, min_speakers=min_speakers, max_speakers=max_speakers)
            n_clusters = len(clustering.centroids)
            sims = emb @ clustering.centroids.T
            assign = _assign(keys, sims, s.constrained, s.part_margin)
        active = _cluster_activity(seg, assign, parts, n_clusters)
        on = _top_speakers(active, count)
        turns = _turns(on, s.bridge_s, s.min_turn_s, duration, onset_delay_s=s.onset_delay_s)
        info.update(speakers=len({t.speaker for t in turns}), windows=len(seg.offsets), embeddings=len(emb))
        # Where a long call's diarization time goes (bench/speed_vs_whisper.py reports it).
        info["timings_s"] = {"segmentation": round(t1 - t0, 3), "embedding": round(t2 - t1, 3),
                             "clustering": round(time.perf_counter() - t2, 3)}
        progress("diarize", 2, 2)
        own = Diarization(
            turns=turns,
            backend=self.name,
            info=info,
            activity=_activity(active, count, on, s.bridge_s, s.min_turn_s, duration, s.onset_delay_s),
        )
        if s.second_look and max_speakers >= 2 and num_speakers != 1:
            if num_speakers is None:
                one_voice = info["speakers"] == 1 and info["overlap_s"] >= s.second_look_overlap_s
            else:
                one_voice = self._voices_form_one(emb, keys, seg)
            if one_voice:
                return self._second_look(audio, own, num_speakers, min_speakers, max_speakers, progress)
        return own

    def _voices_form_one(self, emb: np.ndarray, keys, seg: LocalSegmentation) -> bool:
        """Whether the local speakers' voices, left to themselves, cluster into one."""
        if len(emb) < 2:
            return True
        # A given count forces a split whatever the voices say: ask them unforced.
        return len(self._cluster(emb, keys, seg).centroids) == 1

    def _cluster(self, emb: np.ndarray, keys, seg: LocalSegmentation, **count):
        """``cluster_speakers`` with this diarizer's settings; ``count``: its count arguments."""
        s = self.settings
        where = np.array(keys, dtype=np.int64)  # (window, local speaker, part) of each embedding
        return cluster_speakers(
            emb,
            merge_similarity=s.merge_similarity,
            min_share=s.min_share,
            outlier_share=s.outlier_share,
            expected_speakers=s.expected_speakers,
            extra_similarity=s.extra_similarity,
            positions=None if s.same_audio_s is None else seg.offsets[where[:, 0]],
            windows=where[:, 0] if s.heard_apart else None,
            locals_=where[:, 1] if s.heard_apart else None,
            min_gap=0.0 if s.same_audio_s is None else s.same_audio_s / FRAME_S,
            **count,
        )

    def _second_look(self, audio: Audio, own: Diarization, num_speakers, min_speakers, max_speakers, progress) -> Diarization:
        other = self.second_opinion.diarize(
            audio,
            num_speakers=num_speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            progress=lambda stage, done, total: progress("diarize (second look)", done, total),
        )
        heard = len({t.speaker for t in other.turns})
        look = {
            "why": "the segmented backend's voices clustered into one speaker, but "
            + ("two voices were heard at once" if num_speakers is None else f"{num_speakers} speakers were asked for"),
            "asked": other.backend,
            "speakers_heard": heard,
            "adopted": heard >= 2,
        }
        if heard < 2:
            own.info["second_look"] = look
            return own
        other.info["second_look"] = {**look, "segmented": {k: own.info[k] for k in ("speech_s", "overlap_s", "speakers") if k in own.info}}
        return other

    def _embed(self, x: np.ndarray, seg: LocalSegmentation, progress):
        """Keys (window, local speaker, part), their unit voice embeddings, and parts.

        ``parts[(window, local)]`` lists, per part, the last window frame it owns (a
        part owns the local speaker's frames up to halfway to the next part's speech).
        """
        s = self.settings
        mel = mel_frames(x)
        win = int(round(s.embed_window_s / MEL_FRAME_S))
        step = int(round(s.embed_step_s / MEL_FRAME_S))
        min_solo, min_any = int(round(s.min_embed_s / MEL_FRAME_S)), int(round(s.min_any_s / MEL_FRAME_S))
        part_frames = None if not s.part_s else max(1, int(round(s.part_s / FRAME_S)))
        keys: list[tuple[int, int, int]] = []
        parts: dict[tuple[int, int], list[int]] = {}
        out: list[np.ndarray] = []
        n_windows = len(seg.offsets)
        partials = _Partials(self.encoder, mel, win, step)
        for first in range(0, n_windows, s.windows_per_batch):
            partials.forget_before(int(_mel_index(seg.offsets[first : first + 1], len(mel) + 1)[0]))
            pieces, piece_keys = [], []
            for w in range(first, min(n_windows, first + s.windows_per_batch)):
                act = seg.activity[w]
                solo = act & (act.sum(axis=1, keepdims=True) == 1)
                for k in range(act.shape[1]):
                    local = np.flatnonzero(solo[:, k])
                    frames = _mel_index(seg.offsets[w] + local, len(mel))
                    if len(frames) < min_solo:
                        local = np.flatnonzero(act[:, k])
                        frames = _mel_index(seg.offsets[w] + local, len(mel))
                        if len(frames) < min_any:
                            continue
                    groups = _split(local, part_frames)
                    parts[(w, k)] = [int((g[-1] + h[0]) // 2) for g, h in zip(groups[:-1], groups[1:])] + [act.shape[0]]
                    for p, g in enumerate(groups):
                        # One group (parts off): its mel frames are the ones just found.
                        pieces.append(frames if len(groups) == 1 else _mel_index(seg.offsets[w] + g, len(mel)))
                        piece_keys.append((w, k, p))
            if pieces:
                out.append(partials.embed(pieces))
                keys += piece_keys
            progress(min(n_windows, first + s.windows_per_batch), n_windows)
        emb = np.vstack(out) if out else np.zeros((0, 256), np.float32)
        return keys, emb, parts


# _mel_index keeps about one mel frame per segmentation frame: a piece's frames lie this
# many mel frames apart on average.
_MEL_PER_PIECE_FRAME = FRAME_STEP / MEL_HOP


def _split(frames: np.ndarray, size: int | None) -> list[np.ndarray]:
    """Consecutive groups of about ``size`` frames (one group if it is not 1.5x longer)."""
    if size is None or len(frames) < 1.5 * size:
        return [frames]
    n = int(round(len(frames) / size))
    return np.array_split(frames, n)


def _mel_index(seg_frames: np.ndarray, n_mel: int) -> np.ndarray:
    """The 10 ms mel frames heard for the given segmentation frames (see the note below)."""
    if len(seg_frames) == 0:
        return np.zeros(0, dtype=np.int64)
    centre = seg_frames * FRAME_STEP + FRAME_SPAN // 2
    first = (centre - FRAME_STEP // 2) // MEL_HOP
    last = (centre + FRAME_STEP // 2) // MEL_HOP
    # Only the frames at each step's two edges: a step (270 samples) can hold a third
    # 10 ms frame between them, so a run of speech reaches the encoder with about two
    # frames in five left out. Taking every frame measured worse (docs/diarization.md,
    # "Which mel frames the encoder hears") and embeds 102 frames per second of speech
    # rather than 61.
    idx = np.unique(np.concatenate([first, last]))
    return idx[idx < n_mel]


class _Partials:
    """Voice embeddings of a local speaker's mel frames, each partial computed once a call.

    A piece (one local speaker of one window: the mel frames where it speaks) is heard
    as partials of ``win`` of its frames, embedded and averaged. The partials start
    where the piece crosses a grid fixed in the recording (about every ``step`` of its
    frames), not at the piece's own start: the windows overlap ten times over, and where
    neighbouring windows hear the same stretch of one voice alike, their partials are
    the same frames and are embedded only once.
    """

    def __init__(self, encoder, mel: np.ndarray, win: int, step: int):
        self.encoder, self.mel, self.win = encoder, mel, win
        self.grid = max(1, int(round(step * _MEL_PER_PIECE_FRAME)))
        self.known: dict[bytes, np.ndarray] = {}

    def embed(self, pieces: list[np.ndarray]) -> np.ndarray:
        """One unit embedding per piece (mel frame indices): the mean of its partials' embeddings."""
        wanted = [self._partials(np.asarray(p, dtype=np.int64)) for p in pieces]  # keys read back as int64
        fresh: dict[bytes, np.ndarray] = {}
        for frames in (f for parts in wanted for f in parts):
            key = frames.tobytes()
            if key not in self.known and key not in fresh:
                fresh[key] = frames
        if fresh:
            self._compute(fresh)
        out = np.stack([np.mean([self.known[f.tobytes()] for f in parts], axis=0) for parts in wanted])
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norm, 1e-8)).astype(np.float32)

    def forget_before(self, mel_frame: int) -> None:
        """Drop the partials that start before ``mel_frame``: no later window reaches back there."""
        self.known = {k: v for k, v in self.known.items() if np.frombuffer(k, dtype=np.int64, count=1)[0] >= mel_frame}

    def _partials(self, piece: np.ndarray) -> list[np.ndarray]:
        if len(piece) <= self.win:
            return [piece]
        grid = np.arange(-(-int(piece[0]) // self.grid) * self.grid, int(piece[-self.win]) + 1, self.grid)
        starts = np.unique(np.searchsorted(piece, grid))
        starts = starts[starts <= len(piece) - self.win]
        if len(starts) == 0:
            starts = np.zeros(1, dtype=np.int64)
        return [piece[a : a + self.win] for a in starts]

    def _compute(self, fresh: dict[bytes, np.ndarray]) -> None:
        keys = list(fresh)
        full = [k for k in keys if len(fresh[k]) == self.win]
        if full:
            # All full partials go through the encoder in one batched call.
            stream = self.mel[np.concatenate([fresh[k] for k in full])]
            emb = embed_windows(self.encoder, stream, np.arange(len(full), dtype=np.int64) * self.win, self.win)
            self.known.update(zip(full, emb))
        short = [k for k in keys if len(fresh[k]) < self.win]
        if short:
            self.known.update(zip(short, embed_ragged(self.encoder, [self.mel[fresh[k]] for k in short])))


def _assign(keys: list[tuple[int, int, int]], sims: np.ndarray, constrained: bool, margin: float) -> dict[tuple[int, int, int], int]:
    """Speaker of each (window, local speaker, part).

    A local speaker's choice is its parts' mean similarity; with ``constrained`` the
    local speakers of one window take different speakers (best total similarity,
    Hungarian): the segmentation has already told them apart. A window with more local
    speakers than speakers gives the extra ones their most similar speaker. A part then
    keeps its local speaker's choice unless its own voice is ``margin`` closer to
    another speaker.
    """
    rows_of: dict[tuple[int, int], list[int]] = {}
    for row, (w, k, _) in enumerate(keys):
        rows_of.setdefault((w, k), []).append(row)
    by_window: dict[int, list[tuple[int, int]]] = {}
    for wk in rows_of:
        by_window.setdefault(wk[0], []).append(wk)
    choice: dict[tuple[int, int], int] = {}
    for locals_ in by_window.values():
        block = np.stack([sims[rows_of[wk]].mean(axis=0) for wk in locals_])
        if constrained:
            picked_rows, picked_cols = linear_sum_assignment(block, maximize=True)
            for r, c in zip(picked_rows, picked_cols):
                choice[locals_[r]] = int(c)
        for r, wk in enumerate(locals_):
            choice.setdefault(wk, int(np.argmax(block[r])))
    assign: dict[tuple[int, int, int], int] = {}
    for row, key in enumerate(keys):
        base = choice[key[:2]]
        best = int(np.argmax(sims[row]))
        split = len(rows_of[key[:2]]) > 1  # a whole local speaker keeps the window's choice
        assign[key] = best if split and sims[row, best] - sims[row, base] > margin else base
    return assign


def _cluster_activity(seg: LocalSegmentation, assign: dict, parts: dict, n_clusters: int) -> np.ndarray:
    """Per global frame and speaker, the share of covering windows that hear them."""

    def heard_in(w: int, n: int) -> np.ndarray:
        act = seg.activity[w]
        heard = np.zeros((n, max(n_clusters, 1)), dtype=bool)
        for k in range(act.shape[1]):
            frames = np.flatnonzero(act[:n, k])
            if (w, k) in parts:
                part = np.searchsorted(parts[(w, k)], frames, side="left")
                cluster = np.array([assign[(w, k, p)] for p in range(len(parts[(w, k)]))])[np.minimum(part, len(parts[(w, k)]) - 1)]
            elif n_clusters == 1:  # too short to embed: it counts only when there is one speaker
                cluster = np.zeros(len(frames), dtype=int)
            else:
                continue
            heard[frames, cluster] = True  # two local speakers, one voice: heard once
        return heard

    return seg.average(heard_in)


def _top_speakers(active: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(frames, speakers) bool: each frame's ``count`` most active speakers."""
    rank = np.argsort(np.argsort(-active, axis=1, kind="stable"), axis=1, kind="stable")
    return (rank < count[:, None]) & (active > 0)


def _activity(
    active: np.ndarray, count: np.ndarray, on: np.ndarray, bridge_s: float, min_turn_s: float, duration: float, onset_delay_s: float
) -> SpeakerActivity:
    """The clusters' frame activity under the turns' speaker names (clusters with no turn left out)."""
    names = _names(on, bridge_s, min_turn_s, duration, onset_delay_s)
    cols = sorted(names, key=lambda c: names[c])
    centre = (FRAME_SPAN / 2) / SAMPLE_RATE
    return SpeakerActivity(
        frame_s=FRAME_S,
        first_s=centre,
        labels=[names[c] for c in cols],
        activity=np.ascontiguousarray(active[:, cols], dtype=np.float32),
        count=count.astype(np.int8),
    )


def _names(on: np.ndarray, bridge_s: float, min_turn_s: float, duration: float, onset_delay_s: float) -> dict[int, str]:
    """Cluster index -> the speaker name ``_turns`` gives it."""
    names: dict[int, str] = {}
    for t in _turns(on, bridge_s, min_turn_s, duration, onset_delay_s=onset_delay_s, cluster_names=True):
        names.setdefault(int(t.speaker), f"SPEAKER_{len(names):02d}")
    return names


class _SpeechFound:
    """Tells a ``SpeechListener`` the speech as the segmentation settles it, every
    ``EVERY_S`` of call: the regions ``_turns`` gives on the settled frames, up to the
    last silence too long to bridge (what follows it may still change).

    The frame counts and the regions are built up as the windows come, not again from
    the start of the call each time: on a long call that would grow with its square."""

    EVERY_S = 20.0

    def __init__(self, listener: SpeechListener, settings: SegmentedSettings):
        self.listener, self.settings = listener, settings
        self.told_s = 0.0
        self._counts = FrameCount()
        self._settled_frame = 0
        self._regions: list[tuple[float, float]] = []  # those starting before _settled_frame

    def __call__(self, head: LocalSegmentation) -> None:
        s = self.settings
        self._counts.add(head)
        if _frame_time(head.n_frames) - self.told_s < self.EVERY_S:
            return
        count = self._counts.count(head.n_frames)
        # Speech on either side of a silence longer than the bridge is never joined across
        # it, and a turn's start only moves later (onset delay): so every region starting
        # before the end of that silence is settled.
        longer = int(np.ceil(s.bridge_s / FRAME_S)) + 2
        gaps = [b for a, b in mask_runs(count[self._settled_frame :] == 0) if b - a >= longer]
        if not gaps:
            return
        settled = self._settled_frame + gaps[-1]
        settled_s = _frame_time(settled)
        self.told_s = _frame_time(head.n_frames)
        # What came before the last settled silence is known: only speech after it is new.
        count[: self._settled_frame] = 0
        self._regions += [(a, b) for a, b in self._speech(count, self.told_s) if a < settled_s]
        self._settled_frame = settled
        self.listener(list(self._regions), settled_s)

    def all(self, count: np.ndarray, duration: float) -> None:
        self.listener(self._speech(count, duration), None)

    def _speech(self, count: np.ndarray, duration: float) -> list[tuple[float, float]]:
        s = self.settings
        return [(t.start, t.end) for t in _turns((count > 0)[:, None], s.bridge_s, s.min_turn_s, duration,
                                                 onset_delay_s=s.onset_delay_s)]


def _frame_time(frame: int) -> float:
    """Where global frame ``frame`` begins, in seconds (as ``_turns`` places it)."""
    return frame * FRAME_S + (FRAME_SPAN / 2 - FRAME_STEP / 2) / SAMPLE_RATE


def _turns(
    on: np.ndarray, bridge_s: float, min_turn_s: float, duration: float, *, onset_delay_s: float = 0.0,
    cluster_names: bool = False,
) -> list[Turn]:
    """Turns in seconds from per-frame speaker activity, speakers named by first turn.

    A speaker's gaps under ``bridge_s`` close (pyannote's ``Annotation.support``), each
    turn then starts ``onset_delay_s`` later, and turns under ``min_turn_s`` go.
    """
    half = (FRAME_SPAN / 2 - FRAME_STEP / 2) / SAMPLE_RATE
    runs = [Turn(a * FRAME_S + half, b * FRAME_S + half, str(c)) for c in range(on.shape[1]) for a, b in mask_runs(on[:, c])]
    joined = annotation_turns(turns_annotation(runs).support(collar=bridge_s))
    starts = [max(0.0, t.start + onset_delay_s) for t in joined]
    spans = sorted((a, min(duration, t.end), int(t.speaker)) for a, t in zip(starts, joined) if t.end - a >= min_turn_s)
    if cluster_names:
        return [Turn(a, b, str(c)) for a, b, c in spans if b > a]
    names: dict[int, str] = {}
    for _, _, c in spans:
        names.setdefault(c, f"SPEAKER_{len(names):02d}")
    return [Turn(round(a, 3), round(b, 3), names[c]) for a, b, c in spans if b > a]
