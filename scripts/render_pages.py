#!/usr/bin/env python3
"""Render PDF pages (or right-to-left spreads) to PNG for looking at them.

    python scripts/render_pages.py build/book-print.pdf --pages 1-6 --out /tmp/pages [--spreads]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pypdfium2 as pdfium


def parse_range(text: str, n: int) -> list[int]:
    pages = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        pages.extend(range(int(a), int(b or a) + 1))
    return [p for p in pages if 1 <= p <= n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pdf", type=Path)
    ap.add_argument("--pages", default="1-4")
    ap.add_argument("--out", type=Path, default=Path("/tmp/pages"))
    ap.add_argument("--scale", type=float, default=1.5)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(str(args.pdf))
    for number in parse_range(args.pages, len(doc)):
        image = doc[number - 1].render(scale=args.scale).to_pil()
        path = args.out / f"{args.pdf.stem}-{number:03d}.png"
        image.save(path)
        print(path)


if __name__ == "__main__":
    main()
