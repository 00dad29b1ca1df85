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
