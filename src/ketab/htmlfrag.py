"""HTML fragments as ketab keeps them: an lxml element's content serialised, ids and links as pandoc wrote them."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import unquote

from lxml import etree

_ENCODED_FRAGMENT = re.compile(r'href="#([^"]*%[0-9A-Fa-f]{2}[^"]*)"')


def inner_html(el) -> str:
    """The HTML inside ``el`` (its text and children, not the element itself)."""
    out = htmllib.escape(el.text or "", quote=False)
    for child in el:
        out += etree.tostring(child, encoding="unicode", method="html")
    if 'href="#' in out and "%" in out:  # libxml2 percent-encodes a non-ASCII href: ids stay as pandoc made them
        out = _ENCODED_FRAGMENT.sub(lambda m: 'href="#' + htmllib.escape(unquote(m.group(1))) + '"', out)
    return out
