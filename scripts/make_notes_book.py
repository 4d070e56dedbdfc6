#!/usr/bin/env python3
"""Make a book dense with notes, to test that every note lands on its call's page.

Chapters of words drawn (with a fixed seed) from the manuscript's biography: paragraphs
with zero to three calls after a sentence, several calls in a row, calls in lists and
quotations, notes from four words to two hundred and fifty, headings now and then.

Usage::

    python scripts/make_notes_book.py OUT [--seed 1] [--chapters 4] [--paragraphs 25:40]
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LENGTHS = [4, 8, 15, 30, 60, 120]


def make(out: Path, seed: int = 1, chapters: int = 4, paragraphs: tuple[int, int] = (25, 40), long_notes: bool = True) -> Path:
    rnd = random.Random(seed)
    source = (ROOT / "manuscript" / "chapters" / "01-biography.md").read_text(encoding="utf-8").split("---", 2)[2]
    words = [w for w in re.sub(r"[\[\]{}#*^()<>|`.:،؛!?«»\"]", " ", source).split() if re.fullmatch(r"[\u0600-\u06FF\u200c]+", w)]

    def sentence(n: int) -> str:
        return " ".join(rnd.choice(words) for _ in range(n)) + "."

    (out / "chapters").mkdir(parents=True, exist_ok=True)
    listed = []
    for c in range(chapters):
        notes: list[str] = []

        def call() -> str:
            length = rnd.choice(LENGTHS + ([250] if long_notes and rnd.random() < 0.15 else []))
            key = f"{c}-{len(notes) + 1}"
            notes.append(f"[^{key}]: {sentence(length)}")
            return f"[^{key}]"

        body = []
        for _ in range(rnd.randint(*paragraphs)):
            r = rnd.random()
            if r < 0.08:
                body.append("## " + sentence(rnd.randint(2, 6))[:-1])
            parts = []
            for _ in range(rnd.randint(1, 9)):
                text = sentence(rnd.randint(4, 25))[:-1]
                text += "".join(call() for _ in range(rnd.choice([0, 0, 1, 1, 2, 3])))
                parts.append(text + ".")
            text = " ".join(parts)
            if r > 0.93:
                body.append("> " + text)
            elif r > 0.88:
                body.append("\n".join(f"- {sentence(rnd.randint(3, 15))[:-1]}{call() if rnd.random() < 0.5 else ''}." for _ in range(rnd.randint(2, 5))))
            else:
                body.append(text)
        name = f"chapters/{c:02d}.md"
        (out / name).write_text(f"---\ntitle: فصل {c + 1}\nid: ch-{c}\n---\n\n" + "\n\n".join(body) + "\n\n" + "\n\n".join(notes) + "\n", encoding="utf-8")
        listed.append(name)
    (out / "book.yaml").write_text(
        "title: آزمون یادداشت‌ها\nlanguage: fa-AF\nslug: notes\n"
        f"identifier: urn:uuid:3d5e2c1a-5b2f-5a3e-9d61-2f0b7c8e{seed:04d}\ndate: 2026-11-21\ntrim: raqi\nchapters:\n"
        + "".join(f"  - {name}\n" for name in listed),
        encoding="utf-8",
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chapters", type=int, default=4)
    parser.add_argument("--paragraphs", default="25:40", help="min:max paragraphs per chapter")
    args = parser.parse_args()
    low, high = (int(x) for x in args.paragraphs.split(":"))
    print(make(args.out, args.seed, args.chapters, (low, high)))


if __name__ == "__main__":
    main()
