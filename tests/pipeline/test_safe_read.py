"""Student files are read without following links, only when regular, and bounded."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from autograder.pipeline.load import load_submission
from autograder.pipeline.safe_read import Refused, read_student_file
from tests.conftest import ROOT

SOURCE = ROOT / "source" / "gradient-descent" / "01-gradients.ipynb"
NB = "01-gradients.ipynb"


@pytest.fixture
def submitted(tmp_path: Path) -> Path:
    """submitted/ada/gradient-descent/01-gradients.ipynb, a regular file."""
    folder = tmp_path / "submitted" / "ada" / "gradient-descent"
    folder.mkdir(parents=True)
    (folder / NB).write_bytes(b'{"cells": []}')
    return tmp_path / "submitted"


def _mallory(submitted: Path) -> Path:
    folder = submitted / "mallory" / "gradient-descent"
    folder.mkdir(parents=True)
    return folder


def test_a_regular_file_is_read(submitted):
    assert read_student_file(submitted / "ada" / "gradient-descent" / NB) == b'{"cells": []}'


def test_a_missing_file_or_folder_is_none(submitted):
    assert read_student_file(submitted / "ada" / "gradient-descent" / "02.ipynb") is None
    assert read_student_file(submitted / "nobody" / "gradient-descent" / NB) is None


@pytest.mark.parametrize("target", ["source", "classmate", "dangling"])
def test_a_linked_notebook_is_refused_not_followed(submitted, target):
    link = _mallory(submitted) / NB
    link.symlink_to({"source": SOURCE, "dangling": Path("/nonexistent/x.ipynb"),
                     "classmate": submitted / "ada" / "gradient-descent" / NB}[target])
    with pytest.raises(Refused, match="symbolic link.*submit the file itself"):
        read_student_file(link)
    loaded = load_submission(link)
    assert loaded.notebook is None and loaded.refused and "symbolic link" in loaded.reason


def test_a_linked_student_or_assignment_folder_is_not_followed(submitted):
    (submitted / "mallory").symlink_to(submitted / "ada")
    with pytest.raises(Refused, match="your folder mallory is a symbolic link"):
        read_student_file(submitted / "mallory" / "gradient-descent" / NB)
    (submitted / "eve").mkdir()
    (submitted / "eve" / "gradient-descent").symlink_to(submitted / "ada" / "gradient-descent")
    with pytest.raises(Refused, match="your folder gradient-descent is a symbolic link"):
        read_student_file(submitted / "eve" / "gradient-descent" / NB)


def test_a_fifo_is_refused_without_blocking(submitted):
    fifo = _mallory(submitted) / NB
    os.mkfifo(fifo)
    result: list[BaseException] = []
    reader = threading.Thread(target=lambda: result.append(
        pytest.raises(Refused, read_student_file, fifo).value), daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert "named pipe (FIFO)" in str(result[0])


def test_a_socket_a_folder_and_a_device_are_refused(submitted, monkeypatch):
    folder = _mallory(submitted)
    sock = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(folder)  # a socket's path is limited to 107 bytes: bind it relative
    sock.bind(NB)
    try:
        with pytest.raises(Refused, match="is a socket"):
            read_student_file(folder / NB)
    finally:
        sock.close()
    (folder / "02-seven-steps.ipynb").mkdir()
    with pytest.raises(Refused, match="is a folder"):
        read_student_file(folder / "02-seven-steps.ipynb")
    if os.geteuid() == 0:  # only root may make a device node
        os.mknod(folder / "03.ipynb", 0o600 | 0o020000, os.makedev(1, 3))  # like /dev/null
        with pytest.raises(Refused, match="is a device"):
            read_student_file(folder / "03.ipynb")


def test_reads_are_bounded(submitted):
    path = submitted / "ada" / "gradient-descent" / NB
    path.write_bytes(b"x" * 5000)
    assert len(read_student_file(path, limit=5000)) == 5000
    with pytest.raises(Refused, match="more than"):
        read_student_file(path, limit=4999)


def test_only_the_students_part_of_the_path_is_untrusted(tmp_path):
    """The instructor's own folders may be links (e.g. submitted/ on another disk)."""
    real = tmp_path / "disk" / "submitted" / "ada" / "gradient-descent"
    real.mkdir(parents=True)
    (real / NB).write_bytes(b"{}")
    (tmp_path / "submitted").symlink_to(tmp_path / "disk" / "submitted")
    assert read_student_file(tmp_path / "submitted" / "ada" / "gradient-descent" / NB) == b"{}"
    link = tmp_path / "nb.ipynb"
    link.symlink_to(real / NB)
    with pytest.raises(Refused):
        read_student_file(link, untrusted=1)
