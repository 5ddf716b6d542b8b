"""The one module that writes ledger files: the closed-books file and its include line.

Every write is atomic (a temporary file beside the target, then a rename), and
a group of writes is all or nothing: if any fails, the files written so far get
their old bytes back. Files are bytes, never decoded. A write never damages what
makes the file the user's: it writes through symbolic links, keeps permissions
and owner, keeps hard links (by rewriting in place behind a complete fsynced
copy), refuses a read-only file, and removes the temporaries a killed run left.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from beancount.core.data import Custom, Directive, Transaction
from beancount.parser import parser, printer
from beancount.parser.grammar import ValueType

from beancount_revrec.close import CLOSE, CLOSE_NOTE
from beancount_revrec.directives import is_custom
from beancount_revrec.locks import LOCKED
from beancount_revrec.meta import KEY, is_generated

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


def closed_books_text(directives: Iterable[Any]) -> str:
    """The closed-books file: its header, then its directives as ``directives_text`` writes them."""
    return HEADER + directives_text(directives)


def directives_text(directives: Iterable[Any]) -> str:
    """Directives in date order, each after a blank line but for the locks of one date, which stay together.

    On one date: directives someone added by hand (in their order), then the
    frozen entries by key, the locks by account, and the close.
    """
    parts: list[str] = []
    previous = None
    for entry in sorted(directives, key=_order):
        if not (is_custom(entry, LOCKED) and is_custom(previous, LOCKED)):  # the locks of one date stay together
            parts.append("\n")
        parts.append(printer.format_entry(entry))
        previous = entry
    return "".join(parts)


def _order(entry: Directive) -> tuple[datetime.date, int, str, int]:
    if isinstance(entry, Transaction) and is_generated(entry.meta):
        return entry.date, 1, str(entry.meta.get(KEY)), 0
    if isinstance(entry, Custom) and entry.type in (LOCKED, CLOSE):
        return entry.date, 2 if entry.type == LOCKED else 3, printer.format_entry(entry), 0
    return entry.date, 0, "", int(entry.meta.get("lineno", 0))


def close_directive(day: datetime.date) -> Custom:
    """The close written by ``bean-revrec close``; its note keeps the file loadable on its own."""
    return Custom({"filename": "<bean-revrec>", "lineno": 0}, day, CLOSE, [ValueType(CLOSE_NOTE, str)])


_NOT_KEPT = re.compile(r"^(include|option|plugin|pushtag|poptag|pushmeta|popmeta)\b")


def closed_books_directives(path: Path) -> list[Any]:
    """The directives written in an existing closed-books file, so that a rewrite keeps every one.

    Raises:
        WriteRefusedError: the file holds a line a rewrite could not keep (an
            ``include``, an ``option``, a syntax error); the message names it.
    """
    data = path.read_bytes()
    for lineno, line in enumerate(decode_ledger(data).splitlines(), start=1):
        found = _NOT_KEPT.match(line)
        if found:
            raise WriteRefusedError(f"{path}:{lineno}: bean-revrec rewrites this file and cannot keep its "
                                    f"{found.group(1)} line: move it to the main ledger file, then run the "
                                    "command again")
    entries, errors, _ = parser.parse_string(data, report_filename=str(path))
    if errors:
        source = errors[0].source or {}
        raise WriteRefusedError(f"{path}:{source.get('lineno')}: {errors[0].message}: bean-revrec rewrites this "
                                "file and would lose what it cannot read; fix that line first")
    return list(entries)


_INCLUDE = re.compile(r'^\s*include\s+"([^"]+)"', re.MULTILINE)


def with_include(main_text: str, main: Path, closed: Path) -> str | None:
    """``main_text`` with an include of ``closed`` appended, or None if it already has one."""
    target = closed.resolve()
    for match in _INCLUDE.finditer(main_text):
        if (main.parent / match.group(1)).resolve() == target:
            return None
    relative = os.path.relpath(closed.absolute(), main.parent.absolute())  # as Beancount reads it: links unresolved
    separator = "" if not main_text or main_text.endswith("\n") else "\n"
    return f'{main_text}{separator}\ninclude "{relative}"\n'


class WriteRefusedError(OSError):
    """A file cannot be written without damage; nothing was written. The message says what to do."""


def decode_ledger(data: bytes) -> str:
    """A ledger file's bytes as text; bytes that are not UTF-8 survive ``encode_ledger`` unchanged."""
    return data.decode("utf-8", errors="surrogateescape")


