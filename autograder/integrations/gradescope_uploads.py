"""What a student uploaded to Gradescope: the assignment's notebooks among their files.

Students upload what their browser saved: `01-gradients (1).ipynb`, a changed capital,
a notebook inside a folder or a .zip. A notebook is found, in this order:
  1. by its exact name, anywhere (the shallowest first);
  2. by its name as browsers and people change it: case, a ` (1)` or ` copy` suffix,
     `-`, `_` and spaces taken as one;
  3. by content, as cell_matching does for cells: the uploaded notebook that holds the
     most of its nbgrader cell ids (grade_id);
  4. one notebook asked for and one uploaded: it is that one.
Then those still missing are looked for in an uploaded .zip, by the same rules. When
one is missing, `describe_uploads` names the files that were found, for the student.

Every upload is hostile: folders are never entered through a link, at most
MAX_UPLOAD_DEPTH deep and MAX_UPLOAD_ENTRIES entries; files are read through safe_read
(no link followed, bounded); a .zip is never extracted to disk.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from autograder.pipeline.safe_read import MAX_NOTEBOOK_BYTES, Refused, read_student_file

MAX_UPLOAD_DEPTH = 8  # folders below ROOT/submission searched for notebooks
MAX_UPLOAD_ENTRIES = 10_000  # entries looked at there (and members of an uploaded zip)
MAX_ZIP_BYTES = 256 * 1024 * 1024
MAX_SNIFFED = 20  # uploaded notebooks read to match by content
SNIFF_BYTES = 20 * 1024 * 1024  # read of each (a notebook with huge outputs is skipped)
_SKIP = ("__MACOSX", ".ipynb_checkpoints")
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-?\s*copy(\s*\(?\d+\)?)?)+$", re.IGNORECASE)


def loose_name(name: str) -> str:
    """NAME as its owner would still call it: `01-Gradients (1).ipynb` -> `01 gradients`."""
    stem = name[:-len(".ipynb")] if name.lower().endswith(".ipynb") else name
    stem = _COPY_SUFFIX.sub("", stem.strip())
    return re.sub(r"[\s_-]+", " ", stem).strip().lower()


def match_names(wanted: list[str], names: list[str]) -> dict[str, int]:
    """Wanted name -> index into NAMES (in order of preference), by exact then loose name."""
    found: dict[str, int] = {}
    for rule in (lambda n: n, loose_name):
        taken = set(found.values())
        for name in wanted:
            if name in found:
                continue
            key = rule(name)
            hit = next((i for i, n in enumerate(names) if i not in taken and rule(n) == key),
                       None)
            if hit is not None:
                found[name] = hit
                taken.add(hit)
    return found


def grade_ids(data: bytes) -> set[str]:
    """The nbgrader cell ids of a notebook's bytes; none when it is not a notebook."""
    try:
        cells = json.loads(data).get("cells", [])
        return {str(c["metadata"]["nbgrader"]["grade_id"]) for c in cells
                if isinstance(c, dict) and isinstance(c.get("metadata"), dict)
                and isinstance(c["metadata"].get("nbgrader"), dict)
                and "grade_id" in c["metadata"]["nbgrader"]}
    except (ValueError, AttributeError, TypeError, RecursionError):
        return set()


def match_contents(wanted: Mapping[str, set[str]], candidates: list[bytes | None]
                   ) -> dict[str, int]:
    """Wanted name -> index of the candidate holding most of its grade_ids (at least one)."""
    ids = [grade_ids(c) if c is not None else set() for c in candidates]
    found: dict[str, int] = {}
    pairs = sorted(((len(ids[i] & cells), name, i) for name, cells in wanted.items()
                    for i in range(len(ids))), key=lambda p: (-p[0], p[1], p[2]))
    for shared, name, i in pairs:
        if shared and name not in found and i not in found.values():
            found[name] = i
    return found


def _match(wanted: list[str], names: list[str], cells: Mapping[str, set[str]],
           read: Callable[[int], bytes | None]) -> dict[str, int]:
    found = match_names(wanted, names)
    rest = [n for n in wanted if n not in found]
    free = [i for i in range(len(names)) if i not in found.values()][:MAX_SNIFFED]
    if rest and free and cells:
        by_content = match_contents({n: cells.get(n, set()) for n in rest},
                                    [read(i) for i in free])
        found.update({name: free[k] for name, k in by_content.items()})
    if len(wanted) == 1 and not found and len(names) == 1:
        found[wanted[0]] = 0  # one notebook asked for, one uploaded: it is that one
    return found


