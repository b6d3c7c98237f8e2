# make demo   set up, then grade the bundled example class (examples/submitted/)
# make test   set up, then lint, run every test (slow ones included) and `course validate`
# make lock   re-resolve the dependencies and rewrite constraints.txt (the lock file)
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(abspath $(VENV)/bin)
export PATH := $(BIN):$(PATH)

.PHONY: setup sandbox demo test test-fast lint validate generate examples bench clean lock

setup: $(VENV)/.installed sandbox

# The instructor's and CI's setup: the kit with its tools, the cluster runner and the test
# tools, at the versions pinned in constraints.txt. (A student's setup: see README.)
EXTRAS ?= instructor,cluster,dev
$(VENV)/.installed: constraints.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

# Re-resolve every dependency in a fresh virtualenv (newest versions pyproject.toml allows)
# and freeze it into constraints.txt; review the diff, then run `make test`.
LOCK_VENV := build/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q --upgrade pip
	$(LOCK_VENV)/bin/pip install -q -e ".[instructor,cluster,dev,student]"
	{ sed -n '/^#/p' constraints.txt; $(LOCK_VENV)/bin/pip freeze --exclude-editable \
	  | sed -E 's/^(torch|torchvision|torchaudio)==([^+]*)\+cpu$$/\1==\2/'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV)

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
