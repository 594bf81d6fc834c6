# One entry point. `make run` and `make test` both set everything up first:
#   - Debian ffmpeg when missing (apt-get; run as root or with sudo),
#   - .venv with torch==2.13.0 (the local CPU build, installed first so nothing replaces it)
#     and the exact pins of requirements.lock, then this package (editable).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)

.PHONY: setup system system-cluster run test test-slow bench lock clean

setup: system $(STAMP)

# Debian packages: ffmpeg for every stage, chromium for the explorer's browser tests.
system:
	@missing=""; \
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	# --no-deps: the lock is a complete freeze; resolving again would let scenedetect's
	# metadata pull the GUI opencv-python, which replaces the headless cv2 (GUIDE 5).
	$(BIN)/pip install -q --no-deps -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -c "import torch, sys; v = torch.__version__; sys.exit(0 if v.startswith('2.13.0') else 'torch ' + v + ' installed, 2.13.0 required')"
	touch $(STAMP)

# The main job: the whole pipeline on the embedded sample corpus.
run: setup
	dvc repro

# The test suite (the default, fast part); CI also runs `make test-slow`.
test: setup
	pytest -q

# The slow end-to-end tests also start a real sshd and a single-node Slurm on localhost.
test-slow: setup system-cluster
	pytest -q -m slow

system-cluster:
	@missing=""; \
	command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || missing="$$missing openssh-server"; \
	command -v slurmctld >/dev/null || [ -x /usr/sbin/slurmctld ] || missing="$$missing slurm-wlm"; \
	command -v munged >/dev/null || [ -x /usr/sbin/munged ] || missing="$$missing munge"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

bench: setup
	python benchmarks/bench_download.py
	python benchmarks/bench_download.py --mbps 100
	python benchmarks/bench_manifest.py
	python benchmarks/bench_gifify.py
	cd benchmarks && python bench_align.py

# Re-pin after changing pyproject.toml dependencies.
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v -i -e '^torch==' -e '^gifworthy' > requirements.lock

clean:
	rm -rf $(VENV) .snakemake .gifworthy test-artifacts
