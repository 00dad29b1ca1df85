"""The whole pipeline on calls built with known timing, and the CLI contract.

The script holds one of each event the scorecard promises: a question answered after
1 s, a question followed by 5 s of silence, a self-answered question, an interruption
by the rep, a backchannel and a paraphrase-back. ``analyze`` must report exactly those
events, each within 0.3 s of where it was placed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from audiofiles import silent_flac
from callsynth import Line, make_call

pytestmark = pytest.mark.slow

SCRIPT = [
    Line("rep", "Hi, this is Sam from Acme.", at=0.5),
    Line("customer", "Hello Sam.", gap=0.8),
    Line("rep", "What made you look at new tools this quarter?", gap=0.8),  # Q1: customer after 1.0 s
    Line("customer", "Our renewals are slipping and the team is tired of spreadsheets.", gap=1.0),
    Line("rep", "How many people are on the team?", gap=0.8),  # Q2: 5 s of silence, then the customer
    Line("customer", "About twelve people.", gap=5.0),
    Line("rep", "Do you have a tool for that today?", gap=0.8),  # Q3: the rep answers it after 1.0 s
    Line("rep", "I assume it is Salesforce.", gap=1.0),
    Line("customer", "Yes, we use Salesforce for everything, and we have for many years now.", gap=0.8),
    Line("rep", "Right, and we integrate with it directly.", gap=-1.5),  # interrupts the customer
    Line("customer", "The reports take us two days every month to build by hand.", gap=0.8),
    Line("rep", "So what you're saying is the monthly reports cost your team two days of manual work.", gap=0.8),
    Line("customer", "Exactly.", gap=0.7),
]
TOL = 0.3
# On a mono mix the edges of a wait come from the recogniser's word times, whose edges move
# by a few tenths of a second between CPUs; so do the detector's overlap edges.
MONO_TOL = 0.5


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "listenlens", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def stereo_call(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "stereo_call.wav"
    truth = make_call(SCRIPT, path, stereo=True, crosstalk_db=-28)
    return path, truth


@pytest.fixture(scope="module")
def stereo_result(stereo_call, tmp_path_factory):
    path, _ = stereo_call
    out = tmp_path_factory.mktemp("e2e-out")
    # The --set (a limit far above this call's length) changes no figure; it shows in the echo.
    proc = run_cli("analyze", str(path), "--channels", "rep,customer", "--json", "-o", str(out),
                   "--set", "audio.max_duration_s=3600")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_json_contract(stereo_result):
    r = stereo_result
    assert 0 <= r["score"] <= 100
    assert {s["role"] for s in r["speakers"]} == {"rep", "customer"}
    assert all(s["talk_time_s"] > 0 for s in r["speakers"])
    m = r["metrics"]
    assert 0 < m["talk_ratio"] < 1
    for key in ("longest_monologue_s", "interruptions", "questions", "paraphrases"):
        assert key in m
    # What ran is echoed: the pipeline's settings in the call's source, the scorecard's beside the score.
    ran = r["call"]["source"]["settings"]
    assert ran["audio"]["max_duration_s"] == 3600.0
    assert ran["diarizer"]["backend"] == "auto" and ran["asr"]["model"] == "base"
    assert r["settings"]["metrics"]["pause_s"] == 2.0 and r["settings"]["targets"]["talk_ratio"]["weight"] == 3.0


def test_questions_and_their_waits(stereo_call, stereo_result):
    _, truth = stereo_call
    qs = stereo_result["metrics"]["questions"]
    q1, q2, q3 = truth[2], truth[4], truth[6]
    assert len(qs) == 3, [q["text"] for q in qs]
    by_truth = [min(qs, key=lambda q: abs(q["end"] - t.end)) for t in (q1, q2, q3)]
    for q, t, wait, honoured in zip(by_truth, (q1, q2, q3), (1.0, 5.0, 1.0), (True, True, False)):
        assert abs(q["end"] - t.end) <= TOL, (q, t)
        assert abs(q["wait_s"] - wait) <= TOL, (q, wait)
        assert q["honoured"] is honoured, q


def test_the_interruption(stereo_call, stereo_result):
    _, truth = stereo_call
    interruptions = stereo_result["metrics"]["interruptions"]
    assert len(interruptions) == 1, interruptions
    i = interruptions[0]
    assert (i["by"], i["of"]) == ("rep", "customer")
    assert abs(i["start"] - truth[9].start) <= TOL
    assert abs(i["overlap_s"] - (truth[8].end - truth[9].start)) <= TOL


def test_the_paraphrase(stereo_call, stereo_result):
    _, truth = stereo_call
    ps = stereo_result["metrics"]["paraphrases"]
    assert len(ps) == 1, ps
    assert abs(ps[0]["start"] - truth[11].start) <= TOL
    # It restates the customer's line just before it (its words depend on the recogniser).
    assert abs(ps[0]["restates_start"] - truth[10].start) <= TOL, ps[0]
    assert "report" in ps[0]["restates"].lower()


@pytest.fixture(scope="module")
def mono_call(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-mono") / "mono_call.wav"
    truth = make_call(SCRIPT, path)
    return path, truth


@pytest.fixture(scope="module")
def mono_result(mono_call, tmp_path_factory):
    path, _ = mono_call
    proc = run_cli("analyze", str(path), "--json", "-o", str(tmp_path_factory.mktemp("e2e-mono-out")))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_mono_mix_finds_the_same_questions_and_the_interruption(mono_call, mono_result):
    _, truth = mono_call
    r = mono_result
    roles = {s["label"]: s["role"] for s in r["speakers"]}
    assert sorted(roles.values()) == ["customer", "rep"]
    # Each scripted question is found where it was spoken, with its wait and verdict. The
    # words the recogniser hears differ between CPUs (CTranslate2's int8 kernels), so the
    # questions are matched by time, never by text.
    qs = r["metrics"]["questions"]
    for t, wait, honoured in zip((truth[2], truth[4], truth[6]), (1.0, 5.0, 1.0), (True, True, False)):
        near = [q for q in qs if abs(q["end"] - t.end) <= MONO_TOL]
        assert len(near) == 1, (t, qs)
        assert abs(near[0]["wait_s"] - wait) <= MONO_TOL, (near[0], wait)
        assert near[0]["honoured"] is honoured, near[0]
    assert abs(r["metrics"]["talk_ratio"] - _truth_ratio(truth)) < 0.05
    # Both voices are in one channel here: the interruption is found by the overlap
    # detector, not by channels. Shorter flagged overlaps must stay under the grace.
    assert r["metrics"]["interruption_counts"]["measured"] is True
    interruptions = r["metrics"]["interruptions"]
    assert len(interruptions) == 1, interruptions
    i = interruptions[0]
    assert (i["by"], i["of"]) == ("rep", "customer")
    assert abs(i["start"] - truth[9].start) <= TOL, (i, truth[9])
    # Its length is an estimate: the detector's edges are a few tenths of a second wide
    # (docs/diarization.md), so the mono tolerance on length is wider than on the start.
    assert abs(i["overlap_s"] - (truth[8].end - truth[9].start)) <= MONO_TOL, i


def test_mono_mix_has_no_phantom_questions(mono_call, mono_result):
    # On AVX2-only CPUs the recogniser writes the rep's interjection over the customer
    # as "We did it directly." straddling the overlap: its first word must stay with the
    # rep's sentence, or "did it directly." stands alone and reads as a rep question.
    _, truth = mono_call
    asked = [truth[2], truth[4], truth[6]]
    phantoms = [q for q in mono_result["metrics"]["questions"] if not any(abs(q["end"] - t.end) <= MONO_TOL for t in asked)]
    assert not phantoms, phantoms


def _truth_ratio(truth) -> float:
    rep = sum(t.end - t.start for t in truth if t.speaker == "rep")
    cust = sum(t.end - t.start for t in truth if t.speaker == "customer")
    return rep / (rep + cust)


def test_transcribe_writes_the_contract_files(stereo_call, tmp_path):
    path, truth = stereo_call
    proc = run_cli("transcribe", str(path), "-o", str(tmp_path), "--channels", "rep,customer", "-q")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stereo_call.rttm", "stereo_call.timeline.json", "stereo_call.vtt"]
    tl = json.loads((tmp_path / "stereo_call.timeline.json").read_text())
    assert tl["schema"] == "listenlens.timeline/1"
    assert tl["roles"]["source"] == "channel_map"
    # Each line is heard once: crosstalk at -28 dB must not double the words (doubling
    # would give about twice the script's words; recognition errors move it a little).
    script_words = sum(len(line.text.split()) for line in SCRIPT)
    assert 0.8 * script_words <= len(tl["words"]) <= 1.15 * script_words, len(tl["words"])
    # And no word of the customer's leak lands on the rep's channel, or the reverse. A
    # word is placed by its middle: the recogniser's first word after a pause can start
    # 0.4 s early on some CPUs (an AMD EPYC put "The" of the customer's reply there).
    for label, role in (("CH0", "rep"), ("CH1", "customer")):
        spans = [(t.start - TOL, t.end + TOL) for t in truth if t.speaker == role]
        stray = [w for w in tl["words"] if w["speaker"] == label
                 and not any(a <= (w["start"] + w["end"]) / 2 <= b for a, b in spans)]
        assert not stray, stray
    assert "rep" in proc.stdout and "customer" in proc.stdout  # the readable transcript


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (lambda p: p.write_text("this is not audio"), "not a recording"),
        (lambda p: p.write_bytes(b""), "empty"),
        # Eight channels crashed the process (exit 139); here: noise, so no speech.
        (lambda p: _channels_wav(p, 8), "no speech"),
        (lambda p: _channels_wav(p, 16), "16 channels, over the 8-channel limit"),
        (lambda p: silent_flac(p, 5 * 3600), "lasts over the 4 h limit"),
    ],
    ids=["text", "empty", "8-channels", "16-channels", "flac-bomb"],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, make_bad, message):
    bad = tmp_path / "bad.wav"
    make_bad(bad)
    out = tmp_path / "out"
    proc = run_cli("analyze", str(bad), "-o", str(out))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    # Progress lines may precede it; the error itself is one line.
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and message in errors[0].lower(), proc.stderr
    assert not out.exists() or not any(out.iterdir())


def _channels_wav(path, channels: int):
    import numpy as np

    from audiofiles import pcm_wav

    noise = np.random.default_rng(5).normal(0, 0.01, (channels, 16000 * 2)).astype(np.float32)
    return pcm_wav(path, noise, 16000)


def test_silence_only_is_refused(tmp_path):
    import numpy as np

    from callsynth import write_wav

    path = tmp_path / "silence.wav"
    write_wav(path, np.zeros((1, 16000 * 5), dtype=np.float32))
    proc = run_cli("transcribe", str(path), "-o", str(tmp_path / "out"))
    assert proc.returncode != 0 and "silent" in proc.stderr and "Traceback" not in proc.stderr


def test_one_speaker_only_is_refused(tmp_path):
    path = tmp_path / "solo.wav"
    make_call(
        [
            Line("rep", "Hi, this is Sam from Acme. I am leaving a message about your renewal."),
            Line("rep", "Please call me back when you can.", gap=0.8),
        ],
        path,
    )
    proc = run_cli("transcribe", str(path), "-o", str(tmp_path / "out"))
    assert proc.returncode != 0 and "only one speaker" in proc.stderr and "Traceback" not in proc.stderr
    # What to do, for the command line and for the API alike.
    assert "--num-speakers 2" in proc.stderr and "num_speakers=2" in proc.stderr
