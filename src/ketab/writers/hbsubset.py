"""A font file cut to a set of glyphs with HarfBuzz's subsetter, every glyph keeping its id.

The print PDF's merged program of a face file (:mod:`ketab.writers.fonts`) is the original file cut to
the glyphs the units draw: the same call WeasyPrint makes for each unit's subset, on the library
WeasyPrint already needs (``libharfbuzz-subset``, through cffi), instead of merging the units' subsets
glyph by glyph.  :func:`subset` returns None when the library cannot be loaded or the cut fails; the
caller then merges the subsets itself.
"""

from __future__ import annotations

_CDEF = """
    typedef ... hb_blob_t;
    typedef ... hb_face_t;
    typedef ... hb_set_t;
    typedef ... hb_subset_input_t;
    typedef uint32_t hb_codepoint_t;
    typedef uint32_t hb_tag_t;
    hb_blob_t * hb_blob_create (const char *data, unsigned int length, int mode, void *user_data, void *destroy);
    void hb_blob_destroy (hb_blob_t *blob);
    const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
    hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
    void hb_face_destroy (hb_face_t *face);
    hb_blob_t * hb_face_reference_blob (hb_face_t *face);
    unsigned int hb_face_get_glyph_count (const hb_face_t *face);
    hb_tag_t hb_tag_from_string (const char *str, int len);
    void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
    hb_subset_input_t * hb_subset_input_create_or_fail (void);
    void hb_subset_input_destroy (hb_subset_input_t *input);
    hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
    hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
    void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
    hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""
_NAMES = {
    "harfbuzz": ("libharfbuzz.so.0", "harfbuzz", "libharfbuzz-0", "libharfbuzz.0.dylib", "libharfbuzz-0.dll"),
    "subset": ("libharfbuzz-subset.so.0", "harfbuzz-subset", "libharfbuzz-subset-0", "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll"),
}
# hb_subset_flags_t and hb_subset_sets_t (hb-subset.h)
NO_HINTING, RETAIN_GIDS, DESUBROUTINIZE, PASSTHROUGH_UNRECOGNIZED, NOTDEF_OUTLINE = 0x1, 0x2, 0x4, 0x20, 0x40
_DROP_TABLE_TAG = 3
DROPPED = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ",
           b"cmap", b"GDEF", b"MATH", b"hdmx", b"VDMX", b"kern", b"FFTM")
"""The tables WeasyPrint drops from its subsets (``Font._harfbuzz_subset``), and those a PDF's CID font
never reads (it draws by glyph id: no character map, no layout tables)."""
_LIBS: list = []


def _libraries():
    """(ffi, harfbuzz, harfbuzz-subset), loaded once; None if either library is missing."""
    if not _LIBS:
        try:
            import cffi
        except ImportError:
            _LIBS.append(None)
            return None
        ffi = cffi.FFI()
        ffi.cdef(_CDEF)
        found = []
        for names in _NAMES.values():
            for name in names:
                try:
                    found.append(ffi.dlopen(name))
                    break
                except OSError:
                    continue
        _LIBS.append((ffi, *found) if len(found) == 2 else None)
    return _LIBS[0]


def subset(data: bytes, index: int, glyphs, flags: int = RETAIN_GIDS | PASSTHROUGH_UNRECOGNIZED | DESUBROUTINIZE | NO_HINTING | NOTDEF_OUTLINE) -> bytes | None:
    """Face ``index`` of the font file ``data`` cut to ``glyphs`` (ids; with RETAIN_GIDS every glyph keeps
    its id, and the components of composite glyphs are kept too), WeasyPrint's tables dropped."""
    libraries = _libraries()
    if libraries is None:
        return None
    ffi, hb, hbs = libraries
    blob = hb.hb_blob_create(data, len(data), 0, ffi.NULL, ffi.NULL)  # HB_MEMORY_MODE_DUPLICATE
    face = hb.hb_face_create(blob, index)
    hb.hb_blob_destroy(blob)
    subsetter = hbs.hb_subset_input_create_or_fail()
    try:
        if subsetter == ffi.NULL:
            return None
        count = hb.hb_face_get_glyph_count(face)
        kept = hbs.hb_subset_input_glyph_set(subsetter)
        for gid in sorted(set(glyphs)):
            if gid < count:
                hb.hb_set_add(kept, gid)
        dropped = hbs.hb_subset_input_set(subsetter, _DROP_TABLE_TAG)
        for tag in DROPPED:
            hb.hb_set_add(dropped, hb.hb_tag_from_string(tag, -1))
        hbs.hb_subset_input_set_flags(subsetter, flags)
        result = hbs.hb_subset_or_fail(face, subsetter)
        if result == ffi.NULL:
            return None
        out = hb.hb_face_reference_blob(result)
        length = ffi.new("unsigned int *")
        pointer = hb.hb_blob_get_data(out, length)
        program = ffi.unpack(pointer, int(length[0])) if pointer != ffi.NULL else None
        hb.hb_blob_destroy(out)
        hb.hb_face_destroy(result)
        return program or None
    finally:
        if subsetter != ffi.NULL:
            hbs.hb_subset_input_destroy(subsetter)
        hb.hb_face_destroy(face)
