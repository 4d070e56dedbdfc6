"""Whether a picture of the manuscript can be drawn safely: decoded whole, bounded in size; SVG through the
allow-list of :mod:`ketab.sanitize`."""

from __future__ import annotations

import io
import warnings

from ketab.sanitize import UnsafeSvg, clean_svg

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


MAX_SVG_BYTES = 20_000_000
"""Largest SVG a ``.svgz`` may unpack to (a gzip bomb is refused)."""


def unpack_svgz(data) -> bytes | None:
    """The SVG inside a ``.svgz`` (gzip; bytes or a path), or None when it is not gzip or unpacks to more than
    MAX_SVG_BYTES."""
    import gzip
    import zlib

    try:
        with gzip.open(data if not isinstance(data, bytes) else io.BytesIO(data), "rb") as f:
            svg = f.read(MAX_SVG_BYTES + 1)
    except (OSError, EOFError, zlib.error):
        return None
    return svg if len(svg) <= MAX_SVG_BYTES else None
