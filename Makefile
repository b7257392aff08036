# Two commands for users: `make book` builds the executed book, `make test` runs the tests.
# Both install the pinned environment (requirements.lock) into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install book test test-slow lint format lock bench clean lab

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/replicate book

# JupyterLab on 127.0.0.1 with a token, at notebooks/ (the kernel "replicate" is installed
# into .venv on first use); double-click a chapter's .py to open it as a notebook.
lab: $(STAMP)
	$(BIN)/replicate lab

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check src tests notebooks benchmarks
	$(BIN)/ruff format --check src tests notebooks benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests notebooks benchmarks
	$(BIN)/ruff check --fix src tests notebooks benchmarks

# Regenerate the lock file from pyproject.toml (needs the network to PyPI).
lock:
	$(PYTHON) -m venv /tmp/replicate-uv && /tmp/replicate-uv/bin/pip install --quiet uv
	/tmp/replicate-uv/bin/uv pip compile pyproject.toml --extra book --extra test --extra bench \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu -o requirements.lock

# Each prints its ratio against a baseline run in the same process (≈ 20 min in all;
# scale.py at 285,000 units is most of it: `--sizes 285 2850` runs the small sizes).
bench: $(STAMP)
	$(BIN)/python benchmarks/book_build.py
	$(BIN)/python benchmarks/index_speed.py
	$(BIN)/python benchmarks/inference_speed.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/scale_did.py
	$(BIN)/python benchmarks/multiverse.py
	$(BIN)/python benchmarks/teaching_mc.py

clean:
	rm -rf _build notebooks/*.ipynb book/generated
