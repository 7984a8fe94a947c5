"""Checking the system can render Chinese: a CJK font (else empty boxes) and HarfBuzz subsetting (else seconds per PDF)."""
from __future__ import annotations

import ctypes.util
import logging
import shutil
import subprocess
from functools import lru_cache

log = logging.getLogger(__name__)

INSTALL_HINT = ("请安装中文字体后重启：Debian/Ubuntu 运行 `sudo apt-get install fonts-noto-cjk libharfbuzz-subset0` "
                "(或 `scripts/system-deps.sh`)")


class FontMissing(Exception):
    """No CJK font: certificates would print empty boxes, so none is issued."""


@lru_cache(maxsize=1)
def cjk_families() -> tuple[str, ...]:
    """Installed font families that cover Chinese (fontconfig's `:lang=zh`)."""
    if not shutil.which("fc-list"):
        return ()
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted({name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}))


def has_harfbuzz_subset() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def problem() -> str | None:
    """None when certificates can be rendered, else what to install."""
    if not cjk_families():
        return "未找到中文（CJK）字体，证书会显示为空白方框。" + INSTALL_HINT
    return None


def check_at_start() -> None:
    """Log clearly at start-up what is missing; the platform still starts (issuing refuses)."""
    message = problem()
    if message:
        log.error("certificates: %s", message)
    elif not has_harfbuzz_subset():
        log.warning("certificates: libharfbuzz-subset0 is not installed; each PDF will take seconds "
                    "(WeasyPrint falls back to fontTools). Install it: sudo apt-get install libharfbuzz-subset0")


def require() -> None:
    message = problem()
    if message:
        raise FontMissing(message)


@lru_cache(maxsize=4096)
def _covered(char: str) -> bool:
    try:
        out = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # cannot tell: do not refuse
    return bool(out.strip())


def uncovered(text: str) -> list[str]:
    """Characters of `text` (e.g. a rare character in a name) that no installed font can draw."""
    return [ch for ch in dict.fromkeys(text) if _rare(ch) and not _covered(ch)]


def _rare(char: str) -> bool:
    # Every CJK font covers the basic block and CJK punctuation; ask fontconfig only about the
    # rest (extension A/B… characters in names), one cached call per character.
    code = ord(char)
    return code > 0x2E7F and not (0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF)