def encode_ledger(text: str) -> bytes:
    """Text from ``decode_ledger`` (with lines added) back to bytes, the original bytes byte for byte."""
    return text.encode("utf-8", errors="surrogateescape")


def replace_files(contents: dict[Path, bytes]) -> dict[Path, bytes | None]:
    """Write every file, each atomically, all or nothing, without damaging any.

    A symbolic link is written through (the file it points to gets the bytes, the link stays a
    link); a file keeps its permissions and, where the process may set them, its owner and group,
    and a new file gets the mode ``open(path, "w")`` would give it; a file with several hard links
    is rewritten in place, so every name sees the change. Every file is checked before the first
    is written: a read-only one is refused and nothing is written.

    Returns:
        The previous bytes of each file (None where it did not exist), for ``restore``.

    Raises:
        WriteRefusedError: a file cannot be written safely (read-only, say); nothing was written.
    """
    targets = {path: _prepare(path) for path in contents}
    previous = {path: _read(target) for path, target in targets.items()}
    done: list[Path] = []
    try:
        for path, data in contents.items():
            _write(targets[path], data)
            done.append(path)
    except BaseException:
        restore({path: previous[path] for path in done})
        raise
    return previous


def restore(previous: dict[Path, bytes | None]) -> None:
    """Put back the files ``replace_files`` changed: every one is tried, then the first failure raised."""
    failures: list[OSError] = []
    for path, data in previous.items():
        try:
            _restore_one(_real_file(path), data)
        except OSError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]


# Temporaries beside the file written: ".NAME.revrec-HEX.tmp" while being written (removable at
# any time: the file itself is untouched until the rename), renamed ".NAME.revrec-HEX.new" while a
# hard-linked file is rewritten in place (then it is the one complete copy of the new bytes).
_TEMPORARY = r"\.{name}\.revrec-[0-9a-f]+\.(tmp|new)"
_MAX_LINKS = 40  # symbolic links followed before giving up, as Linux does


def _restore_one(target: Path, data: bytes | None) -> None:
    if data is not None:
        _write(target, data)
    elif target.exists():
        target.unlink()
        _settle(target.parent)


def _real_file(path: Path) -> Path:
    """The file ``path`` names, following symbolic links (a chain, relative ones from the link's folder)."""
    target = path
    for _ in range(_MAX_LINKS):
        if not target.is_symlink():
            return path if target == path else target.parent.resolve() / target.name
        target = target.parent / target.readlink()
    raise WriteRefusedError(f"{path} is a symbolic link that leads to itself (or through more than {_MAX_LINKS} "
                            "links): point it at the ledger file and run the command again")


def _prepare(path: Path) -> Path:
    """The real file to write for ``path``, checked writable; stale temporaries of it are removed."""
    target = _real_file(path)
    shown = str(target) if target == path else f"{target} (where the link {path} points)"
    if target.exists():
        if not target.is_file():
            raise WriteRefusedError(f"{shown} is not a regular file: give the path of a ledger file")
        if not stat.S_IMODE(target.stat().st_mode) & 0o222:
            raise WriteRefusedError(f"{shown} is read-only: make it writable (chmod u+w {target}) "
                                    "and run the command again")
        if not os.access(target, os.W_OK):
            raise WriteRefusedError(f"{shown} is not writable for this user: run the command as its owner "
                                    "or make it writable for you, then run it again")
    directory = target.parent
    if not directory.is_dir():
        raise WriteRefusedError(f"cannot write {shown}: there is no folder {directory}")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise WriteRefusedError(f"cannot write {shown} safely: its folder {directory} is read-only; make it "
                                f"writable (chmod u+w {directory}) and run the command again")
    _remove_stale_temporaries(target, shown)
    return target


