# Fresh machine: `make demo` analyzes the bundled demo call; `make test` runs the tests.
# Both create .venv and install everything they need first (CPU torch from the local
# wheel, so no CUDA packages are pulled).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install deps bench-deps demo test test-fast test-avx2 lint bench eval event-eval speed-vs-whisper demo-call

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24" "setuptools<81" wheel
	# Pinned CPU build first: an unpinned torch would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

# System packages the tests use: espeak-ng and flite speak the test calls, chromium runs
# the browser tests. The sales calls of `make event-eval` also speak with festival.
deps:
	@if ! command -v espeak-ng >/dev/null || ! command -v flite >/dev/null || ! command -v chromium >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng flite chromium >/dev/null; \
	fi

bench-deps: deps
	@if ! command -v text2wave >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq festival festvox-kallpc16k festvox-us-slt-hts >/dev/null; \
	fi

demo: install
	$(BIN)/listenlens analyze demo/demo_call.wav -o listenlens-out

test: install deps
	$(BIN)/python -m pytest -q

# The recogniser-dependent tests again, with kernels capped at AVX2: what a CPU without
# AVX-512 hears (docs/testing.md); and the voiceprint encoders (CAM++ runs on oneDNN).
test-avx2: install deps
	ONEDNN_MAX_CPU_ISA=AVX2 CT2_FORCE_CPU_ISA=AVX2 $(BIN)/python -m pytest -q tests/test_pipeline_e2e.py tests/test_voiceprint_encoders.py

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not scaleout and not browser"

# Lint and type check (both configured in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/python scripts/typecheck.py

# The whole results file: speed, memory and accuracy, then the peer table, the
# oracle ceilings and the text events, which add their sections to it.
bench: install
	$(BIN)/python bench/run_bench.py
	$(BIN)/python bench/peer_compare.py
	$(BIN)/python bench/ceilings.py
	$(BIN)/python bench/text_events.py

event-eval: install bench-deps
	nice -n 10 $(BIN)/python bench/event_eval.py

speed-vs-whisper: install
	$(BIN)/python bench/speed_vs_whisper.py

eval: install
	$(BIN)/listenlens eval ../shared/data/pyannote-sample

# Regenerates demo/demo_call.wav (committed) from its script.
demo-call: install deps
	$(BIN)/python scripts/make_demo_call.py
