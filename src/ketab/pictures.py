"""Whether a picture of the manuscript can be drawn safely: decoded whole, bounded in size; SVG through the
allow-list of :mod:`ketab.sanitize`."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

from ketab import safeio
from ketab.diagnostics import Collector
from ketab.manuscript import Chapter, Manuscript, safe_path
from ketab.sanitize import UnsafeSvg, clean_svg

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")

MAX_PIXELS = 60_000_000
"""Largest picture, in pixels, that a book may hold (a 20000 × 20000 PNG is 400 million: 1.6 GB decoded)."""


def picture_problem(data: bytes, media: str) -> tuple[str, str] | None:
    """(code, message) when a picture cannot be drawn safely — broken, too large, an SVG with active
    content or too much to draw — else None.  Raster pictures are decoded whole (a truncated file only
    shows at its end); SVG goes through :func:`ketab.sanitize.clean_svg`."""
    if media == "image/svg+xml":
        try:
            clean_svg(data)
        except UnsafeSvg as exc:
            return "image.type", f"the SVG picture is refused: {exc}"
        return None
    from PIL import Image as PILImage
    from PIL import ImageFile

    lenient = ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint turns it on for the whole process when imported
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with PILImage.open(io.BytesIO(data)) as picture:
                width, height = picture.size
                if width * height > MAX_PIXELS:
                    return "image.too-large", f"{width} × {height} pixels is more than a book can hold ({MAX_PIXELS // 1_000_000} million)"
                picture.load()
    except PILImage.DecompressionBombError:
        return "image.too-large", "the picture is larger than a book can hold"
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return "image.broken", f"the picture cannot be drawn: it is truncated or corrupt ({exc})"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    return None


def check_image(el, chapter: Chapter, manuscript: Manuscript, line, diags: Collector) -> tuple[str, str] | None:
    """An image is a real image file inside the manuscript: (its path from the manuscript folder, its media
    type); on any problem its ``src`` is removed and the problem reported."""
    from urllib.parse import quote, unquote

    src = el.attrib.pop("src", None) or ""  # set again below, to the checked file, when all is well
    if not el.get("alt"):
        el.set("alt", "")
    name = unquote(src).strip()  # pandoc writes a space in a file name as %20
    # the picture's own line: its Markdown or HTML form first, a mere mention of the name last
    needles = (f"]({src}", f"]({name}", f'"{src}"', f"'{src}'", f"={src}", src, name)
    where = line(next((n for n in needles if n and n in chapter.body), name))
    if re.match(r"^[a-z][a-z0-9+.-]*:", name, re.I):
        diags.error(chapter.path, where, f"image {src!r}: only files inside the manuscript can be used", "image.remote")
        return None
    if not name or "\x00" in name:
        diags.error(chapter.path, where, f"image {src!r} does not exist", "image.missing")
        return None
    rel = (Path(chapter.rel).parent / name).as_posix() if chapter.generate is None else name
    try:
        path = safe_path(manuscript.root, rel)
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
        path = None
    if path is None:
        diags.error(chapter.path, where, f"image {src!r} is outside the manuscript folder", "image.outside")
        return None
    media = IMAGE_TYPES.get(path.suffix.lower())
    rel_to_root = path.relative_to(manuscript.root.resolve()).as_posix()
    try:
        data = safeio.read_bytes(manuscript.root, rel_to_root, "image")
    except safeio.Refused as exc:
        if exc.reason == "too-large":
            diags.error(chapter.path, where, f"image {src!r}: {exc.message}", "image.too-large")
        else:  # a folder, a FIFO, a device, unreadable
            diags.error(chapter.path, where, f"image {src!r} does not exist", "image.missing")
        return None
    head = data[:65536]
    magic = {
        "image/png": head.startswith(_IMAGE_MAGIC[0]),
        "image/jpeg": head.startswith(_IMAGE_MAGIC[1]),
        "image/gif": head.startswith(_IMAGE_MAGIC[2:4]),
        "image/webp": head[:4] == b"RIFF" and head[8:12] == b"WEBP",
        "image/svg+xml": head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and b"<svg" in head,
    }
    if media is None or not magic[media]:
        diags.error(chapter.path, where, f"{src!r} is not an image (PNG, JPEG, GIF, WebP or SVG)", "image.type")
        return None
    problem = picture_problem(data, media)
    if problem is not None:
        code, message = problem
        diags.error(chapter.path, where, f"image {src!r}: {message}", code)
        return None
    el.set("src", quote(rel_to_root))
    return rel_to_root, media
