"""The guard around loading: what fleetsim reads, and how much of it.

Scenario files, their ``extends`` bases and schedule CSVs are read only through
:func:`read_limited`; YAML text is checked by :func:`check_text` before it is parsed. Together with
the limits enforced while a YAML tree is built (depth, values after alias expansion) and the strict
unit grammar of :mod:`fleetsim.units`, no input can make loading hang, exhaust memory or raise
anything but a located :class:`~fleetsim.errors.ScenarioError`.

The limits (documented in ``docs/scenario-reference.md``, section *Limits*):
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from fleetsim.errors import show

MAX_SCENARIO_BYTES = 16 * 2**20
"""Largest scenario file (or ``extends`` base) read: 16 MiB."""
MAX_CSV_BYTES = 64 * 2**20
"""Largest schedule CSV read: 64 MiB."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists in a scenario (real ones need about 8)."""
MAX_VALUES = 1_000_000
"""Most values (keys, items, scalars) a scenario may hold once YAML aliases are expanded."""
MAX_EXTENDS = 32
"""Longest chain of ``extends`` files."""
MAX_INT_DIGITS = 20
"""Longest integer literal read as an integer; a longer one is read as a float (so its field refuses it
with its own bounds), and one beyond any float is refused at once."""

LIMITS = [
    ("scenario file size", f"{MAX_SCENARIO_BYTES // 2**20} MiB (each file of an `extends` chain)"),
    ("schedule CSV size", f"{MAX_CSV_BYTES // 2**20} MiB"),
    ("nesting depth", f"{MAX_DEPTH} levels of mappings and lists"),
    ("values after YAML aliases are expanded", f"{MAX_VALUES:,}"),
    ("`extends` chain", f"{MAX_EXTENDS} files"),
    ("digits of a whole number read exactly", f"{MAX_INT_DIGITS} (a longer one is read as a float)"),
]
"""The limits as (what, bound) rows, for the documentation."""


class FileRefused(Exception):
    """A file that is not read: ``message`` says why and what to do; ``missing`` if it does not exist."""

    def __init__(self, message: str, missing: bool = False):
        super().__init__(message)
        self.missing = missing


_KINDS = [(stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]


def read_limited(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path`` (``what`` names it in messages: "scenario file").

    Refuses, without blocking, anything but a regular file (folder, FIFO, device, socket) and files
    larger than ``limit`` bytes; never reads more than ``limit + 1`` bytes.
    """
    shown = show(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except ValueError:  # an embedded NUL byte
        raise FileRefused(f"the {what} path {shown!r} contains a NUL byte; give a plain file path") from None
    except FileNotFoundError:
        raise FileRefused(f"{what} not found: {shown}", missing=True) from None
    except IsADirectoryError:
        raise FileRefused(f"{shown} is a folder, not a {what}; give the path of a file inside it") from None
    except OSError as exc:
        raise FileRefused(_os_message(exc, shown, what), missing=exc.errno == errno.ENOTDIR) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileRefused(f"{shown} is a folder, not a {what}; give the path of a file inside it")
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise FileRefused(f"{shown} is {kind}, not a regular file; fleetsim reads a {what} only from "
                                  "a regular file (save the content to a file first)")
        if info.st_size > limit:
            raise FileRefused(_too_large(shown, what, limit))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileRefused(_too_large(shown, what, limit))
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(_os_message(exc, shown, what)) from None
    finally:
        os.close(fd)


def _too_large(shown: str, what: str, limit: int) -> str:
    return (f"{shown} is larger than {limit // 2**20} MiB, the most fleetsim reads as a {what}; "
            "a scenario and its schedules are small text files")


def _os_message(exc: OSError, shown: str, what: str) -> str:
    reason = {errno.ENAMETOOLONG: "the path or one of its names is too long",
              errno.ELOOP: "a symbolic link in the path points back to itself (a loop)",
              errno.ENOTDIR: "a part of the path is a file, not a folder",
              errno.EACCES: "permission denied"}.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return f"cannot read {what} {shown}: {reason}"


_BOMS = [(b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"), (b"\xfe\xff", "UTF-16"),
         (b"\xff\xfe", "UTF-16")]


def text_encoding(raw: bytes) -> str | None:
    """"UTF-16" or "UTF-32" when ``raw`` is text in that encoding (by its BOM, or its NUL pattern)."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    head = raw[:64]
    if len(head) >= 8:
        if all(b == 0 for b in head[1::4] + head[2::4] + head[3::4]) and all(head[0::4]):
            return "UTF-32"
        if all(b == 0 for b in head[0::4] + head[1::4] + head[2::4]) and all(head[3::4]):
            return "UTF-32"
        if all(b == 0 for b in head[1::2]) and all(head[0::2]):
            return "UTF-16"
        if all(b == 0 for b in head[0::2]) and all(head[1::2]):
            return "UTF-16"
    return None


def decode(raw: bytes, what: str) -> tuple[str, int | None, str | None]:
    """``raw`` as text: (text, None, None), or ("", byte offset, message) when it is not UTF-8 text.

    A UTF-8 byte-order mark (Excel's "CSV UTF-8") is dropped; UTF-16 and UTF-32 are named.
    """
    encoding = text_encoding(raw)
    if encoding:
        return "", None, f"the {what} is {encoding} text; save it as UTF-8"
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        return "", raw.index(0), "not a text file (it contains binary data, a NUL byte here)"
    try:
        return raw.decode("utf-8"), None, None
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.end].hex(" ", 1)
        return "", exc.start, f"not UTF-8 text (bad byte {bad} at offset {exc.start}); save the {what} as UTF-8"


def byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and column (in characters) of byte ``offset`` of ``raw``."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1


_ALLOWED_CONTROLS = "\t\n\r"
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
"""The characters :func:`first_control` refuses, as one character class: Unicode's ``Cc`` controls
(U+0000–U+001F, U+007F–U+009F) but tab, line feed, carriage return and U+0085, the ``Cs``
surrogates, U+FFFE and U+FFFF (tests/test_lean_run.py checks it against ``unicodedata`` for every
code point); searched in C, not character by character in Python."""


def first_control(text: str) -> tuple[int, int, str] | None:
    """(line, column, character) of the first character YAML forbids in a file (controls other
    than tab and line breaks, surrogates, U+FFFE/U+FFFF), or None."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    index, ch = found.start(), found.group()
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1, ch


def tree_problem(value: object) -> str | None:
    """Why the plain value ``value`` (an override given in Python) exceeds the nesting or size
    limits of a scenario, or None; walked without recursion and stopping at the first excess."""
    stack, seen = [(value, 0)], 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            return f"the value is nested more than {MAX_DEPTH} levels deep; a scenario needs about 8"
        if seen > MAX_VALUES:
            return f"the value holds more than {MAX_VALUES:,} values; a scenario needs far fewer"
        if isinstance(node, dict):
            stack.extend((item, depth + 1) for item in node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend((item, depth + 1) for item in node)
    return None


def safe_resolve(path: Path) -> Path:
    """``path`` made absolute and resolved where possible (a symlink loop or a NUL byte does not raise)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))
