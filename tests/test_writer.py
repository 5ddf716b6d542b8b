"""The writer never damages a file: ``replace_files`` and ``restore`` on real files, and ``close`` end to end.

Every test works on files in ``tmp_path`` and checks what is on disk afterwards: bytes, mode, owner,
links, inodes, and that no temporary file is left. One test kills a real writing process.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from beancount_revrec.writer import WriteRefusedError, decode_ledger, encode_ledger, replace_files, restore
from tests.conftest import ROOT, assert_one_error_line, invoke, ok, run_tool

OLD = b"2022-01-01 open Assets:Bank\n"
NEW = b"2022-01-01 open Assets:Bank\n2022-01-01 open Income:Sales\n"
NOT_UTF8 = b"; caf\xe9 in Latin-1, a lone \xff and a cut \xe2\x82 sequence\n"


def temporaries(*directories: Path) -> list[str]:
    """Names of the writer's temporary files (and any other dot file) in ``directories``."""
    return sorted(entry.name for directory in directories for entry in directory.iterdir()
                  if entry.name.startswith("."))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[int]:
    """A known umask (0027) for the test, the old one back afterwards."""
    old = os.umask(0o027)
    try:
        yield 0o027
    finally:
        os.umask(old)


def written(path: Path, data: bytes, file_mode: int = 0o644) -> Path:
    path.write_bytes(data)
    path.chmod(file_mode)
    return path


# --- mode and owner ---------------------------------------------------------------------------------


@pytest.mark.parametrize("file_mode", [0o644, 0o640, 0o600, 0o664])
def test_a_rewritten_file_keeps_its_mode_and_owner(tmp_path: Path, file_mode: int):
    path = written(tmp_path / "books.beancount", OLD, file_mode)
    before = path.stat()
    assert replace_files({path: NEW}) == {path: OLD}
    after = path.stat()
    assert path.read_bytes() == NEW
    assert mode(path) == file_mode
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert after.st_ino != before.st_ino  # replaced atomically: a new file took the name
    assert temporaries(tmp_path) == []


def test_owner_and_group_are_kept_where_the_process_may_set_them(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("only root may give a file to another owner")
    path = written(tmp_path / "books.beancount", OLD, 0o640)
    os.chown(path, 1234, 5678)
    replace_files({path: NEW})
    assert (path.stat().st_uid, path.stat().st_gid, mode(path)) == (1234, 5678, 0o640)
    assert path.read_bytes() == NEW


def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path: Path, umask: int):
    path = tmp_path / "books.closed.beancount"
    assert replace_files({path: NEW}) == {path: None}
    assert path.read_bytes() == NEW
    assert mode(path) == 0o666 & ~umask == 0o640
    (tmp_path / "reference").open("w").close()
    assert mode(path) == mode(tmp_path / "reference")
    restore({path: None})
    assert not path.exists()
    assert temporaries(tmp_path) == []


# --- symbolic and hard links ------------------------------------------------------------------------


@pytest.mark.parametrize("chain", ["relative link", "link to a link", "absolute link from another folder"])
def test_a_symlinked_ledger_stays_a_link_and_the_real_file_changes(tmp_path: Path, chain: str):
    (tmp_path / "data").mkdir()
    (tmp_path / "links").mkdir()
    real = written(tmp_path / "data" / "books-2022.beancount", OLD, 0o640)
    inode = real.stat().st_ino
    first = tmp_path / "books.beancount"
    first.symlink_to("data/books-2022.beancount")
    links = {first: "data/books-2022.beancount"}
    if chain == "link to a link":
        second = tmp_path / "links" / "current.beancount"
        second.symlink_to("../books.beancount")
        links[second] = "../books.beancount"
    elif chain == "absolute link from another folder":
        second = tmp_path / "links" / "current.beancount"
        second.symlink_to(real)
        links[second] = str(real)
    path = list(links)[-1]
    assert replace_files({path: NEW}) == {path: OLD}
    for link, target in links.items():
        assert link.is_symlink()
        assert str(link.readlink()) == target
    assert real.read_bytes() == path.read_bytes() == NEW
    assert not real.is_symlink()
    assert mode(real) == 0o640
    assert real.stat().st_ino != inode  # the real file itself was replaced atomically
    assert temporaries(tmp_path, tmp_path / "data", tmp_path / "links") == []
    restore({path: OLD})
    assert all(link.is_symlink() for link in links)
    assert real.read_bytes() == OLD
    assert mode(real) == 0o640


