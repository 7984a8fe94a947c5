"""What a certificate shows besides its words: the seal (证书专用章) drawn as an image, the QR code of
its verification address, and the only fetcher WeasyPrint may use to load them."""
from __future__ import annotations

import hashlib
import io
import math
from functools import lru_cache

import zxingcpp
from markupsafe import Markup


def seal(text: str, star: str = "★", footer: str = "证书专用章", size_mm: int = 40) -> Markup:
    """A red round seal (公章 style): `text` along the upper arc, a star in the middle, as an <img>."""
    return Markup(f'<img class="seal" src="{seal_url(text, star, footer)}" alt="" '
                  f'style="position:absolute;width:{size_mm}mm;height:{size_mm}mm">')


def seal_url(text: str, star: str = "★", footer: str = "证书专用章") -> str:
    """The seal's image as a URL for CSS (`background-image: url(...)`): no box to lay out.

    A PNG drawn once per text with Pillow and cached: every page of a document shows the same
    image, which WeasyPrint embeds once. (Drawn as SVG or rotated CSS letters, the seal cost
    15–30 ms per page, a third of a batch's time.) 600 px for 40 mm is print quality (380 dpi).
    """
    return image_url(_seal_png(text, star, footer))


@lru_cache(maxsize=64)
def _seal_png(text: str, star: str, footer: str, px: int = 600) -> str:
    from PIL import Image, ImageDraw, ImageFont
    # Drawn as an alpha mask over one flat red, with few alpha levels: ~20 KB instead of ~80 KB.
    mask = Image.new("L", (px, px), 0)
    draw = ImageDraw.Draw(mask)
    ring = round(px * 0.028)
    draw.ellipse([ring // 2, ring // 2, px - ring // 2, px - ring // 2], outline=255, width=ring)
    inner = round(px * 0.045)
    draw.ellipse([inner, inner, px - inner, px - inner], outline=255, width=max(2, ring // 4))
    path, index = _font_file()
    chars = list(text) or [" "]
    n = len(chars)
    span = min(240.0, 21.0 * n)
    step = span / max(n - 1, 1)
    size = round(px * (0.125 if n <= 12 else 0.10))
    font = ImageFont.truetype(path, size, index=index)
    radius = px / 2 - inner - size * 0.75
    for i, ch in enumerate(chars):
        angle = -span / 2 + i * step  # degrees clockwise from the top
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size, size), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.BICUBIC)
        x = px / 2 + radius * math.sin(math.radians(angle))
        y = px / 2 - radius * math.cos(math.radians(angle))
        mask.paste(255, (round(x - size), round(y - size)), glyph)
    if star:  # a five-pointed star
        cx, cy, outer = px / 2, px / 2 + px * 0.01, px * 0.16
        draw.polygon([(cx + (outer if k % 2 == 0 else outer * 0.382) * math.sin(math.radians(36 * k)),
                       cy - (outer if k % 2 == 0 else outer * 0.382) * math.cos(math.radians(36 * k)))
                      for k in range(10)], fill=255)
    draw.text((px / 2, px * 0.76), footer, font=ImageFont.truetype(path, round(px * 0.07), index=index),
              fill=255, anchor="mm")
    mask = mask.point(lambda v: 255 if v > 223 else (v // 64) * 64)
    image = Image.new("RGBA", (px, px), (200, 16, 46, 0))
    image.putalpha(mask.point(lambda v: v * 200 // 255))  # ink, not paint: the text beneath shows through
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _font_file() -> tuple[str, int]:
    """The file (and index in a .ttc collection) of the CJK serif font fontconfig picks."""
    import subprocess
    out = subprocess.run(["fc-match", "-f", "%{file}|%{index}", "Noto Serif CJK SC:lang=zh-cn"],
                         capture_output=True, text=True, timeout=20).stdout
    path, _, index = out.partition("|")
    return path, int(index or 0)


def qr_url(url: str) -> str:
    """The verification link as a QR code: a one-pixel-per-module PNG (under 1 KB), by URL.

    (An SVG QR code is a path WeasyPrint parses on every page, ~30 ms each.) Drawn crisp with
    `image-rendering: pixelated`. The PNG is made only when WeasyPrint loads it: a batch's fast
    path (overlay.py) draws most QR codes as vectors instead (`QRDrawing`).
    """
    key = "qr-" + hashlib.sha1(url.encode()).hexdigest()
    if key not in _IMAGES:
        _IMAGES[key] = lambda: _qr_png(url)
        _QR_LINKS[key] = url
    return _SCHEME + key


def qr_link(image_url: str) -> str | None:
    """The link a `qr_url` encodes (None for another image)."""
    return _QR_LINKS.get(image_url.removeprefix(_SCHEME))


def qr_modules(url: str) -> tuple[int, bytes]:
    """The QR code's size in modules and its modules row by row, 0 dark and 255 light, without the
    quiet zone (error correction M). zxing-cpp encodes in C++: ≈ 0.2 ms, where segno (pure Python)
    took ≈ 1 ms, a fifth of a batch certificate's rendering."""
    symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
        scale=1, add_quiet_zones=False)
    size, _width = memoryview(symbol).shape
    return size, bytes(memoryview(symbol))


def _qr_png(url: str) -> bytes:
    from PIL import Image
    size, modules = qr_modules(url)
    buffer = io.BytesIO()
    Image.frombytes("L", (size, size), modules).convert("1").save(buffer, "PNG")
    return buffer.getvalue()


class QRDrawing:
    """A QR code drawn as an inline 1-bit image of the content stream, in place of its PNG (for
    WeasyPrint's replaced boxes: the same size as the image it replaces, not interpolated, as
    `image-rendering: pixelated` draws the PNG): no image object, no PNG to encode or decode."""

    def __init__(self, url: str, image):
        from PIL import Image
        size, modules = qr_modules(url)
        self.size, self.image = size, image
        self.bits = Image.frombytes("L", (size, size), modules).convert("1").tobytes()  # 1 = light

    def get_intrinsic_size(self, *args):
        return self.image.get_intrinsic_size(*args)

    def draw(self, stream, width, height, style):
        stream.transform(width, 0, 0, -height, 0, height)
        # ASCIIHex-encoded: binary data could hold "EI", which would end the image early.
        stream.stream.append(b"BI /W %d /H %d /CS /G /BPC 1 /F /AHx ID\n%s>\nEI"
                             % (self.size, self.size, self.bits.hex().encode()))


def with_qr(variables: dict) -> dict:
    """The variables with the QR code of `verify_url`: `qr_url` (for CSS) and `qr` (an <img>)."""
    if not variables.get("verify_url") or "qr_url" in variables:
        return variables
    url = qr_url(variables["verify_url"])
    return {**variables, "qr_url": url, "qr": qr_image(url)}


def qr_image(image_url: str) -> Markup:
    """The QR code as an <img> (for park templates): `qr_url`'s image."""
    return Markup(f'<img class="qr" src="{image_url}" alt="">')


# Templates come from parks' IT contractors too: sandboxed, and a missing variable raises.

# Images (seal, QR codes) are referenced as "cert-image:<sha1>" rather than inlined as data: URIs:
# 25 pages × a 27 KB base64 seal made HTML parsing a tenth of the time, and WeasyPrint embeds an
# image used on every page once per URL.
_IMAGES: dict[str, bytes | object] = {}  # the data, or a function making it
_SCHEME = "cert-image:"


def image_url(data: bytes) -> str:
    key = hashlib.sha1(data).hexdigest()
    if key not in _IMAGES:
        _IMAGES[key] = data
    return _SCHEME + key


def forget_images() -> None:
    """Keep the images bounded (QR codes are per certificate): called before a document's
    templating, which registers again all that the document uses (never in the middle of one)."""
    if len(_IMAGES) > 5000:
        _IMAGES.clear()
        _QR_LINKS.clear()


def _image(key: str) -> bytes | None:
    data = _IMAGES.get(key)
    if callable(data):  # a QR code's PNG, made when first loaded
        data = _IMAGES[key] = data()
    return data


_QR_LINKS: dict[str, str] = {}


def fetcher():
    """Certificates load nothing from outside: only our images and data: URIs.

    (A park's template must not read local files or call out, e.g. `<link rel=attachment
    href=file:///…>` would embed a server file into the PDF.)
    """
    global _FETCHER
    if _FETCHER is None:
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        class CertificateFetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if url.startswith(_SCHEME) and url[len(_SCHEME):] in _IMAGES:
                    return URLFetcherResponse(url, _image(url[len(_SCHEME):]), {"Content-Type": "image/png"})
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                raise ValueError(f"certificates may not load {url[:60]!r}")

        _FETCHER = CertificateFetcher(allowed_protocols=("data", "cert-image"))
    return _FETCHER


_FETCHER = None
