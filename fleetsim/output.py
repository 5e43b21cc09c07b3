"""Where results go, and the rules that keep a user's files safe.

Every command that writes goes through :func:`write_folder` (a folder of tables) or
:func:`write_file` (one file, the HTML report). The rules:

- **fleetsim replaces only what it wrote.** A folder it writes carries a marker file
  (:data:`MARKER`) listing its files. An existing folder is replaced only if it is empty or carries
  the marker and holds nothing else; a file only if fleetsim wrote it (``is_ours``). Otherwise the
  write stops with an :class:`~fleetsim.errors.OutputError` naming the path and ``--overwrite``.
- **Inputs are never touched**, even with ``overwrite``: the scenario, every file it ``extends``
  and every schedule file it reads (``protect``), and the current folder or any folder holding it.
- **All or nothing.** Files are written into a temporary sibling, then swapped in with two
  renames while SIGINT and SIGTERM are held back and other fleetsim writers of the same parent
  folder wait (an advisory lock); if the second rename fails, the first is undone. No failure
  leaves a temporary folder or file behind, and the previous output stays as it was.
- Folders and files get the user's umask (``0o777 & ~umask``, ``0o666 & ~umask``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from fleetsim import interrupts
from fleetsim.errors import OutputError

MARKER = ".fleetsim-output.json"
"""The file that says fleetsim wrote a folder, and which files it wrote there."""

_SAFE = re.compile(r"[^A-Za-z0-9._+()\- ]")


def default_folder(name: str, suffix: str = "") -> Path:
    """``out/<name><suffix>``: a scenario's name picks a folder *inside* ``out/``, never a path.

    Anything but letters, digits and ``._+()-`` and space becomes ``_``, and leading dots go, so
    ``../../x`` or ``/abs/victim`` cannot leave ``out/``.
    """
    component = _SAFE.sub("_", f"{name}{suffix}").lstrip(". ")[:120] or "scenario"
    return Path("out") / component


def _listed(folder: Path) -> set[str] | None:
    """The files ``folder``'s marker says fleetsim wrote there; None without a readable marker."""
    try:
        return set(json.loads((folder / MARKER).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def written_files(folder: str | Path) -> list[str]:
    """The files fleetsim wrote into ``folder`` (as its marker lists them), sorted."""
    listed = _listed(Path(folder))
    if listed is None:
        return sorted(p.name for p in Path(folder).iterdir() if p.name != MARKER)
    return sorted(listed)


def umask() -> int:
    """The process's umask (read without changing it for long)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


# ----------------------------------------------------------------------------------------- checks
def _describe(path: Path) -> str:
    return str(path) if str(path) not in ("", ".") else "the current folder"


def _refuse_inputs(target: Path, protect: Iterable[Path], what: str, example: str = "out/run1") -> None:
    """Refuse a target that is, or holds, an input file or the current folder (even with overwrite)."""
    try:
        resolved = target.resolve()
        here = Path.cwd().resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a vanished folder
        raise OutputError(f"cannot use {target} as the {what}: {getattr(exc, 'strerror', None) or exc}") from None
    if resolved == here or resolved in here.parents:
        raise OutputError(f"refusing to replace {_describe(target)} ({resolved}): it is the current folder or "
                          f"holds it; choose a new {what} with -o, for example -o {example}")
    for path in protect:
        try:
            source = Path(path).resolve()
        except (OSError, RuntimeError):
            continue
        if source == resolved or resolved in source.parents:
            raise OutputError(f"refusing to write the {what} {target}: it {'is' if source == resolved else 'holds'} "
                              f"{path}, an input of this run; fleetsim never replaces its inputs, even with "
                              f"--overwrite: choose another path with -o, for example -o {example}")


def _foreign(folder: Path) -> list[str]:
    """Names in ``folder`` that fleetsim did not write there (all of them without a valid marker)."""
    names = sorted(p.name for p in folder.iterdir())
    listed = _listed(folder)
    if listed is None:
        return names
    return [n for n in names if n != MARKER and n not in listed]


def check_folder(target: str | Path, *, overwrite: bool = False, protect: Iterable[Path] = (),
                 what: str = "output folder") -> Path:
    """Refuse, before any work, a folder that :func:`write_folder` would refuse (read under the
    parent's lock, so another fleetsim's swap of the same folder is never seen half-done)."""
    with _locked(Path(_as_path(target, what)).parent):
        return _check_folder(target, overwrite=overwrite, protect=protect, what=what)


def _check_folder(target: str | Path, *, overwrite: bool = False, protect: Iterable[Path] = (),
                  what: str = "output folder") -> Path:
    target = _as_path(target, what)
    _refuse_inputs(target, protect, what)
    if target.is_symlink():
        raise OutputError(f"cannot replace the {what} {target}: it is a symbolic link; give the folder it points "
                          f"to ({os.path.realpath(target)}) or a new one with -o")
    blocker = next((p for p in (target, *target.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OutputError(f"cannot write to the {what} {target}: {blocker} is a file, not a folder; "
                          "choose a folder with -o, for example -o out/run1")
    if target.is_dir() and not overwrite:
        try:
            foreign = _foreign(target)
        except OSError as exc:
            raise OutputError(f"cannot read the {what} {target}: {exc.strerror or exc}") from None
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise OutputError(f"the {what} {target} already exists and holds files fleetsim did not write "
                              f"({shown}); fleetsim replaces only folders it wrote. Choose a new folder with -o, "
                              f"or add --overwrite to replace {target} and delete what it holds")
    return target


def _as_path(target: str | Path, what: str) -> Path:
    text = os.fspath(target)
    if not text.strip():
        raise OutputError(f"the {what} is empty; give one with -o, for example -o out/run1")
    if "\0" in text:
        raise OutputError(f"the {what} {text!r} contains a NUL byte; give a plain path with -o, for example "
                          "-o out/run1")
    if any(len(part.encode()) > 255 for part in Path(text).parts):
        raise OutputError(f"the {what} {text[:60]!r}... has a name longer than 255 bytes, which no file system "
                          "allows; give a shorter path with -o, for example -o out/run1")
    return Path(text)


# ----------------------------------------------------------------------------------------- writing
@contextlib.contextmanager
def _held_signals() -> Iterator[None]:
    """Defer SIGINT and SIGTERM until the block is done, so a swap is never cut in half.

    The Python-level handlers are swapped for one that only records the signal; on leaving, the
    real handlers are put back and each deferred signal is raised again through them. (A thread
    signal mask would not do: the process may have other threads that take the signal.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {signum: signal.signal(signum, lambda number, frame: pending.append(number))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)


@contextlib.contextmanager
def _locked(parent: Path) -> Iterator[None]:
    """An advisory lock on ``parent`` (the folder itself, so no lock file is left behind); nothing
    when ``parent`` is not an existing folder."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        descriptor = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except (OSError, ValueError):  # not there yet (it is created when writing), or not a folder
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _temporary_folder(parent: Path, name: str, what: str, target: Path) -> Path:
    try:
        parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{name[:80]}.tmp-", dir=parent))
        os.chmod(folder, 0o777 & ~umask())
    except OSError as exc:
        raise OutputError(f"cannot write to the {what} {target}: {exc.strerror or exc}; "
                          "choose a writable folder with -o, for example -o out/run1") from None
    return folder


def _swap(temporary: Path, target: Path) -> None:
    """Move ``temporary`` to ``target``, keeping the old ``target`` until the move succeeds."""
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name[:80]}.old-{secrets.token_hex(4)}")
        os.rename(target, backup)
    try:
        os.rename(temporary, target)
    except BaseException:
        if backup is not None:
            os.rename(backup, target)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def write_folder(target: str | Path, write: Callable[[Path], None], *, overwrite: bool = False,
                 protect: Iterable[Path] = (), what: str = "output folder") -> Path:
    """Fill a temporary sibling folder with ``write``, mark it, then swap it in for ``target``.

    Raises :class:`~fleetsim.errors.OutputError` (nothing changed) when the rules in this module's
    docstring refuse ``target``, or when writing fails.
    """
    protect = tuple(protect)
    target = check_folder(target, overwrite=overwrite, protect=protect, what=what)
    parent = target.parent
    temporary = _temporary_folder(parent, target.name, what, target)
    try:
        write(temporary)
        names = sorted(p.name for p in temporary.iterdir())
        (temporary / MARKER).write_text(json.dumps({"written_by": "fleetsim", "files": names}, indent=1) + "\n",
                                        encoding="utf-8")
        interrupts.raise_if_interrupted()
        with _locked(parent), _held_signals():
            _check_folder(target, overwrite=overwrite, protect=protect, what=what)  # again, under the lock
            _swap(temporary, target)
            interrupts.wrote(target)
    except OSError as exc:
        raise OutputError(_failure(target, exc, what)) from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def _failure(target: Path, exc: OSError, what: str) -> str:
    import errno

    if exc.errno in (errno.EBUSY, errno.EXDEV):
        return (f"cannot replace the {what} {target}: it is a mount point or in use ({exc.strerror}); "
                f"write into a new folder inside it, for example -o {target / 'run1'}")
    return f"cannot write the {what} {target}: {exc.strerror or exc}; nothing was changed"


def write_file(target: str | Path, data: bytes, *, is_ours: Callable[[bytes], bool], overwrite: bool = False,
               protect: Iterable[Path] = (), what: str = "file", example: str = "out/report.html") -> Path:
    """Write ``data`` to ``target`` through a temporary sibling file and a rename.

    An existing ``target`` is replaced only when ``is_ours(its first 64 KB)`` or ``overwrite``; an
    input (``protect``) never.
    """
    target = check_file(target, is_ours=is_ours, overwrite=overwrite, protect=protect, what=what, example=example)
    parent = target.parent
    temporary = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name[:80]}.", suffix=".tmp", dir=parent)
        temporary = Path(name)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o666 & ~umask())
        interrupts.raise_if_interrupted()
        with _locked(parent), _held_signals():
            _check_file(target, is_ours=is_ours, overwrite=overwrite, protect=protect, what=what, example=example)
            os.replace(temporary, target)
            temporary = None
            interrupts.wrote(target)
    except OSError as exc:
        raise OutputError(f"cannot write the {what} {target}: {exc.strerror or exc}; choose a writable place "
                          f"with -o, for example -o {example}") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    return target


def check_file(target: str | Path, *, is_ours: Callable[[bytes], bool], overwrite: bool = False,
               protect: Iterable[Path] = (), what: str = "file", example: str = "out/report.html") -> Path:
    """Refuse, before any work, a file path that :func:`write_file` would refuse (read under the
    parent's lock, as :func:`check_folder`)."""
    with _locked(Path(_as_path(target, what)).parent):
        return _check_file(target, is_ours=is_ours, overwrite=overwrite, protect=protect, what=what,
                           example=example)


def _check_file(target: str | Path, *, is_ours: Callable[[bytes], bool], overwrite: bool = False,
                protect: Iterable[Path] = (), what: str = "file", example: str = "out/report.html") -> Path:
    target = _as_path(target, what)
    _refuse_inputs(target, protect, what, example)
    if target.is_dir():
        raise OutputError(f"cannot write the {what} to {target}: it is a folder; give a file name, for example "
                          f"-o {target / Path(example).name}")
    blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OutputError(f"cannot write the {what} {target}: {blocker} is a file, not a folder; "
                          f"choose another path with -o, for example -o {example}")
    if target.exists() and not overwrite:
        try:
            with open(target, "rb") as file:
                head = file.read(65536)
        except OSError as exc:
            raise OutputError(f"cannot read the existing {what} {target}: {exc.strerror or exc}") from None
        if not target.is_file() or not is_ours(head):
            raise OutputError(f"{target} already exists and fleetsim did not write it; fleetsim replaces only "
                              f"files it wrote. Choose a new name with -o, for example -o {example}, or add "
                              f"--overwrite to replace {target}")
    return target