def _remove_stale_temporaries(target: Path, shown: str) -> None:
    """Remove the temporaries of ``target`` a killed run left; only files of our own pattern for it.

    A ``.new`` copy is removed only if ``target`` already has its bytes: otherwise a run was killed
    while rewriting the hard-linked ``target`` in place, and the copy may be the one complete text.
    """
    pattern = re.compile(_TEMPORARY.format(name=re.escape(target.name)))
    for entry in sorted(target.parent.iterdir()):
        match = pattern.fullmatch(entry.name)
        if match is None or entry.is_symlink() or not entry.is_file():
            continue
        if match.group(1) == "new" and (not target.is_file() or target.read_bytes() != entry.read_bytes()):
            raise WriteRefusedError(
                f"an earlier bean-revrec run was interrupted while rewriting {shown} in place; {entry} holds "
                f"the complete text it was writing. Check {target} (if it is damaged, copy {entry} over it: "
                f"cat {entry} > {target}), then delete {entry} and run the command again")
        entry.unlink()


def _read(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


def _write(target: Path, data: bytes) -> None:
    """Write ``data`` to the real file ``target``: atomically, or in place if it has other hard links."""
    try:
        status: os.stat_result | None = target.stat()
    except FileNotFoundError:
        status = None
    if status is not None and status.st_nlink > 1:
        _write_in_place(target, data, status)
    else:
        _write_atomically(target, data, status)


def _write_atomically(target: Path, data: bytes, status: os.stat_result | None) -> None:
    temporary = _temporary_copy(target, data, status)
    try:
        os.replace(temporary, target)  # noqa: PTH105 - tests patch os.replace to simulate a failure
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _settle(target.parent)


def _write_in_place(target: Path, data: bytes, status: os.stat_result) -> None:
    """Rewrite a hard-linked file in place, so that every name keeps naming the one file.

    The new bytes go first to a fsynced copy beside it, renamed ``.new`` once complete: if the
    rewrite is interrupted that copy holds them, and the next run refuses until someone looks. If
    the rewrite fails, the old bytes are written back.
    """
    old = target.read_bytes()
    temporary = _temporary_copy(target, data, status)
    pending = temporary.with_suffix(".new")
    try:
        temporary.rename(pending)
        _sync_directory(target.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        pending.unlink(missing_ok=True)
        raise
    try:
        _overwrite(target, data)
    except BaseException as exc:
        try:
            _overwrite(target, old)
        except OSError as again:
            raise WriteRefusedError(f"{target} could not be rewritten in place ({exc}) nor given its old bytes "
                                    f"back ({again}); {pending} holds its complete new text") from exc
        with contextlib.suppress(OSError):
            pending.unlink()
        raise
    with contextlib.suppress(OSError):  # left behind, it equals the file: the next run removes it
        pending.unlink()
    _settle(target.parent)


def _temporary_copy(target: Path, data: bytes, status: os.stat_result | None) -> Path:
    """A new fsynced file beside ``target`` holding ``data``, with the mode and owner of ``status``.

    Created with mode 0666, so a new file gets exactly what the umask (and a default ACL) make of it.
    """
    temporary = target.with_name(f".{target.name}.revrec-{secrets.token_hex(8)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        try:
            if status is not None:
                _keep_owner(handle, status)
                os.fchmod(handle, stat.S_IMODE(status.st_mode))
            _write_all(handle, data)
            os.fsync(handle)
        finally:
            os.close(handle)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _keep_owner(handle: int, status: os.stat_result) -> None:
    """Give the file the owner and group of ``status``, or the group alone, as far as the process may."""
    try:
        os.fchown(handle, status.st_uid, status.st_gid)
    except PermissionError:
        with contextlib.suppress(PermissionError):
            os.fchown(handle, -1, status.st_gid)


def _overwrite(target: Path, data: bytes) -> None:
    """Rewrite the file's bytes in place (same inode), then fsync."""
    handle = os.open(target, os.O_WRONLY | os.O_CLOEXEC)
    try:
        _write_all(handle, data)
        os.ftruncate(handle, len(data))
        os.fsync(handle)
    finally:
        os.close(handle)


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view):]


def _settle(directory: Path) -> None:
    """Make the rename just done durable, as far as the file system can.

    The file already has its new bytes, whole: a failure here must not report the write as failed
    (it would not be undone). At worst a crash then brings the old file back, whole too.
    """
    with contextlib.suppress(OSError):
        _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make a rename or removal in ``directory`` durable."""
    handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