def test_a_dangling_link_gets_its_file_and_restore_removes_only_the_file(tmp_path: Path, umask: int):
    link = tmp_path / "books.closed.beancount"
    link.symlink_to("archive/closed-2022.beancount")
    (tmp_path / "archive").mkdir()
    real = tmp_path / "archive" / "closed-2022.beancount"
    previous = replace_files({link: NEW})
    assert previous == {link: None}
    assert link.is_symlink()
    assert real.read_bytes() == NEW
    assert mode(real) == 0o666 & ~umask
    restore(previous)
    assert link.is_symlink()
    assert not real.exists()


def test_a_link_loop_is_refused(tmp_path: Path):
    (tmp_path / "a.beancount").symlink_to("b.beancount")
    (tmp_path / "b.beancount").symlink_to("a.beancount")
    with pytest.raises(WriteRefusedError, match="leads to itself"):
        replace_files({tmp_path / "a.beancount": NEW})


def test_a_hard_linked_file_keeps_its_inode_and_links(tmp_path: Path):
    (tmp_path / "sync").mkdir()
    path = written(tmp_path / "books.beancount", OLD, 0o640)
    other = tmp_path / "sync" / "books.beancount"
    other.hardlink_to(path)
    before = path.stat()
    assert before.st_nlink == 2
    assert replace_files({path: NEW}) == {path: OLD}
    after = path.stat()
    assert (after.st_ino, after.st_nlink, mode(path)) == (before.st_ino, 2, 0o640)
    assert other.stat().st_ino == before.st_ino
    assert path.read_bytes() == other.read_bytes() == NEW
    assert temporaries(tmp_path, tmp_path / "sync") == []
    restore({path: OLD})  # shorter than NEW: the file is truncated to it
    assert path.read_bytes() == other.read_bytes() == OLD
    assert path.stat().st_ino == before.st_ino


def test_a_failed_rewrite_in_place_puts_the_old_bytes_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = written(tmp_path / "books.beancount", OLD)
    (tmp_path / "other.beancount").hardlink_to(path)
    real_ftruncate = os.ftruncate
    calls: list[int] = []

    def failing_once(handle: int, length: int) -> None:
        calls.append(length)
        if len(calls) == 1:
            raise OSError("No space left on device")
        real_ftruncate(handle, length)

    monkeypatch.setattr(os, "ftruncate", failing_once)
    with pytest.raises(OSError, match="No space left on device"):
        replace_files({path: NEW})
    assert calls == [len(NEW), len(OLD)]
    assert path.read_bytes() == (tmp_path / "other.beancount").read_bytes() == OLD
    assert path.stat().st_nlink == 2
    assert temporaries(tmp_path) == []


# --- refusals: nothing is written ---------------------------------------------------------------------


def test_a_read_only_file_is_refused_and_nothing_is_written(tmp_path: Path):
    closed = tmp_path / "books.closed.beancount"
    path = written(tmp_path / "books.beancount", OLD, 0o444)
    with pytest.raises(WriteRefusedError) as refused:
        replace_files({closed: NEW, path: NEW})  # the read-only file is the second one
    assert isinstance(refused.value, OSError)
    assert str(refused.value) == (f"{path} is read-only: make it writable (chmod u+w {path}) "
                                  "and run the command again")
    assert path.read_bytes() == OLD
    assert mode(path) == 0o444
    assert not closed.exists()
    assert temporaries(tmp_path) == []


def test_a_read_only_file_behind_a_link_is_named(tmp_path: Path):
    real = written(tmp_path / "books-2022.beancount", OLD, 0o444)
    link = tmp_path / "books.beancount"
    link.symlink_to(real.name)
    with pytest.raises(WriteRefusedError, match=r"books-2022\.beancount \(where the link .*books\.beancount points\) "
                                                r"is read-only: make it writable \(chmod u\+w "):
        replace_files({link: NEW})
    assert real.read_bytes() == OLD


