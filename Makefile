# make demo   set up, then grade the bundled example class (examples/submitted/)
# make test   set up, then lint, run every test (slow ones included) and `course validate`
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(abspath $(VENV)/bin)
export PATH := $(BIN):$(PATH)

.PHONY: setup sandbox demo test test-fast lint validate generate examples bench clean

setup: $(VENV)/.installed sandbox

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# bubblewrap is the sandbox; install it when we can (root on Debian/Ubuntu).
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; \
	  else echo "bubblewrap (bwrap) is missing: install it, e.g. sudo apt-get install bubblewrap"; exit 1; fi; }

demo: setup
	rm -rf out/demo
	course autograde examples/submitted --out out/demo --workers 2

test: setup lint
	$(PY) -m pytest -m "" -q
	course validate

test-fast: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

validate: setup
	course validate

generate: setup
	course generate
	$(PY) examples/build_examples.py

bench: setup
	$(PY) benchmarks/grading_speed.py --repeat 3

clean:
	rm -rf out build *.egg-info
