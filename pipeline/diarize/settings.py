"""The diarizer's settings: which backend runs, the speaker counts, and every backend's knobs.

These are the ``[diarizer]`` section of the configuration tree (``listenlens.config``) and
its sub-sections ``[diarizer.embedded]``, ``[diarizer.segmented]``, ``[diarizer.channels]``
and ``[diarizer.pyannote]``. This module is plain pydantic, with no audio or model
imports, so the tree can be built (and ``--help`` shown) without loading a backend.
docs/diarization.md says how each default was chosen.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

# auto and every backend; the --diarizer choices, in this order.
DiarizerName = Literal["auto", "channels", "embedded", "segmented", "pyannote"]
CHOICES: tuple[str, ...] = get_args(DiarizerName)
BACKENDS = CHOICES[1:]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class _Knobs(BaseModel):
    model_config = _FROZEN

    def with_(self, **changes):
        """A copy with ``changes`` applied and validated (an unknown name is an error)."""
        return type(self).model_validate({**self.model_dump(), **changes})


class EmbeddedSettings(_Knobs):
    """Every knob of the ``embedded`` diarizer (sliding-window voice embeddings)."""

    # Lower than vad.py's phone default: a soft far-field voice is speech too.
    vad_threshold: float = Field(0.35, ge=0, le=1, description="Silero speech probability above which a frame is speech")
    vad_min_silence_s: float = Field(0.25, ge=0, description="shorter silences do not end a speech region")
    vad_min_speech_s: float = Field(0.15, ge=0, description="shorter speech regions are dropped")
    vad_pad_s: float = Field(0.1, ge=0, description="added to each side of a speech region")
    window_s: float = Field(1.6, gt=0, description="embedding window (the encoder was trained on 1.6 s partials)")
    step_s: float = Field(0.25, gt=0, description="step between embedding windows")
    merge_similarity: float = Field(0.92, description="linkage ratio above which two groups of windows are one voice")
    # Sales calls have two parties: each speaker beyond ``expected_speakers`` must be
    # clearly another voice (linkage ratio under ``extra_similarity``) to be kept.
    expected_speakers: int | None = Field(2, ge=1, description="speakers expected without proof of more (null: no prior)")
    extra_similarity: float = Field(0.85, description="a speaker beyond expected_speakers needs a linkage ratio under this")
    min_share: float = Field(0.05, ge=0, le=1, description="smaller clusters are noise, not a speaker")
    outlier_share: float = Field(0.4, ge=0, lt=1, description="share of least typical windows left out of clustering")
    min_turn_s: float = Field(0.3, ge=0, description="shorter label runs inside speech are absorbed by their neighbours")
    bridge_s: float = Field(0.5, ge=0, description="same-speaker pauses shorter than this are bridged")
    calibrate: bool = Field(True, description="per-speaker z-scored similarities, so no voice leans the changes")
    snap_s: float = Field(1.0, ge=0, description="a speaker change this close to a pause moves into the pause (0: off)")
    level_norm: bool = Field(True, description="bring each window to the encoder's training level")
    # A stretch of speech between pauses shorter than this is judged again on its own
    # embedding: its 1.6 s windows reach into the neighbours' speech, so a short answer
    # ("Hello Sam.", "Yes, exactly.") otherwise goes to whoever spoke around it.
    region_max_s: float | None = Field(
        2.5, gt=0, description="pause-bounded stretches up to this long are judged on their own voice (null: off)"
    )
    region_min_s: float = Field(0.4, ge=0, description="...and at least this long")
    region_margin: float = Field(0.5, description="calibrated-score lead a stretch's own voice needs to change its speaker")
    overlap: bool = Field(True, description="detect overlapped speech and give it a second speaker")
    overlap_threshold: float | None = Field(
        None, ge=0, le=1, description="overlap probability threshold (null: the one trained with the detector)"
    )
    overlap_min_s: float = Field(0.2, ge=0, description="shorter flagged overlaps are dropped")
    # Overlap is kept only in a stretch of unbroken speech where the speaker changes:
    # with a pause at the hand-over nobody talked over anybody.
    overlap_needs_change: bool = Field(True, description="keep overlap only in unbroken speech where the speaker changes")
    # ...and only this close to the change: people talk at once where one cuts in on the
    # other, not a second or two before the floor passes.
    overlap_reach_s: float | None = Field(0.5, ge=0, description="keep overlap only this close to a speaker change (null: anywhere)")


class SegmentedSettings(_Knobs):
    """Every knob of the ``segmented`` diarizer (local segmentation linked by voice)."""

    step_s: float = Field(1.0, gt=0, description="segmentation window step: each moment is seen by 10 s / step_s windows")
    embed_window_s: float = Field(1.6, gt=0, description="resemblyzer's partial length")
    # Partials start on a grid fixed in the recording, so the ten windows over a stretch
    # share them (``segmented._Partials``). At 0.8 s the speaker count went wrong on
    # two reverberant calls (docs/diarization.md); at 0.4 s it held, for 8.7 s of embedding
    # on the 10-minute call against 5.9 s.
    embed_step_s: float = Field(0.4, gt=0, description="grid step of the partials' starts, in a local speaker's own speech")
    min_embed_s: float = Field(0.4, ge=0, description="a local speaker with less solo speech is embedded from all its frames")
    min_any_s: float = Field(0.2, ge=0, description="...and with less than this in all, gets no embedding")
    merge_similarity: float = Field(0.92, description="linkage ratio above which two groups are one voice")
    expected_speakers: int | None = Field(2, ge=1, description="speakers expected without proof of more (null: no prior)")
    extra_similarity: float = Field(0.85, description="a speaker beyond expected_speakers needs a linkage ratio under this")
    # Through a telephone line a third party can sound as like the rep as one voice's
    # sub-groups do (docs/diarization.md, "Heard apart"); the segmentation tells them
    # apart by hearing the third party as another local speaker of the same windows.
    heard_apart: bool = Field(
        True, description="beyond expected_speakers, keep apart two speakers heard as two local speakers of the same windows, "
        "unless as alike as one voice (merge_similarity)"
    )
    min_share: float = Field(0.05, ge=0, le=1, description="smaller clusters are noise, not a speaker")
    outlier_share: float = Field(0.2, ge=0, lt=1, description="share of least typical embeddings left out of clustering")
    # Where the most-active speaker flips for a frame or two at a turn's end, the turns
    # would show 17-34 ms slivers (seen on the sample): no one speaks or pauses that
    # briefly. DER is the same with or without these two (sample, AMI, long calls).
    bridge_s: float = Field(0.05, ge=0, description="same-speaker gaps shorter than this are closed")
    min_turn_s: float = Field(0.05, ge=0, description="shorter turns are dropped")
    # segmentation-3.0 marks speech ~55 ms before it begins (median over ~470 turns of the
    # built calls, whose truth is the exact first sample of each clip; 37 ms on the
    # human-marked sample): its frames see past their own step. Turn starts move this much
    # later. Ends showed no consistent lead (+30 to +44 ms late on built clips that end
    # in a hard cut, 52 ms early against the sample's human marks), so they stay.
    onset_delay_s: float = Field(0.05, ge=0, description="turn starts move this much later (the segmentation's early onsets)")
    windows_per_batch: int = Field(64, ge=1, description="windows embedded together (bounds memory)")
    constrained: bool = Field(True, description="local speakers of one window take different speakers")
    # A local speaker's solo speech longer than this is embedded in parts of about this
    # length: the segmentation sometimes keeps two similar far-field voices as one local
    # speaker, and a part whose voice is clearly another speaker's goes to that speaker.
    part_s: float | None = Field(None, gt=0, description="embed long solo speech in parts this long (null: off; measured worse)")
    part_margin: float = Field(0.05, description="similarity lead a part needs over its local speaker's choice")
    # Embeddings of windows closer than this share most of their audio, so their
    # likeness is no evidence that a group is one voice (see cluster._linkage_ratio).
    same_audio_s: float | None = Field(5.0, ge=0, description="windows closer than this are not evidence of one voice (null: off)")
    # When the voices cluster into one speaker, ask the embedded backend, if the
    # segmentation heard at least second_look_overlap_s of two voices at once. One voice
    # alone measured 0 to 0.17 s of such "overlap" (docs/diarization.md).
    second_look: bool = Field(True, description="when every voice clusters into one, ask the embedded backend")
    second_look_overlap_s: float = Field(0.5, ge=0, description="...if the segmentation heard at least this much overlap")


class ChannelTuning(_Knobs):
    """Knobs of the ``channels`` diarizer (one party per channel); the defaults suit telephone calls."""

    active_db: float = Field(10.0, description="a frame is audible this far above the channel's noise floor")
    # Leak gain wanders a few dB (AGC, codecs), genuine speech is 15+ dB above its leak.
    leak_margin_db: float = Field(6.0, description="own speech must beat the other channels' predicted leak by this much")
    max_leak_delay_s: float = Field(0.25, gt=0, description="longest leak delay searched (line echo included)")
    # Pauses between sentences run 0.3 to 0.7 s, and how long a pause measures depends on
    # the line noise (a noisier line ends the trailing sounds sooner), so the threshold
    # sits above that range.
    pause_s: float = Field(
        0.7, ge=0, description="own pauses shorter than this do not split speech, unless the other party replies in them"
    )
    closure_s: float = Field(0.12, ge=0, description="gaps shorter than this always close (stop closures in overlapped speech)")
    min_speech_s: float = Field(0.12, ge=0, description="shorter speech is dropped (clicks, coughs)")
    pad_s: float = Field(0.03, ge=0, description="added to each side of the found speech")
    # The embedded diarizer's 0.35, not Silero's 0.5, so a soft or distant voice counts as
    # speech (the energy gates keep the other party's leak out). On the bench's
    # dual-channel set this moved the talk-ratio error of the AMI-derived calls from
    # -10.2/-2.5/-2.3 pp to -8.8/-1.1/+0.2 pp, left the synthetic calls as they were and
    # the phone sample at +0.3 pp (+0.2).
    vad_threshold: float = Field(0.35, ge=0, le=1, description="Silero threshold of the per-channel speech layer")
    # On telephone-band audio Silero can hear only the loudest 30-60 ms of a short word:
    # the sample's opening "hello" (0.43 s, 30 dB above the line noise) peaked at 0.40 for
    # one frame, and Silero's own minimum-speech rule then dropped it, so the word, and
    # the party's first turn, went missing. Silero's detections are therefore taken raw
    # and widened by this much. Chosen on the bench's dual-channel sets, 16 kHz and
    # telephone band (0.2 against 0.4 s; docs/diarization.md, channels).
    vad_reach_s: float = Field(0.2, ge=0, description="loud frames this close to Silero speech count as that speech")
    # In a latched exchange (the reply starts the moment the speaker stops, and the
    # speaker resumes the moment it ends) the edges found for the two parties can cross by
    # a frame or two, and the pause was then joined over the other party's turn (the
    # telephone sample's 0.55 s reply, +1.3 pp talk ratio).
    latch_s: float = Field(0.05, ge=0, description="slack at either end for a reply to count as filling a pause")


class PyannoteSettings(_Knobs):
    """The optional ``pyannote`` backend (pyannote.audio's pretrained pipelines)."""

    pipeline: str | None = Field(
        None, description="local folder of a pyannote.audio pipeline (holding config.yaml), or a hub id used with hf_token"
    )
    hf_token: SecretStr | None = Field(None, description="Hugging Face token for a hub id (never echoed)")

    @property
    def token(self) -> str | None:
        return self.hf_token.get_secret_value() if self.hf_token else None


class DiarizerSettings(BaseModel):
    """Who spoke when: the backend, the speaker counts, and one sub-section per backend."""

    model_config = _FROZEN

    backend: DiarizerName = Field(
        "auto", description="auto: channels for a true dual-channel call, else segmented"
    )
    num_speakers: int | None = Field(None, ge=1, description="how many speakers, if known (null: found automatically)")
    min_speakers: int = Field(1, ge=1)
    max_speakers: int = Field(6, ge=1)
    embedded: EmbeddedSettings = Field(default_factory=EmbeddedSettings)
    segmented: SegmentedSettings = Field(default_factory=SegmentedSettings)
    channels: ChannelTuning = Field(default_factory=ChannelTuning)
    pyannote: PyannoteSettings = Field(default_factory=PyannoteSettings)

    @model_validator(mode="after")
    def _counts(self) -> DiarizerSettings:
        if self.max_speakers < self.min_speakers:
            raise ValueError(f"max_speakers ({self.max_speakers}) is below min_speakers ({self.min_speakers})")
        return self
