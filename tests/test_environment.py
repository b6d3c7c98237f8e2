"""changed_environment: the kit's one way to change environment variables for a while."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from autograder.environment import changed_environment, path_with_python


def test_every_variable_named_is_restored_whatever_the_block_did(monkeypatch):
    monkeypatch.setenv("KIT_SET", "before")
    monkeypatch.delenv("KIT_UNSET", raising=False)
    monkeypatch.setenv("KIT_REMOVED", "still here")
    with pytest.raises(RuntimeError), \
            changed_environment(KIT_SET="during", KIT_UNSET="new", KIT_REMOVED=None):
        assert os.environ["KIT_SET"] == "during" and os.environ["KIT_UNSET"] == "new"
        assert "KIT_REMOVED" not in os.environ
        os.environ["KIT_SET"] = "changed inside"
        raise RuntimeError("the block fails")
    assert os.environ["KIT_SET"] == "before" and "KIT_UNSET" not in os.environ
    assert os.environ["KIT_REMOVED"] == "still here"


def test_path_with_python_puts_this_pythons_commands_first(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    with changed_environment(PATH=path_with_python()):
        assert os.environ["PATH"].split(os.pathsep) == [str(Path(sys.executable).parent),
                                                        "/usr/bin"]
    assert os.environ["PATH"] == "/usr/bin"
