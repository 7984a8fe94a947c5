"""Holders' names as they may appear on paper, on pages and in file names.

A name comes from the users or organizations table, typed by whoever registered: a line break,
a tab or an invisible character (a bidi override) must not reach a PDF, a Content-Disposition
header or a ZIP entry (`incubator.validators.clean_name`).
"""
from __future__ import annotations

import re

from incubator.validators import clean_name

MAX_FILE_NAME = 40  # characters of the holder's name in a file name (the serial comes first)
_UNSAFE_IN_FILES = re.compile(r'[\\/:*?"<>|]')


def file_name(serial: str, holder: str | None, used: set[str] | None = None) -> str:
    """`<serial>-<name>.pdf`, safe as a ZIP entry or a download name: no path separators, no
    "..", no control characters, the name cut to `MAX_FILE_NAME`; unique within `used`."""
    name = _UNSAFE_IN_FILES.sub("_", clean_name(holder))
    while ".." in name:
        name = name.replace("..", "_")
    name = name.strip(" .")[:MAX_FILE_NAME].strip(" .")
    stem = f"{serial}-{name}" if name else serial
    candidate, n = f"{stem}.pdf", 2
    while used is not None and candidate in used:
        candidate, n = f"{stem}-{n}.pdf", n + 1
    if used is not None:
        used.add(candidate)
    return candidate
