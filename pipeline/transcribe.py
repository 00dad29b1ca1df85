"""Recording -> CallTimeline: the first half of the pipeline, in one readable function.

    decode (audio.py) -> diarize (diarize/) -> transcribe the speech found (asr.py)
      -> give every word its speaker (attribute.py) -> decide roles (roles.py)

Speech is detected once, by the diarizer, and the recogniser hears only those regions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

from listenlens import __version__
from listenlens.config import Settings, load_settings
from listenlens.errors import NoSpeechError, OneSpeakerError, SilentAudioError
from listenlens.pipeline.asr import BackgroundTranscription, Transcriber
from listenlens.pipeline.attribute import attribute_words, drop_crosstalk_duplicates, drop_leaked_words
from listenlens.pipeline.audio import Audio, is_silent, load_audio
from listenlens.pipeline.band import PHONE, WIDE, call_band
from listenlens.pipeline.diarize import DETECTS_OVERLAP, get_diarizer, select_backend
from listenlens.pipeline.diarize.channels import leak_paths
from listenlens.pipeline.progress import (
    FINDING_WHO_SPOKE,
    LOADING,
    READING,
    TRANSCRIBE_STAGES,
    TRANSCRIBING,
    ProgressListener,
    ProgressTracker,
    ignore_progress,
)
from listenlens.pipeline.roles import assign_roles, parse_channel_map
from listenlens.pipeline.timeline import SCHEMA, CallTimeline, Role, Speaker
from listenlens.pipeline.voiceprints.encoders import get_encoder
from listenlens.pipeline.voiceprints.match import CallVoices, match_speakers, speaker_voices


def transcribe_call(
    path: str | Path,
    settings: Settings | None = None,
    *,
    rep: str | None = None,
    channels: str | None = None,
    voices: CallVoices | None = None,
    progress: ProgressListener | ProgressTracker = ignore_progress,
) -> CallTimeline:
    """Who spoke when and said what under ``settings`` (default: ``load_settings()``).
    ``voices``: enrolled voices to look for (it is filled with what was heard, see
    ``CallVoices``). ``progress`` hears each stage as it goes."""
    settings = (settings or load_settings()).resolved()
    track = ProgressTracker.of(progress, TRANSCRIBE_STAGES)
    if channels:
        parse_channel_map(channels)  # a bad map fails before minutes of work
    path = Path(path)
    timings: dict[str, float] = {}
    # A wrong model setting fails here, in a second, not after the audio is diarized.
    track.enter(LOADING)
    transcriber = Transcriber(settings.asr)

    t0 = time.perf_counter()
    track.enter(READING)
    audio = load_audio(path, limits=settings.audio.limits())
    timings["decode"] = time.perf_counter() - t0
    if is_silent(audio):
        raise SilentAudioError(f"{path.name} is silent: no sound above the noise floor; check the recording level or the file")

    return transcribe_audio(
        audio, settings, name=path.stem, rep=rep, channels=channels, voices=voices, progress=track, timings=timings,
        transcriber=transcriber,
    )


def transcribe_audio(
    audio: Audio,
    settings: Settings,
    *,
    name: str,
    rep: str | None = None,
    channels: str | None = None,
    voices: CallVoices | None = None,
    progress: ProgressListener | ProgressTracker = ignore_progress,
    timings: dict[str, float] | None = None,
    transcriber: Transcriber | None = None,
) -> CallTimeline:
    track = ProgressTracker.of(progress, TRANSCRIBE_STAGES)
    timings = timings if timings is not None else {}
    settings = settings.resolved()
    transcriber = transcriber or Transcriber(settings.asr)
    ds = settings.diarizer
    backend = select_backend(ds.backend, audio)

    t0 = time.perf_counter()
    band = call_band(audio.mono(), audio.source.get("sample_rate"))
    diarizer = get_diarizer(backend, ds, device=settings.asr.device)
    # A mono diarizer that knows early where the speech is lets recognition start then.
    early = (
        BackgroundTranscription(transcriber, audio.mono(), narrowband=band == PHONE)
        if getattr(diarizer, "announces_speech", False) else None
    )
    try:
        with _one_torch_thread() if early else nullcontext():
            dia = diarizer.diarize(
                audio,
                num_speakers=ds.num_speakers,
                min_speakers=ds.min_speakers,
                max_speakers=ds.max_speakers,
                progress=track.stage(FINDING_WHO_SPOKE),
                **({"on_speech": early.hear, "speech_so_far": early.starts_early} if early else {}),
            )
        return _after_diarization(audio, settings, dia, early, name=name, rep=rep, channels=channels, voices=voices,
                                  track=track, timings=timings, transcriber=transcriber, started=t0, band=band)
    except BaseException:
        if early:
            early.cancel()  # the call failed: nobody will read its words
        raise


@contextmanager
def _one_torch_thread() -> Iterator[None]:
    """The diarizer's voice embeddings (torch) on one thread while recognition has the
    other core: two pools of two threads on two cores wait on each other (a 10-minute
    call's embeddings took 19 s beside recognition on two threads, 11 s on one)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _after_diarization(
    audio: Audio, settings: Settings, dia, early: BackgroundTranscription | None, *, name: str, rep: str | None,
    channels: str | None, voices: CallVoices | None, track: ProgressTracker, timings: dict[str, float],
    transcriber: Transcriber, started: float, band: str,
) -> CallTimeline:
    ds = settings.diarizer
    t0 = started
    vs = settings.voiceprints
    if voices is not None and voices.rep_voice is not None and not dia.channel_of and vs.split:
        from listenlens.pipeline.voiceprints.split import split_by_voice

        dia = split_by_voice(audio.mono(), dia, voices.rep_voice, vs, encoder=get_encoder(vs.encoder), band=band) or dia
    timings["diarize"] = time.perf_counter() - t0
    labels = sorted({t.speaker for t in dia.turns})
    if not labels:
        raise NoSpeechError(
            f"{name}: no speech was found; check that the recording holds a conversation",
            diarization=dia, duration=audio.duration,
        )
    if len(labels) == 1 and ds.num_speakers != 1:
        raise OneSpeakerError(
            f"{name}: only one speaker was heard; a listening scorecard needs both sides of the call "
            "(give the full recording; if two people do speak, say so: --num-speakers 2, or num_speakers=2 "
            "when uploading to the API)",
            diarization=dia, duration=audio.duration,
        )

    t0 = time.perf_counter()
    track.enter(TRANSCRIBING)
    if dia.channel_of:
        per_channel = []
        in_use = sorted(set(dia.channel_of.values()))
        for i, ch in enumerate(in_use):
            own = [t for t in dia.turns if dia.channel_of.get(t.speaker) == ch]
            per_channel.append(
                transcriber.transcribe(
                    audio.channel(ch), [(t.start, t.end) for t in own], channel=ch,
                    progress=track.stage(TRANSCRIBING, part=i, parts=len(in_use)), stage=f"asr ch{ch}",
                    narrowband=band == PHONE,
                )
            )
        segments = drop_crosstalk_duplicates(per_channel, audio.samples)
        segments = drop_leaked_words(segments, audio.samples, leak_paths(dia.info.get("leak", [])))
    elif early is not None and early.started:
        segments = early.result(track.stage(TRANSCRIBING))
    else:
        segments = transcriber.transcribe(
            audio.mono(), [(t.start, t.end) for t in dia.turns], progress=track.stage(TRANSCRIBING),
            narrowband=band == PHONE,
        )
    # With early recognition this is only what was left of it after diarization.
    timings["asr"] = time.perf_counter() - t0

    words = attribute_words(segments, dia.turns, dia.channel_of or None, dia.activity)
    speakers = [Speaker(label, channel=dia.channel_of.get(label)) for label in labels]
    timeline = CallTimeline(
        duration=audio.duration,
        speech=list(dia.turns),
        words=words,
        speakers=speakers,
        source={
            "name": name,
            "audio": audio.source,
            "diarizer": {"backend": dia.backend, "detects_overlap": DETECTS_OVERLAP.get(dia.backend, True), **dia.info},
            "asr": {**transcriber.description, "band": band},
            "settings": settings.echo(),
            "listenlens": __version__,
            "timeline_schema": SCHEMA,
        },
    )
    check = None
    t0 = time.perf_counter()
    if voices is not None:
        encoder = get_encoder(vs.encoder)
        matching = bool(voices.known) and not channels

        def samples_of(channel: int | None) -> np.ndarray:
            return audio.mono() if channel is None else audio.channel(channel)

        if matching:
            # The call's own band; the telephone band too for prints that only know that one.
            voices.heard = speaker_voices(samples_of, dia.turns, dia.channel_of, min_speech_s=vs.min_speech_s,
                                          encoder=encoder, band=band,
                                          phone=band == WIDE and PHONE in voices.bands_needed(band, encoder.model))
            check = voices.check = match_speakers(voices.heard, voices.known, vs.thresholds, model=encoder.model, band=band)
            timeline.source["voiceprints"] = check.to_dict()
    assign_roles(timeline, rep=rep, channels=channels, voices=check)
    if voices is not None and not matching:
        # Hearing voices to learn them: the rep's side only, in every band it can give.
        voices.heard = speaker_voices(samples_of, dia.turns, dia.channel_of, min_speech_s=vs.min_speech_s,
                                      encoder=encoder, band=band, phone=True, labels=timeline.labels(Role.REP))
    if voices is not None:
        timings["voiceprints"] = time.perf_counter() - t0
    timeline.source["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    return timeline
