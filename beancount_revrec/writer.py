"""The one module that writes ledger files: the closed-books file and its include line.

Every write is atomic (a temporary file beside the target, then a rename), and
a group of writes is all or nothing: if any fails, the files written so far get
their old text back.
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from beancount.core.data import Transaction
from beancount.parser import printer

from beancount_revrec.close import CLOSE, KEY

HEADER = """\
; Closed books: revenue recognition entries frozen by `bean-revrec close`.
; Written by beancount_revrec; edit the ledger, not this file, and use
; `bean-revrec reopen` to move the close back.
"""


def default_closed_file(main: Path) -> Path:
    """The closed-books file beside ``main``: ``books.beancount`` -> ``books.closed.beancount``."""
    return main.with_name(main.stem + ".closed" + (main.suffix or ".beancount"))


def is_closed_books(path: Path) -> bool:
    """Whether ``path`` is a closed-books file bean-revrec wrote (it starts with its header)."""
    with path.open(encoding="utf-8", errors="replace") as stream:
        return stream.readline() == HEADER.splitlines(keepends=True)[0]


def closed_books_text(entries: Iterable[Transaction], through: datetime.date) -> str:
    """The closed-books file: the close directive and the frozen entries, by date and key."""
    ordered = sorted(entries, key=lambda entry: (entry.date, str(entry.meta.get(KEY))))
    body = "\n".join(printer.format_entry(entry) for entry in ordered)
    return f'{HEADER}\n{through} custom "{CLOSE}"\n\n{body}'


_INCLUDE = re.compile(r'^\s*include\s+"([^"]+)"', re.MULTILINE)


def with_include(main_text: str, main: Path, closed: Path) -> str | None:
    """``main_text`` with an include of ``closed`` appended, or None if it already has one."""
    target = closed.resolve()
    for match in _INCLUDE.finditer(main_text):
        if (main.parent / match.group(1)).resolve() == target:
            return None
    relative = os.path.relpath(closed.resolve(), main.resolve().parent)
    separator = "" if not main_text or main_text.endswith("\n") else "\n"
    return f'{main_text}{separator}\ninclude "{relative}"\n'


def replace_files(contents: dict[Path, str]) -> dict[Path, str | None]:
    """Write every file atomically, all or nothing.

    Returns:
        The previous text of each file (None where it did not exist), for ``restore``.
    """
    previous = {path: path.read_text(encoding="utf-8") if path.exists() else None for path in contents}
    done: list[Path] = []
    try:
        for path, text in contents.items():
            _write_atomically(path, text)
            done.append(path)
    except BaseException:
        restore({path: previous[path] for path in done})
        raise
    return previous


def restore(previous: dict[Path, str | None]) -> None:
    """Put back the files ``replace_files`` changed."""
    for path, text in previous.items():
        if text is None:
            path.unlink(missing_ok=True)
        else:
            _write_atomically(path, text)


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)  # noqa: PTH105 - tests patch os.replace to simulate a failure
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
