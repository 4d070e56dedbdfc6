"""Allow-list sanitising of the HTML pandoc makes and of the SVG pictures a manuscript holds.

Both work on the parsed tree and decide by what an element *is*, not by what it is called: an HTML element
is kept only when its name is a plain (unprefixed) HTML name on the allow-list, an attribute only when it is
on the allow-list (a prefixed or namespaced name never is); an SVG element only when it is in the SVG
namespace and on the SVG allow-list, with ``href`` pointing inside the picture.  Anything else is dropped
(elements that carry code or fetch, with their content) or unwrapped (harmless unknown elements, whose text
is kept).  What survives cannot run a script or load anything in a reading system, a browser or WeasyPrint.
"""

from __future__ import annotations

import re

from lxml import etree

# --- HTML ----------------------------------------------------------------------------------------------------

HTML_TAGS = frozenset("""
a abbr address article aside b bdi bdo blockquote br caption center cite code col colgroup dd del details dfn
div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr i img ins kbd li main mark nav ol p
pre q rp rt ruby s samp section small span strong sub summary sup table tbody td tfoot th thead time tr tt u ul
var wbr
""".split())
"""Elements kept (pandoc's output and the HTML an editor types for text)."""

HTML_DROP = frozenset("""
script style iframe object embed form input button textarea select option optgroup fieldset legend
output link meta base frame frameset applet audio video source track param picture canvas map area svg
annotation-xml maction image noscript template noembed noframes xmp plaintext portal keygen dialog slot title
""".split())
"""Elements removed with their content (the rest of what is not allowed is unwrapped)."""

MATHML_TAGS = frozenset("""
math semantics annotation mrow mi mo mn ms mtext mspace msup msub msubsup mfrac msqrt mroot mstyle mtable mtr mtd
mlabeledtr mover munder munderover mpadded mphantom menclose merror mmultiscripts mprescripts none mfenced
""".split())
"""Presentation MathML, as pandoc's ``--mathml`` writes it (the EPUB keeps it; the PDFs draw it, :mod:`ketab.mathsvg`)."""

MATHML_ATTRIBUTES = frozenset("""
display mathvariant stretchy fence form accent accentunder lspace rspace linethickness columnalign rowalign
columnspacing rowspacing columnlines rowlines frame encoding largeop movablelimits separator separators symmetric
minsize maxsize scriptlevel displaystyle notation open close depth voffset xmlns
""".split())
"""Attributes kept on MathML elements (besides those kept on any element)."""

HTML_ATTRIBUTES = frozenset("""
id class dir lang title style role alt width height colspan rowspan headers scope start reversed type value
datetime open span abbr align valign cite entry kind
""".split())
"""Attributes kept on any allowed element (``aria-*`` and ``data-*`` too; ``entry`` and ``kind`` are ketab's own
markup, read right after); ``href`` on ``a`` and ``src`` on ``img`` are checked on their own."""

_URL_SCHEME = re.compile(r"^\s*([a-z][a-z0-9+.-]*):", re.I)
_SAFE_LINK_SCHEMES = ("http", "https", "mailto", "tel")
_CSS_LOADS = re.compile(r"url\(|image|attr\(|\\|expression|@import|/\*|src\s*\(|behavior|binding|javascript:", re.I)


def _plain_name(name) -> str | None:
    """The element or attribute name if it is a plain HTML name (no prefix, no namespace), lowercased."""
    if not isinstance(name, str) or name.startswith("{") or ":" in name:
        return None
    return name.lower()


def _link_ok(value: str) -> bool:
    compact = re.sub(r"[\x00-\x20]+", "", value)
    scheme = _URL_SCHEME.match(compact)
    return scheme is None or scheme.group(1).lower() in _SAFE_LINK_SCHEMES


_RESOURCE_ATTRIBUTES = frozenset("""
src srcset imagesrcset href xlink:href data poster background action formaction codebase classid archive longdesc
lowsrc dynsrc usemap manifest ping profile icon
""".split())
"""Attributes that name something to fetch: said when dropped (other attributes off the list go quietly)."""


def sanitize_html(root) -> list[tuple[str, str]]:
    """Make the lxml.html tree under ``root`` (a container element) safe, in place.

    ``img/@src`` is left for the image check (it becomes a checked file inside the manuscript or goes).
    Returns what was dropped that an author should hear of: (what, text to look for in the Markdown), once
    per kind of thing (refused elements, event handlers, script URLs, resource attributes, loading styles);
    comments, and unknown elements whose text is kept, go quietly."""
    dropped: dict[str, str] = {}
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity)):
        if el.getparent() is not None:
            _remove_keeping_tail(el)
    for el in list(root.iterdescendants()):
        if el.getparent() is None or not isinstance(el.tag, str):
            continue
        name = _plain_name(el.tag)
        if name is None or name in HTML_DROP:
            if _under_root(el, root):
                dropped.setdefault(f"<{el.tag}>", f"<{el.tag}")
                _remove_keeping_tail(el)
        elif name not in HTML_TAGS and name not in MATHML_TAGS:
            el.drop_tag()
    for el in root.iter():
        if isinstance(el.tag, str):
            _sanitize_attributes(el, dropped)
    return list(dropped.items())


