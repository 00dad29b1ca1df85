"""The settings tree: precedence (defaults < file < env < flags), nested and short
environment names, --set, clear errors for unknown keys, and knobs reaching the backends."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from listenlens.cli import app
from listenlens.config import Settings, load_settings
from listenlens.errors import ConfigError
from listenlens.pipeline.diarize import get_diarizer


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No LISTENLENS_* variable of the machine running the tests leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith("LISTENLENS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def toml(tmp_path):
    def write(text: str):
        path = tmp_path / "listenlens.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_defaults_are_the_backends_own():
    from listenlens.pipeline.diarize.embedded import EmbeddedSettings
    from listenlens.pipeline.diarize.segmented import SegmentedSettings
    from listenlens.pipeline.scorecard import ScorecardConfig

    s = load_settings()
    assert s.diarizer.embedded == EmbeddedSettings()
    assert s.diarizer.segmented == SegmentedSettings()
    assert s.scorecard == ScorecardConfig()
    assert (s.asr.model, s.diarizer.backend, s.audio.max_duration_s) == (None, "auto", 4 * 3600.0)


def test_precedence_file_then_env_then_flag(toml, monkeypatch):
    path = toml('[asr]\nmodel = "from-file"\nbeam_size = 3\n[diarizer.embedded]\nstep_s = 0.3\n')
    s = load_settings(path)
    assert (s.asr.model, s.asr.beam_size, s.diarizer.embedded.step_s) == ("from-file", 3, 0.3)

    monkeypatch.setenv("LISTENLENS_ASR__MODEL", "from-env")
    s = load_settings(path)
    assert (s.asr.model, s.asr.beam_size) == ("from-env", 3)  # the file still holds the rest

    s = load_settings(path, {"asr": {"model": "from-flag"}}, ["diarizer.embedded.step_s=0.4"])
    assert (s.asr.model, s.asr.beam_size, s.diarizer.embedded.step_s) == ("from-flag", 3, 0.4)


def test_config_file_from_the_environment(toml, monkeypatch):
    monkeypatch.setenv("LISTENLENS_CONFIG", str(toml('[diarizer]\nbackend = "embedded"\n')))
    assert load_settings().diarizer.backend == "embedded"
    assert Settings().diarizer.backend == "embedded"


def test_nested_environment_names(monkeypatch):
    monkeypatch.setenv("LISTENLENS_DIARIZER__SEGMENTED__STEP_S", "2.0")
    monkeypatch.setenv("LISTENLENS_SCORECARD__METRICS__PAUSE_S", "1.5")
    monkeypatch.setenv("LISTENLENS_SCORECARD__METRICS__BACKCHANNEL_WORDS", '["yeah", "mm"]')
    monkeypatch.setenv("LISTENLENS_SERVICE__WORKER_THREADS", "0")
    monkeypatch.setenv("LISTENLENS_ASR__LANGUAGE", "null")
    s = load_settings()
    assert s.diarizer.segmented.step_s == 2.0
    assert s.scorecard.metrics.pause_s == 1.5
    assert s.scorecard.metrics.backchannel_words == ["yeah", "mm"]
    assert s.service.worker_threads == 0
    assert s.asr.language is None


def test_short_environment_names_still_work_and_nested_ones_win(monkeypatch):
    monkeypatch.setenv("LISTENLENS_MODEL", "small.en")
    monkeypatch.setenv("LISTENLENS_DEVICE", "cuda")
    monkeypatch.setenv("LISTENLENS_DIARIZER", "embedded")
    monkeypatch.setenv("LISTENLENS_DIARIZER__EMBEDDED__OVERLAP", "false")  # beside the short name of its section
    monkeypatch.setenv("LISTENLENS_HOME", "/srv/listenlens")
    monkeypatch.setenv("LISTENLENS_MAX_DURATION_S", "60")
    s = load_settings()
    assert (s.asr.model, s.asr.device, s.diarizer.backend) == ("small.en", "cuda", "embedded")
    assert s.diarizer.embedded.overlap is False
    assert str(s.service.home) == "/srv/listenlens"
    assert s.audio.max_duration_s == 60.0

    monkeypatch.setenv("LISTENLENS_ASR__MODEL", "medium.en")
    assert load_settings().asr.model == "medium.en"


def test_one_field_of_a_score_target_keeps_the_others(toml):
    s = load_settings(toml("[scorecard.targets.talk_ratio]\ngood_max = 0.55\n"), assignments=["scorecard.targets.paraphrase.weight=0"])
    talk = s.scorecard.targets["talk_ratio"]
    assert (talk.good_max, talk.good_min, talk.weight, talk.zero_above) == (0.55, 0.35, 3.0, 0.75)
    assert s.scorecard.targets["paraphrase"].weight == 0.0
    assert s.scorecard.targets["patience"].weight == 1.5


@pytest.mark.parametrize(
    "how, key",
    [
        ("set", "diarizer.embedded.stepp"),
        ("file", "diarizer.embeded"),
        ("env", "asr.modle"),
    ],
)
def test_unknown_keys_are_named(how, key, toml, monkeypatch):
    kwargs = {}
    if how == "set":
        kwargs["assignments"] = [f"{key}=1"]
    elif how == "file":
        kwargs["config_file"] = toml("[diarizer.embeded]\nstep_s = 0.5\n")
    else:
        monkeypatch.setenv("LISTENLENS_ASR__MODLE", "x")
    with pytest.raises(ConfigError) as err:
        load_settings(**kwargs)
    msg = err.value.message
    assert f"unknown setting {key}" in msg and "\n" not in msg
    assert {"set": "command line", "file": "file", "env": "LISTENLENS_ASR__MODLE"}[how] in msg


def test_other_mistakes_say_what_to_do(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="diarizer.backend.*'nemo'"):
        load_settings(assignments=["diarizer.backend=nemo"])
    with pytest.raises(ConfigError, match="write section.key=value"):
        load_settings(assignments=["step_s=0.5"])
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[asr\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad)
    monkeypatch.setenv("LISTENLENS_WEBHOOK_ALLOW_NETWORKS", "[10.0.0.0/8]")
    with pytest.raises(ConfigError, match="LISTENLENS_WEBHOOK_ALLOW_NETWORKS=.* is not valid JSON"):
        load_settings()
    monkeypatch.delenv("LISTENLENS_WEBHOOK_ALLOW_NETWORKS")
    monkeypatch.setenv("LISTENLENS_DIARIZR__STEP_S", "1")
    with pytest.raises(ConfigError, match="no settings section 'diarizr'"):
        load_settings()


def test_set_values_are_typed():
    s = load_settings(assignments=[
        "diarizer.embedded.overlap=false", "diarizer.num_speakers=2", "asr.model=tiny.en",
        'scorecard.metrics.lead_ins=["so", "well"]', "diarizer.segmented.part_s=3", "diarizer.embedded.region_max_s=null",
    ])
    e = s.diarizer.embedded
    assert (e.overlap, e.region_max_s, s.diarizer.num_speakers, s.asr.model) == (False, None, 2, "tiny.en")
    assert s.scorecard.metrics.lead_ins == ["so", "well"] and s.diarizer.segmented.part_s == 3.0


def test_diarizer_knobs_reach_every_backend():
    s = load_settings(assignments=[
        "diarizer.embedded.step_s=0.5", "diarizer.segmented.onset_delay_s=0.0",
        "diarizer.channels.pause_s=0.9", "diarizer.pyannote.pipeline=/nowhere",
    ]).diarizer
    assert get_diarizer("embedded", s).settings.step_s == 0.5
    segmented = get_diarizer("segmented", s)
    assert segmented.settings.onset_delay_s == 0.0
    assert segmented.embedded.step_s == 0.5  # the second look runs the embedded backend as configured
    assert get_diarizer("channels", s).tuning.pause_s == 0.9


def test_an_analyze_flag_reaches_the_backend(monkeypatch, tmp_path):
    """Through the real command line: the settings analyze_call receives build the backend as set."""
    import listenlens.pipeline.analyze as analyze

    seen = {}

    def fake_analyze_call(path, settings, **kwargs):
        seen["settings"] = settings
        raise ConfigError("stop here")

    monkeypatch.setattr(analyze, "analyze_call", fake_analyze_call)
    call = tmp_path / "call.wav"
    call.write_bytes(b"")
    result = CliRunner().invoke(app, [
        "analyze", str(call), "--out", str(tmp_path), "-q", "--diarizer", "embedded", "--model", "base.en",
        "--set", "diarizer.embedded.snap_s=0.0", "--set", "scorecard.metrics.pause_s=1.5",
    ])
    assert result.exit_code == 3 and "stop here" in result.output
    s = seen["settings"]
    assert (s.diarizer.backend, s.asr.model, s.scorecard.metrics.pause_s) == ("embedded", "base.en", 1.5)
    assert get_diarizer(s.diarizer.backend, s.diarizer).settings.snap_s == 0.0


def test_cli_unknown_key_is_one_line(tmp_path):
    call = tmp_path / "call.wav"
    call.write_bytes(b"")
    result = CliRunner().invoke(app, ["transcribe", str(call), "--set", "diarizer.embedded.nope=1"])
    assert result.exit_code == 3
    assert "unknown setting diarizer.embedded.nope" in result.output
    assert "Traceback" not in result.output


def test_echo_redacts_secrets_and_holds_what_ran(monkeypatch):
    monkeypatch.setenv("LISTENLENS_HF_TOKEN", "hf_secret")
    monkeypatch.setenv("LISTENLENS_DATABASE_URL", "postgresql://user:pw@db/listenlens")
    s = load_settings(assignments=["diarizer.embedded.step_s=0.5"])
    echo = s.echo()
    assert set(echo) == {"asr", "audio", "diarizer", "voiceprints"}
    assert echo["asr"]["model"] == "base"  # the profile resolved: what actually ran
    assert echo["diarizer"]["embedded"]["step_s"] == 0.5
    assert "hf_secret" not in json.dumps(echo)
    assert s.diarizer.pyannote.token == "hf_secret"

    from listenlens.config.report import redacted

    everything = json.dumps(redacted(s))
    assert "hf_secret" not in everything and ":pw@" not in everything and "user:***@db" in everything


def test_updated_validates_dotted_changes():
    s = load_settings()
    t = s.updated({"diarizer.backend": "embedded", "diarizer.num_speakers": 2})
    assert (t.diarizer.backend, t.diarizer.num_speakers, s.diarizer.backend) == ("embedded", 2, "auto")
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="diarizer.backend"):
        s.updated({"diarizer.backend": "nemo"})


def test_config_show_names_sources_and_config_schema_lists_sections(monkeypatch, toml):
    import tomllib

    monkeypatch.setenv("LISTENLENS_MODEL", "small.en")
    monkeypatch.setenv("LISTENLENS_HF_TOKEN", "hf_secret")
    path = toml("[diarizer.segmented]\nstep_s = 2.0\n")
    result = CliRunner().invoke(app, ["config", "show", "--config", str(path), "--set", "scorecard.metrics.pause_s=1.5"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert 'model = "small.en"  # env LISTENLENS_MODEL' in out
    assert f"step_s = 2.0  # file {path}" in out
    assert "pause_s = 1.5  # command line" in out
    assert "hf_secret" not in out
    parsed = tomllib.loads(out)  # the printout is TOML itself
    assert parsed["diarizer"]["segmented"]["step_s"] == 2.0

    result = CliRunner().invoke(app, ["config", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert set(schema["properties"]) == {"asr", "audio", "diarizer", "scorecard", "service", "voiceprints"}
    assert "EmbeddedSettings" in schema["$defs"] and "Target" in schema["$defs"]


def test_the_documentation_names_every_key_and_its_example_loads(tmp_path):
    """docs/configuration.md has a table row for every key, and its example file is valid."""
    import re
    from pathlib import Path

    from pydantic import BaseModel

    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    tables = dict(re.findall(r"### `\[([a-z_.A-Z]+)\]`\n(.*?)(?=\n### |\Z)", doc, re.S))

    def keys(model, path):
        for name, field in model.model_fields.items():
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                yield from keys(field.annotation, f"{path}.{name}")
            else:
                yield path, name

    missing = [f"{section}.{key}" for root, field in Settings.model_fields.items()
               for section, key in keys(field.annotation, root) if f"| `{key}`" not in tables.get(section, "")]
    assert missing == []

    example = re.search(r"## Example\n\n```toml\n(.*?)```", doc, re.S).group(1)
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    s = load_settings(path)
    assert s.diarizer.segmented.second_look is False and s.scorecard.targets["talk_ratio"].good_max == 0.55


def test_the_diarizers_do_not_import_the_tree():
    """The dependency runs one way: the tree imports the backends' settings, never the reverse."""
    import subprocess
    import sys

    code = (
        "import sys, listenlens.pipeline.diarize, listenlens.pipeline.diarize.embedded, listenlens.pipeline.diarize.segmented,"
        " listenlens.pipeline.diarize.channels, listenlens.pipeline.diarize.pyannote_backend;"
        " print(sorted(m for m in sys.modules if m.startswith('listenlens.config')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
