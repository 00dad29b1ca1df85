"""The recogniser's filler setting: off by default, the prompt before every window when on."""

from listenlens.config import AsrSettings, load_settings
from listenlens.pipeline.asr import FILLER_PROMPT, Transcriber


def test_fillers_prompt_is_a_setting_and_off_by_default(monkeypatch):
    monkeypatch.delenv("LISTENLENS_ASR__KEEP_FILLERS", raising=False)
    assert load_settings().asr.keep_fillers is False
    assert Transcriber(AsrSettings()).decode_options()["hotwords"] is None
    options = Transcriber(AsrSettings(keep_fillers=True)).decode_options()
    assert options["hotwords"] == FILLER_PROMPT
    assert options["condition_on_previous_text"] is False  # the prompt must not carry a window's text over
    assert Transcriber(AsrSettings(keep_fillers=True), keep_fillers=False).decode_options()["hotwords"] is None