def find_notebooks(submission: Path, files: list[str],
                   cells: Mapping[str, set[str]] | None = None) -> dict[str, Path]:
    """Where each expected notebook is among the uploaded files. CELLS: each expected
    notebook's grade_ids, to match by content those not found by name. An entry that is
    not a regular file is found all the same, so that reading it refuses it with a
    reason (safe_read)."""
    uploaded = sorted((p for p in _walk(submission) if p.name.lower().endswith(".ipynb")),
                      key=lambda p: (len(p.parts), str(p)))

    def sniff(i: int) -> bytes | None:
        try:
            return read_student_file(uploaded[i], limit=SNIFF_BYTES,
                                     untrusted=len(uploaded[i].relative_to(submission).parts))
        except Refused:
            return None

    found = _match(files, [p.name for p in uploaded], cells or {}, sniff)
    return {name: uploaded[i] for name, i in found.items()}


def _walk(top: Path) -> list[Path]:
    entries: list[Path] = []
    for folder, dirs, names in os.walk(top, followlinks=False):
        depth = len(Path(folder).relative_to(top).parts)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP) if depth < MAX_UPLOAD_DEPTH else []
        # a link to a folder is listed in dirs but not entered: it is an entry too
        entries += [Path(folder) / n for n in sorted(names) + dirs]
        if len(entries) > MAX_UPLOAD_ENTRIES:
            break
    return sorted(entries[:MAX_UPLOAD_ENTRIES])


def describe_uploads(submission: Path, limit: int = 12) -> str:
    """The files the student uploaded, for a message about a notebook that is missing."""
    names = [p.relative_to(submission).as_posix() for p in _walk(submission)
             if not p.is_dir() or p.is_symlink()]
    if not names:
        return "no files were uploaded"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return "the files uploaded are " + ", ".join(names[:limit]) + more


def collect_uploads(submission: Path, files: list[str],
                    cells: Mapping[str, set[str]] | None = None
                    ) -> dict[str, bytes | Refused]:
    """The expected notebooks among the uploads, read safely; those not found loose are
    looked for inside an uploaded .zip (never extracted to disk: only the members that
    match are read, bounded; a link inside the zip is refused)."""
    got: dict[str, bytes | Refused] = {}
    for name, path in find_notebooks(submission, files, cells).items():
        depth = len(path.relative_to(submission).parts)
        try:
            data = read_student_file(path, untrusted=depth)
        except Refused as exc:
            got[name] = exc
            continue
        if data is not None:
            got[name] = data
    missing = [f for f in files if f not in got]
    for archive in (p for p in _walk(submission) if p.suffix.lower() == ".zip"):
        if not missing:
            break
        for name, item in _from_zip(submission, archive, missing, cells or {}).items():
            got[name] = item
            missing.remove(name)
    return got


def _from_zip(submission: Path, archive: Path, wanted: list[str],
              cells: Mapping[str, set[str]]) -> dict[str, bytes | Refused]:
    try:
        data = read_student_file(archive, limit=MAX_ZIP_BYTES,
                                 untrusted=len(archive.relative_to(submission).parts))
        zf = zipfile.ZipFile(io.BytesIO(data or b""))
    except (Refused, zipfile.BadZipFile, OSError, ValueError):
        return {}  # not a zip we can read: its notebooks count as not submitted
    with zf:
        members = [i for i in zf.infolist()[:MAX_UPLOAD_ENTRIES] if not i.is_dir()
                   and i.filename.lower().endswith(".ipynb")
                   and not set(PurePosixPath(i.filename).parts) & set(_SKIP)]
        members.sort(key=lambda i: (len(PurePosixPath(i.filename).parts), i.filename))

        def sniff(i: int) -> bytes | None:
            item = _zip_member(zf, members[i], archive.name, SNIFF_BYTES)
            return None if isinstance(item, Refused) else item

        found = _match(wanted, [PurePosixPath(i.filename).name for i in members], cells, sniff)
        return {name: _zip_member(zf, members[i], archive.name)
                for name, i in found.items()}


def _zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str,
                limit: int | None = None) -> bytes | Refused:
    limit = MAX_NOTEBOOK_BYTES if limit is None else limit
    kind = (info.external_attr >> 16) & 0o170000
    where = f"{info.filename} in {archive}"
    if kind and kind != 0o100000:  # a link (0o120000) or another special entry
        what = "a symbolic link" if kind == 0o120000 else "not a regular file"
        return Refused(f"{where} is {what}; links are never followed, so it counts zero: "
                       "put the notebook file itself in the zip")
    try:
        with zf.open(info) as member:  # bounded by what is read, not by the header's size
            data = member.read(limit + 1)
    except (RuntimeError, zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return Refused(f"{where} could not be read from the zip ({exc}); upload the notebook")
    if len(data) > limit:
        return Refused(f"{where} is more than {limit / 2**20:.0f} MB; clear the "
                       "outputs and resubmit")
    return data
