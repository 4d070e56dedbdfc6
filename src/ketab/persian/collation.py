"""Persian alphabetical order (for the index)."""

from __future__ import annotations

import unicodedata

PERSIAN_ALPHABET = "آاأإءبپتثجچحخدذرزژسشصضطظعغفقکگلمنوؤهةیئ"


_ORDER = {ch: i for i, ch in enumerate(PERSIAN_ALPHABET)}


_FOLD = {"ي": "ی", "ى": "ی", "ك": "ک", "ۀ": "ه", "أ": "ا", "إ": "ا"}


def persian_sort_key(text: str):
    """Persian dictionary order: پ چ ژ گ in their Persian places; ZWNJ, diacritics ignored."""
    chars = []
    for ch in unicodedata.normalize("NFC", text):
        ch = _FOLD.get(ch, ch)
        if ch in _ORDER:
            chars.append((0, _ORDER[ch]))
        elif ch in (" ", "\u200c", "-"):
            chars.append((-1, 0))
        elif unicodedata.category(ch).startswith("M") or ch in "\u0640":
            continue
        else:
            chars.append((1, ord(ch)))
    return (tuple(chars), text)

