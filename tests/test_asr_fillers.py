"""The recogniser's filler setting: off by default, the prompt before every window when on."""

from listenlens.config import PipelineSettings
from listenlens.pipeline.asr import FILLER_PROMPT, KEEP_FILLERS, Transcriber


def test_fillers_prompt_is_a_setting_and_off_by_default():
    assert KEEP_FILLERS is False
    assert Transcriber(PipelineSettings()).decode_options()["hotwords"] is None
    options = Transcriber(PipelineSettings(), keep_fillers=True).decode_options()
    assert options["hotwords"] == FILLER_PROMPT
    assert options["condition_on_previous_text"] is False  # the prompt must not carry a window's text over