def test_a_failure_half_way_gives_the_first_file_its_old_bytes_back(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    real = written(tmp_path / "books-2022.beancount", OLD, 0o640)
    link = tmp_path / "books.beancount"
    link.symlink_to(real.name)
    second = written(tmp_path / "books.closed.beancount", OLD)
    real_replace = os.replace
    targets: list[str] = []

    def failing_second(source: str, target: str) -> None:
        targets.append(Path(target).name)
        if len(targets) == 2:
            raise OSError("No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_second)
    with pytest.raises(OSError, match="No space left on device"):
        replace_files({link: NEW, second: NEW})
    assert targets == ["books-2022.beancount", "books.closed.beancount", "books-2022.beancount"]
    assert link.is_symlink()
    assert real.read_bytes() == second.read_bytes() == OLD
    assert mode(real) == 0o640
    assert temporaries(tmp_path) == []


# --- bytes ----------------------------------------------------------------------------------------------


def test_bytes_that_are_not_utf8_survive_byte_for_byte(tmp_path: Path):
    old = OLD + NOT_UTF8
    path = written(tmp_path / "books.beancount", old)
    new = old + b'\ninclude "books.closed.beancount"\n'
    assert replace_files({path: new}) == {path: old}
    assert path.read_bytes() == new
    every_byte = bytes(range(256)) + NOT_UTF8
    assert encode_ledger(decode_ledger(every_byte)) == every_byte
    assert encode_ledger(decode_ledger(old) + "\nmore\n") == old + b"\nmore\n"


# --- temporaries left by a killed run -------------------------------------------------------------------


def test_stale_temporaries_of_the_target_are_removed_and_nothing_else(tmp_path: Path):
    path = written(tmp_path / "books.beancount", OLD)
    stale = [".books.beancount.revrec-0123abcd.tmp", ".books.beancount.revrec-9f8e7d6c5b4a3921.tmp"]
    kept = [
        ".books.beancount.revrec-0123abcd.tmp.keep",   # not ending as ours
        ".books.beancount.revrec-notours.tmp",         # not our random part
        ".books.beancount.0123abcd.tmp",               # the pattern of older versions, or anybody's
        ".other.beancount.revrec-0123abcd.tmp",        # another file's
        "books.beancount.revrec-0123abcd.tmp",         # not hidden
        ".books.beancount.revrec-0123abcd.tmp~",
        "notes.txt",
    ]
    for name in [*stale, *kept]:
        (tmp_path / name).write_bytes(b"partial")
    (tmp_path / ".books.beancount.revrec-00000000.tmp").mkdir()       # a folder is never ours
    (tmp_path / ".books.beancount.revrec-11111111.tmp").symlink_to("notes.txt")  # nor a link
    replace_files({path: NEW})
    assert path.read_bytes() == NEW
    assert sorted(entry.name for entry in tmp_path.iterdir()) == sorted(
        [*kept, "books.beancount", ".books.beancount.revrec-00000000.tmp", ".books.beancount.revrec-11111111.tmp"])
    assert all((tmp_path / name).read_bytes() == b"partial" for name in kept)


def test_an_interrupted_rewrite_in_place_is_reported_not_removed(tmp_path: Path):
    path = written(tmp_path / "books.beancount", b"2022-01-01 open Assets:Ba")  # damaged half way
    copy = written(tmp_path / ".books.beancount.revrec-0123abcd.new", NEW)
    with pytest.raises(WriteRefusedError) as refused:
        replace_files({path: OLD})
    assert str(refused.value) == (
        f"an earlier bean-revrec run was interrupted while rewriting {path} in place; {copy} holds the complete "
        f"text it was writing. Check {path} (if it is damaged, copy {copy} over it: cat {copy} > {path}), then "
        f"delete {copy} and run the command again")
    assert copy.read_bytes() == NEW
    assert path.read_bytes() == b"2022-01-01 open Assets:Ba"
    # the rewrite had finished when the run was killed: the copy is stale and goes
    path.write_bytes(NEW)
    replace_files({path: OLD})
    assert path.read_bytes() == OLD
    assert temporaries(tmp_path) == []


CHILD = r"""
import os
import sys
import time
from pathlib import Path

from beancount_revrec.writer import replace_files

real_write = os.write


def paused_write(handle, data):
    if sys.argv[2] == "in place" and os.fstat(handle).st_nlink == 1:
        return real_write(handle, data)  # the copy beside the file: written in full
    done = real_write(handle, bytes(data[:65536]))
    print("writing", flush=True)
    time.sleep(600)
    return done


os.write = paused_write
replace_files({Path(sys.argv[1]): b"new text " * 1_000_000})
"""


def killed_while_writing(path: Path, how: str) -> None:
    """Run a process that writes a large payload to ``path`` and kill it (SIGKILL) half way."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), how], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "writing\n"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_a_killed_write_leaves_the_file_whole_and_the_next_write_cleans_up(tmp_path: Path):
    path = written(tmp_path / "books.beancount", OLD + NOT_UTF8, 0o640)
    killed_while_writing(path, "atomic")
    leftover = temporaries(tmp_path)
    assert len(leftover) == 1
    assert leftover[0].startswith(".books.beancount.revrec-")
    assert leftover[0].endswith(".tmp")
    assert 0 < (tmp_path / leftover[0]).stat().st_size < len(b"new text " * 1_000_000)
    assert path.read_bytes() == OLD + NOT_UTF8  # complete, old bytes
    assert mode(path) == 0o640
    assert replace_files({path: NEW}) == {path: OLD + NOT_UTF8}
    assert path.read_bytes() == NEW
    assert temporaries(tmp_path) == []


def test_a_killed_rewrite_in_place_keeps_the_complete_new_text_and_says_so(tmp_path: Path):
    path = written(tmp_path / "books.beancount", OLD)
    other = tmp_path / "other.beancount"
    other.hardlink_to(path)
    killed_while_writing(path, "in place")
    [copy] = temporaries(tmp_path)
    assert copy.endswith(".new")
    assert (tmp_path / copy).read_bytes() == b"new text " * 1_000_000
    assert path.read_bytes() != OLD  # damaged: the one risk of writing in place, and why the copy exists
    with pytest.raises(WriteRefusedError, match="interrupted while rewriting"):
        replace_files({path: NEW})
    # what the message says to do: copy it over, delete it, run again
    path.write_bytes((tmp_path / copy).read_bytes())
    (tmp_path / copy).unlink()
    replace_files({path: NEW})
    assert path.read_bytes() == other.read_bytes() == NEW
    assert path.stat().st_nlink == 2
    assert temporaries(tmp_path) == []


# --- end to end: bean-revrec close and reopen -------------------------------------------------------------

LEDGER = b"""\
option "operating_currency" "USD"
plugin "beancount_revrec"
""" + NOT_UTF8 + b"""
2022-01-01 open Assets:AccountsReceivable
2022-01-01 open Income:Sales

2022-01-01 * "Acme" "Annual licence" ; \xa9 Acme GmbH, M\xfcnchen
  invoice: "in_81"
  Assets:AccountsReceivable   1200.00 USD
  Income:Sales               -1200.00 USD
    service-start: 2022-01-01
    service-end: 2023-01-01
"""


def test_close_through_a_symlinked_ledger_keeps_link_mode_and_bytes(tmp_path: Path, umask: int):
    real = written(tmp_path / "books-2022.beancount", LEDGER, 0o644)
    link = tmp_path / "books.beancount"
    link.symlink_to(real.name)
    closed = tmp_path / "books.closed.beancount"
    assert ok("close", link, "--through", "2022-06-30").startswith("Closed through 2022-06-30: froze ")
    assert link.is_symlink()
    assert str(link.readlink()) == real.name
    assert real.read_bytes() == LEDGER + b'\ninclude "books.closed.beancount"\n'
    assert mode(real) == 0o644
    assert mode(closed) == 0o666 & ~umask
    assert closed.read_bytes().startswith(b"; Closed books")
    assert sorted(entry.name for entry in tmp_path.iterdir()) == [
        "books-2022.beancount", "books.beancount", "books.closed.beancount"]
    for path in (link, real):
        check = run_tool("bean-check", path)
        assert check.returncode == 0, check.stdout + check.stderr
    # reopen rewrites the closed-books file only, keeping its mode
    closed.chmod(0o600)
    ok("reopen", link, "--through", "2022-03-31")
    assert mode(closed) == 0o600
    assert real.read_bytes() == LEDGER + b'\ninclude "books.closed.beancount"\n'
    assert run_tool("bean-check", link).returncode == 0


def test_close_refuses_a_read_only_ledger_in_one_line_and_writes_nothing(tmp_path: Path):
    path = written(tmp_path / "books.beancount", LEDGER, 0o444)
    result = invoke("close", path, "--through", "2022-06-30")
    assert result.exit_code != 0
    assert_one_error_line(result.output, "nothing was written", f"{path} is read-only",
                          f"chmod u+w {path}", "run the command again")
    assert path.read_bytes() == LEDGER
    assert mode(path) == 0o444
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["books.beancount"]
