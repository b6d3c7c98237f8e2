#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (written by
# `course export gradescope`; docs/ecosystem.md says which base image to pick). It
# installs what grading needs and none of the instructor's tools: bubblewrap, and a
# virtualenv at /autograder/venv (Python >= 3.11) with torch's CPU-only build and the
# kit's base dependencies, at the versions pinned in constraints.txt. A check that fails
# stops the build with a message saying what is wrong. `source setup.sh` only defines
# the functions.
set -euo pipefail

SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"  # /autograder/source
VENV="${COURSE_KIT_VENV:-/autograder/venv}"
TORCH_CPU_INDEX="${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
# 1 when the instructor exported with --unsafe-no-sandbox (then neither bubblewrap nor
# the container mode is required)
UNSAFE_NO_SANDBOX="${COURSE_KIT_UNSAFE_NO_SANDBOX:-{{ unsafe }}}"
export PIP_NO_CACHE_DIR=1  # the image keeps the installed packages, not a second copy

note() { echo "setup.sh: $*"; }
fail() { echo "setup.sh: error: $*" >&2; exit 1; }

install_system_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    note "no apt-get here: bubblewrap and Python >= 3.11 must already be installed"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq bubblewrap python3-venv >/dev/null
  if ! find_python >/dev/null; then  # Ubuntu 22.04 (Gradescope's default) ships 3.10
    apt-get install -y -qq python3.11 python3.11-venv >/dev/null ||
      note "could not install python3.11 with apt-get"
  fi
}

find_python() {  # the Python the lock files were resolved for (3.11), else a newer one
  local candidate
  for candidate in python3.11 python3 python3.13 python3.12; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

check_python() {  # sets PYTHON
  PYTHON="$(find_python)" || fail "the course kit needs Python >= 3.11, and this image has" \
    "$(python3 --version 2>&1 || echo 'no python3'). Choose the Ubuntu 22.04 base image" \
    "(or later) on Gradescope's Configure Autograder page: setup.sh installs its python3.11."
  note "Python: $(command -v "$PYTHON") ($("$PYTHON" --version 2>&1))"
}

check_bubblewrap() {  # which sandbox grading will use here: said once, at build time
  local why
  if ! command -v bwrap >/dev/null 2>&1; then
    why="bubblewrap (bwrap) is not installed"
  elif ! why="$(bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts \
      --unshare-cgroup-try --die-with-parent --ro-bind / / --proc /proc --dev /dev \
      true 2>&1)"; then
    why="bubblewrap cannot create namespaces here (bwrap said: ${why:-nothing})"
  else
    note "bubblewrap works: student code will run in its sandbox"
    return 0
  fi
  if [ "$(id -u)" = 0 ]; then
    note "$why: container mode. The container is the sandbox: student code will run as" \
      "an unprivileged uid that can read no grader and write no result (SECURITY.md)."
    return 0
  fi
  if [ "$UNSAFE_NO_SANDBOX" = 1 ]; then
    note "WARNING: $why, and this is not root. This autograder was exported with" \
      "--unsafe-no-sandbox, so it will run student code WITHOUT a sandbox (SECURITY.md)."
    return 0
  fi
  fail "$why, and this is not root, so student code cannot be isolated. Gradescope runs" \
    "setup.sh as root; elsewhere run it as root, or, accepting the risk, export with" \
    "\`course export gradescope ... --unsafe-no-sandbox\` (SECURITY.md)."
}

pinned() {  # the version constraints.txt pins for package $1
  sed -n "s/^$1==//p" "$SOURCE_DIR/constraints.txt"
}

torch_index_reachable() {  # prints why not, and fails, when the CPU index cannot be read
  "$PYTHON" - "$TORCH_CPU_INDEX/torch/" <<'PY'
import sys
import urllib.request

try:
    urllib.request.urlopen(sys.argv[1], timeout=20).close()
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
    sys.exit(1)
PY
}

install_torch() {  # torch's CPU-only build from PyTorch's CPU index, or stop
  local pip="$VENV/bin/pip" why
  local wanted=("torch==$(pinned torch)" "torchvision==$(pinned torchvision)")
  if ! why="$(torch_index_reachable)"; then
    # The default index has only the CUDA build for Linux: several GB, and minutes of
    # build time for nothing. Never installed silently.
    fail "PyTorch's CPU wheel index $TORCH_CPU_INDEX is not reachable ($why), and the" \
      "default index would install torch's CUDA build (several GB). Retry the build, or set" \
      "TORCH_CPU_INDEX to a mirror of https://download.pytorch.org/whl/cpu."
  fi
  note "installing ${wanted[*]}, CPU-only builds, from $TORCH_CPU_INDEX"
  "$pip" install -q --no-deps --index-url "$TORCH_CPU_INDEX" "${wanted[@]}"
}

install_kit() {  # what grading needs: the kit's base dependencies, no instructor tools
  # torch stays the CPU build just installed: the kit's pins may not move it.
  "$VENV/bin/pip" install -q -c "$SOURCE_DIR/constraints.txt" -e "$SOURCE_DIR" ||
    fail "pip could not install the kit's pinned dependencies (above); re-export the" \
      "autograder from a course whose constraints.txt installs (make setup)."
  "$VENV/bin/python" - <<'PY' || fail "torch's CUDA build was installed; see above"
import sys

import autograder  # noqa: F401
import fastai.torch_core  # noqa: F401
import torch

print("setup.sh: torch", torch.__version__, "CUDA", torch.version.cuda or "none")
sys.exit(torch.version.cuda is not None)
PY
  "$VENV/bin/course" --help >/dev/null
}

main() {
  install_system_packages
  check_python
  check_bubblewrap
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  install_torch
  install_kit
  note "done: the kit is installed in $VENV"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
