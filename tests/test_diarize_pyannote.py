"""The pyannote adapter: setup errors that say how to enable it, the conversion of its
output to Turns, the call it makes, and (where pyannote.audio and a pipeline are
available) a run on a real two-party call."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pytest
from pyannote.core import Annotation, Segment

from listenlens.config import load_settings
from listenlens.errors import ConfigError, ModelError
from listenlens.pipeline.audio import Audio
from listenlens.pipeline.diarize import DiarizerSettings, get_diarizer
from listenlens.pipeline.diarize import pyannote_backend as pb
from listenlens.pipeline.timeline import Turn


@pytest.fixture
def pretend_installed(monkeypatch):
    monkeypatch.setattr(pb, "installed", lambda: True)


def _settings(pyannote_pipeline=None, hf_token=None) -> DiarizerSettings:
    return DiarizerSettings(pyannote={"pipeline": pyannote_pipeline, "hf_token": hf_token})


# -- setup errors ----------------------------------------------------------------------


def test_missing_package_says_how_to_install_and_configure(monkeypatch):
    monkeypatch.setattr(pb, "installed", lambda: False)
    with pytest.raises(ConfigError) as err:
        get_diarizer("pyannote", _settings(pyannote_pipeline="/models/pyannote"))
    msg = err.value.message
    assert "pip install 'listenlens[pyannote]'" in msg
    assert "LISTENLENS_PYANNOTE_PIPELINE=/path/to/folder" in msg and "--pyannote-pipeline" in msg
    assert "LISTENLENS_HF_TOKEN" in msg
    assert "\n" not in msg


@pytest.mark.skipif(pb.installed(), reason="pyannote.audio is installed here")
def test_this_machine_without_pyannote_gets_the_install_message():
    with pytest.raises(ConfigError, match=r"pip install 'listenlens\[pyannote\]'"):
        get_diarizer("pyannote", _settings())


def test_no_pipeline_configured(pretend_installed):
    with pytest.raises(ConfigError, match="needs a pipeline: set LISTENLENS_PYANNOTE_PIPELINE=/path/to/folder"):
        get_diarizer("pyannote", _settings())


def test_folder_without_config_yaml(pretend_installed, tmp_path):
    with pytest.raises(ConfigError, match="holds no config.yaml"):
        get_diarizer("pyannote", _settings(pyannote_pipeline=str(tmp_path)))


def test_missing_folder(pretend_installed, tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        get_diarizer("pyannote", _settings(pyannote_pipeline=str(tmp_path / "nope")))


def test_hub_id_needs_a_token(pretend_installed):
    with pytest.raises(ConfigError, match="LISTENLENS_HF_TOKEN"):
        get_diarizer("pyannote", _settings(pyannote_pipeline="pyannote/speaker-diarization-3.1"))
    d = get_diarizer("pyannote", _settings(pyannote_pipeline="pyannote/speaker-diarization-3.1", hf_token="hf_x"))
    assert d.checkpoint == "pyannote/speaker-diarization-3.1"


def test_local_folder_resolves_to_its_config(pretend_installed, tmp_path):
    (tmp_path / "config.yaml").write_text("pipeline: {name: x}\n")
    d = get_diarizer("pyannote", _settings(pyannote_pipeline=str(tmp_path)))
    assert d.checkpoint == str((tmp_path / "config.yaml").resolve())


def test_relative_model_paths_are_made_absolute(tmp_path):
    (tmp_path / "segmentation").mkdir()
    (tmp_path / "embedding.bin").write_bytes(b"")
    config = tmp_path / "config.yaml"
    config.write_text(
        "pipeline:\n  name: pyannote.audio.pipelines.SpeakerDiarization\n  params:\n"
        "    segmentation: segmentation\n    embedding: embedding.bin\n    plda: $model/plda\n"
        "    clustering: AgglomerativeClustering\n"
    )
    import yaml

    rewritten = yaml.safe_load(open(pb._absolutize_config(config)))
    params = rewritten["pipeline"]["params"]
    assert params["segmentation"] == str((tmp_path / "segmentation").resolve())
    assert params["embedding"] == str((tmp_path / "embedding.bin").resolve())
    assert params["plda"] == "$model/plda" and params["clustering"] == "AgglomerativeClustering"
    # nothing relative left: the original file is used as is
    plain = tmp_path / "plain.yaml"
    plain.write_text("pipeline: {name: x, params: {segmentation: pyannote/segmentation-3.0}}\n")
    assert pb._absolutize_config(plain) == str(plain)


# -- output conversion -----------------------------------------------------------------


def _annotation() -> Annotation:
    ann = Annotation(uri="call")
    ann[Segment(0.5, 3.2)] = "SPEAKER_00"
    ann[Segment(3.0, 6.0)] = "SPEAKER_01"  # overlaps the first
    ann[Segment(6.4, 7.0), "b"] = "SPEAKER_00"
    ann[Segment(8.0, 8.0)] = "SPEAKER_01"  # empty: dropped
    return ann


EXPECTED = [Turn(0.5, 3.2, "SPEAKER_00"), Turn(3.0, 6.0, "SPEAKER_01"), Turn(6.4, 7.0, "SPEAKER_00")]


def test_annotation_to_turns_keeps_overlaps():
    assert pb.annotation_to_turns(_annotation()) == EXPECTED


def test_diarize_output_of_pyannote_4_uses_the_overlapping_diarization():
    @dataclass
    class DiarizeOutput:  # the shape of pyannote.audio 4's result
        speaker_diarization: Annotation
        exclusive_speaker_diarization: Annotation
        speaker_embeddings: object = None

    exclusive = Annotation()
    exclusive[Segment(0.0, 1.0)] = "SPEAKER_09"
    assert pb.annotation_to_turns(DiarizeOutput(_annotation(), exclusive)) == EXPECTED


def test_non_diarization_output_is_a_model_error():
    with pytest.raises(ModelError, match="not a speaker diarization"):
        pb.annotation_to_turns({"segments": []})


# -- the call made to the pipeline -----------------------------------------------------


class FakePipeline:
    """Records what the adapter passes; answers like pyannote.audio 3.1 (an Annotation)."""

    def __init__(self):
        self.calls = []

    def __call__(self, file, hook=None, **kwargs):
        self.calls.append((file, kwargs))
        hook("segmentation", None, file=file, total=4, completed=2)
        hook("speaker_counting", object(), file=file)
        return _annotation()


def test_diarize_passes_the_waveform_in_memory_and_the_speaker_counts():
    fake = FakePipeline()
    d = pb.PyannoteDiarizer(_settings().pyannote, pipeline=fake)
    stereo = np.random.default_rng(0).normal(0, 0.1, (2, 16000)).astype(np.float32)
    seen = []
    dia = d.diarize(Audio(stereo), min_speakers=2, max_speakers=3, progress=lambda *a: seen.append(a))

    file, kwargs = fake.calls[0]
    assert tuple(file["waveform"].shape) == (1, 16000)  # downmixed, (channel, time)
    assert np.allclose(file["waveform"].numpy()[0], stereo.mean(axis=0), atol=1e-6)
    assert file["sample_rate"] == 16000
    assert kwargs == {"min_speakers": 2, "max_speakers": 3}
    assert ("pyannote segmentation", 2.0, 4.0) in seen
    assert dia.backend == "pyannote" and dia.turns == EXPECTED and dia.channel_of == {}

    d.diarize(Audio(stereo[:1]), num_speakers=2)
    assert fake.calls[1][1] == {"num_speakers": 2}


# -- loading, against the two from_pretrained signatures -------------------------------


def _fake_pyannote_audio(monkeypatch, from_pretrained):
    import sys
    import types

    module = types.ModuleType("pyannote.audio")
    module.Pipeline = type("Pipeline", (), {"from_pretrained": staticmethod(from_pretrained)})
    monkeypatch.setitem(sys.modules, "pyannote.audio", module)
    monkeypatch.setattr(pb, "_cache", {})


def test_load_uses_use_auth_token_with_pyannote_3(monkeypatch):
    seen = {}

    def from_pretrained(checkpoint_path, hparams_file=None, use_auth_token=None, cache_dir=None):  # 3.1
        seen.update(checkpoint=checkpoint_path, use_auth_token=use_auth_token)
        return FakePipeline()

    _fake_pyannote_audio(monkeypatch, from_pretrained)
    pb.load_pipeline("pyannote/speaker-diarization-3.1@main", "hf_x", "cpu")
    assert seen == {"checkpoint": "pyannote/speaker-diarization-3.1@main", "use_auth_token": "hf_x"}


def test_load_uses_token_and_revision_with_pyannote_4(monkeypatch):
    seen = {}

    def from_pretrained(checkpoint, revision=None, hparams_file=None, token=None, cache_dir=None):  # 4.x
        seen.update(checkpoint=checkpoint, revision=revision, token=token)
        return FakePipeline()

    _fake_pyannote_audio(monkeypatch, from_pretrained)
    pb.load_pipeline("pyannote/speaker-diarization-community-1@v1", "hf_x", "cpu")
    assert seen == {"checkpoint": "pyannote/speaker-diarization-community-1", "revision": "v1", "token": "hf_x"}


def test_refused_download_is_a_model_error(monkeypatch):
    _fake_pyannote_audio(monkeypatch, lambda checkpoint, token=None: None)  # gated: returns None
    with pytest.raises(ModelError, match="could not be downloaded"):
        pb.load_pipeline("pyannote/speaker-diarization-3.1", "hf_x", "cpu")

    def broken(checkpoint, token=None):
        raise OSError("We have no connection to the Hub\nmore")

    _fake_pyannote_audio(monkeypatch, broken)
    with pytest.raises(ModelError, match="cannot load pyannote pipeline .*OSError: We have no connection to the Hub;"):
        pb.load_pipeline("pyannote/speaker-diarization-3.1", "hf_x", "cpu")


# -- the real thing, where it is installed ---------------------------------------------


@pytest.mark.slow
@pytest.mark.pyannote
def test_pyannote_pipeline_on_a_real_call(shared_data):
    pytest.importorskip("pyannote.audio")
    if not os.environ.get("LISTENLENS_PYANNOTE_PIPELINE"):
        pytest.skip("set LISTENLENS_PYANNOTE_PIPELINE to a local pyannote pipeline folder to run this test")
    from pyannote.metrics.diarization import DiarizationErrorRate

    from listenlens.pipeline.audio import load_audio

    folder = shared_data / "pyannote-sample"
    audio = load_audio(folder / "sample.wav")
    settings = load_settings().resolved()
    dia = get_diarizer("pyannote", settings.diarizer, device=settings.asr.device).diarize(audio, num_speakers=2)
    assert len({t.speaker for t in dia.turns}) == 2

    reference = Annotation(uri="sample")
    for line in (folder / "sample.rttm").read_text(encoding="utf-8").splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            reference[Segment(float(f[3]), float(f[3]) + float(f[4]))] = f[7]
    hypothesis = Annotation(uri="sample")
    for i, t in enumerate(dia.turns):
        hypothesis[Segment(t.start, t.end), i] = t.speaker
    der = DiarizationErrorRate(collar=0.25)(reference, hypothesis)
    assert der < 0.25, f"DER {der:.1%} on the pyannote sample call"
