"""Errors a user can act on.

Every failure a person can cause (a bad file, a wrong option, a missing extra) is a
``ListenlensError`` whose message is one line saying what is wrong and what to do.
The CLI prints that line and exits non-zero; the service answers it as JSON. Anything
else is a bug and keeps its traceback.
"""


class ListenlensError(Exception):
    """A problem with the input or the setup, explained in one line."""

    exit_code = 2
    http_status = 400
    code = "invalid_input"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AudioError(ListenlensError):
    """The recording cannot be used: not audio, empty, corrupt, silent, too long."""

    code = "bad_audio"
    http_status = 422


class ConfigError(ListenlensError):
    """A setting or option is wrong, or an optional component is not installed."""

    code = "bad_config"
    exit_code = 3


class ModelError(ConfigError):
    """A model cannot be found or loaded."""

    code = "model_unavailable"


# Refusals: the recording is readable but cannot be scored. Each has its own type so a
# caller (the evaluation, the service) can tell them apart without reading the message.


class TooLongError(AudioError):
    """The recording lasts longer than the duration limit, or decodes to more than the size limit."""


class SilentAudioError(AudioError):
    """No sound above the noise floor anywhere in the recording."""


class NotAConversationError(AudioError):
    """The diarizer heard no speech, or only one voice: there is no listening to score.

    ``diarization`` holds what the diarizer found (a ``pipeline.diarize.base.Diarization``)
    and ``duration`` the recording's length in seconds, so a caller that scores
    who-spoke-when (the evaluation) can use that work instead of repeating it.
    """

    def __init__(self, message: str, *, diarization=None, duration: float | None = None):
        super().__init__(message)
        self.diarization = diarization
        self.duration = duration


class NoSpeechError(NotAConversationError):
    """The diarizer found no speech at all."""


class OneSpeakerError(NotAConversationError):
    """The diarizer heard one voice where a call needs two sides."""