def _said(name: str | None, attr: str, value: str, tag: str) -> tuple[str, str] | None:
    """How a dropped attribute is named to the author (None: dropped quietly)."""
    low = (name or attr).lower()
    scheme = re.sub(r"[\x00-\x20]+", "", value).lower()
    if low.startswith("on"):
        return f"the event handler {low}=", low
    if scheme.startswith(("javascript:", "vbscript:", "data:", "file:")):
        return f"a {scheme.split(':')[0]}: URL", scheme.split(":")[0] + ":"
    if low in _RESOURCE_ATTRIBUTES:
        return f"the attribute {low}= on <{tag}>", f"{low}="
    if low == "rel" and "attachment" in value.lower():
        return "rel=attachment", "attachment"
    if low == "style":
        return "a style that loads something", "style="
    return None


def _sanitize_attributes(el, dropped: dict) -> None:
    tag = el.tag.lower()
    for attr in list(el.attrib):
        name = _plain_name(attr)
        value = el.get(attr) or ""
        keep = name is not None and (name in HTML_ATTRIBUTES or name.startswith(("aria-", "data-"))
                                 or (tag in MATHML_TAGS and name in MATHML_ATTRIBUTES))
        if name == "href" and tag == "a":
            keep = _link_ok(value)
        elif name == "src" and tag == "img":
            keep = True
        elif name == "style":
            keep = not _CSS_LOADS.search(value)
        elif name == "cite":
            keep = False
        elif keep and re.match(r"\s*(javascript|vbscript|data|file):", re.sub(r"[\x00-\x20]+", "", value), re.I):
            keep = False
        if not keep:
            said = _said(name, attr, value, tag)
            if said is not None:
                dropped.setdefault(*said)
            del el.attrib[attr]


def _under_root(el, root) -> bool:
    return any(a is root for a in el.iterancestors())


def _remove_keeping_tail(el) -> None:
    """Remove ``el`` and its content; the text after it stays."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


MAX_NESTING = 64
"""Deepest nesting of elements in a chapter (WeasyPrint and the passes over the tree recurse per level; 3000
nested blockquotes would exhaust Python's stack)."""


def deepest(root) -> tuple[int, object]:
    """(depth, element) of the most deeply nested element under ``root``, without recursion."""
    best, stack = (0, root), [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if depth > best[0]:
            best = (depth, el)
        stack.extend((child, depth + 1) for child in el if isinstance(child.tag, str))
    return best


# --- SVG -----------------------------------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

SVG_TAGS = frozenset("""
svg g defs symbol use path rect circle ellipse line polyline polygon text tspan textPath title desc
linearGradient radialGradient stop pattern clipPath mask marker switch view
filter feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR feGaussianBlur feMerge
feMergeNode feMorphology feOffset fePointLight feSpecularLighting feSpotLight feTile feTurbulence
""".split())
"""SVG elements kept (drawing, text, paint servers, filters).  ``image`` is kept only for ``data:`` pictures."""

SVG_ACTIVE = frozenset("script foreignObject handler listener set animate animateMotion animateTransform animateColor discard iframe a".split())
"""Elements that run code, change attributes over time or navigate: a picture that has one is refused."""

SVG_METADATA = frozenset("metadata style".split())
"""Removed quietly (editors' metadata; style sheets, which could load fonts or pictures)."""

MAX_SVG_ELEMENTS = 100_000
MAX_SVG_DRAWN = 200_000
"""Most elements a picture may hold, and draw once every ``<use>`` is expanded (nested ``<use>`` multiply)."""
MAX_SVG_DEPTH = 200

_DATA_IMAGE = re.compile(r"^\s*data:image/(png|jpeg|gif|webp);base64,", re.I)
_URL_REF = re.compile(r"url\(\s*(['\"]?)([^)'\"]*)\1\s*\)", re.I)


class UnsafeSvg(ValueError):
    """A picture ketab will not use; the message says why."""


def clean_svg(data: bytes) -> bytes:
    """The SVG picture ``data``, parsed, checked against the allow-list and written again; or UnsafeSvg.

    Refused: no SVG root, a DTD with entities, a script, foreignObject, event handler, animation, link, or a
    reference (``href``, ``url(…)``) to anything outside the picture but a ``data:`` image; more than
    MAX_SVG_ELEMENTS elements, or more than MAX_SVG_DRAWN drawn once ``<use>`` is expanded, or nesting deeper
    than MAX_SVG_DEPTH.  Removed quietly: comments, processing instructions, metadata, style sheets and
    elements or attributes of other namespaces (an editor's own)."""
    if b"<!ENTITY" in data or b"<!entity" in data:
        raise UnsafeSvg("it declares XML entities")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
                             remove_pis=True, remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnsafeSvg(f"it is not well-formed XML ({exc})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise UnsafeSvg("its root element is not <svg> in the SVG namespace")
    for count, el in enumerate(list(root.iter()), start=1):
        if count > MAX_SVG_ELEMENTS:
            raise UnsafeSvg(f"it has more than {MAX_SVG_ELEMENTS} elements")
        _check_svg_element(el)
    _check_expansion(root)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _check_svg_element(el) -> None:
    """Refuse, drop or keep one element of an SVG picture (and check its attributes)."""
    if el.getparent() is None and not isinstance(el.tag, str):
        return
    if not isinstance(el.tag, str):
        _remove_keeping_tail(el)
        return
    qname = etree.QName(el)
    local = qname.localname
    if qname.namespace != SVG_NS:
        if local in SVG_ACTIVE or local in HTML_DROP:
            raise UnsafeSvg(f"it holds a <{local}> element of another namespace")
        if el.getparent() is not None:
            el.getparent().remove(el)  # an editor's own elements (sodipodi:namedview…)
        return
    if local in SVG_ACTIVE:
        raise UnsafeSvg(f"it holds <{local}>, which could run code, navigate or change the picture")
    if local in SVG_METADATA:
        if el.getparent() is not None:
            el.getparent().remove(el)
        return
    if local not in SVG_TAGS and local != "image":
        raise UnsafeSvg(f"it holds <{local}>, which ketab does not allow in a picture")
    _check_svg_attributes(el, local)
    if local == "image" and el.get("href") is None and el.get(f"{{{XLINK_NS}}}href") is None and el.getparent() is not None:
        el.getparent().remove(el)


def _check_svg_attributes(el, local: str) -> None:
    for attr in list(el.attrib):
        aq = etree.QName(attr)
        name, value = aq.localname, el.get(attr) or ""
        if name.lower().startswith("on"):
            raise UnsafeSvg(f"<{local}> has an event handler ({name})")
        if aq.namespace not in (None, XLINK_NS, XML_NS):
            del el.attrib[attr]  # an editor's own attributes (inkscape:label…)
            continue
        if name == "href":
            if local == "image" and not _DATA_IMAGE.match(value):
                raise UnsafeSvg("an <image> loads a picture from outside (only data: pictures may be embedded)")
            if local != "image" and not value.strip().startswith("#"):
                raise UnsafeSvg(f"<{local}> refers to {value!r} outside the picture")
            continue
        if aq.namespace == XLINK_NS:
            del el.attrib[attr]
            continue
        for _, ref in _URL_REF.findall(value):
            if not ref.strip().startswith("#"):
                raise UnsafeSvg(f"<{local}> {name} refers to {ref!r} outside the picture")
        if name == "style" and re.search(r"@import|expression|javascript:|behavior", value, re.I):
            raise UnsafeSvg(f"<{local}> has a style that could load something")


def _check_expansion(root) -> None:
    """Refuse pictures whose ``<use>`` references multiply into too many drawn elements, or loop."""
    alive = list(root.iter())  # lxml makes a new proxy per access unless one is alive: keep them all, so id() is stable
    ids = {el.get("id"): el for el in alive if isinstance(el.tag, str) and el.get("id")}
    weight: dict[int, int] = {}
    visiting: set[int] = set()

    def size(el, depth: int) -> int:
        if depth > MAX_SVG_DEPTH:
            raise UnsafeSvg(f"it nests deeper than {MAX_SVG_DEPTH} levels")
        key = id(el)
        if key in weight:
            return weight[key]
        if key in visiting:
            raise UnsafeSvg("a <use> refers to itself (a loop)")
        visiting.add(key)
        total = 1
        for child in el:
            if isinstance(child.tag, str):
                total += size(child, depth + 1)
        if etree.QName(el).localname == "use":
            ref = (el.get("href") or el.get(f"{{{XLINK_NS}}}href") or "").strip()[1:]
            target = ids.get(ref)
            if target is not None:
                total += size(target, depth + 1)
        total = min(total, MAX_SVG_DRAWN + 1)
        visiting.discard(key)
        weight[key] = total
        if total > MAX_SVG_DRAWN:
            raise UnsafeSvg(f"it draws more than {MAX_SVG_DRAWN} shapes once <use> is expanded")
        return total

    size(root, 0)
