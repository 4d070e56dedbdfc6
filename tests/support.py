"""Helpers for checking outputs with the real tools."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


def epubcheck_messages(path: Path, usage: bool = False) -> list[dict]:
    """Every message epubcheck reports (with ``usage``, its -u usage notes too)."""
    from ketab.preflight.epub import epubcheck_report

    return epubcheck_report(path, usage)["messages"]


class Epub:
    """An EPUB opened for inspection: the OPF, nav and content documents parsed."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path)
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.find(".//{*}rootfile").get("full-path")
        self.base = self.opf_path.rsplit("/", 1)[0] + "/" if "/" in self.opf_path else ""
        self.opf = etree.fromstring(self.zip.read(self.opf_path))

    def manifest(self) -> dict[str, etree._Element]:
        return {i.get("id"): i for i in self.opf.iterfind(".//opf:manifest/opf:item", NS)}

    def read(self, href: str) -> etree._Element:
        return etree.fromstring(self.zip.read(self.base + href))

    def documents(self):
        for item in self.manifest().values():
            if item.get("media-type") == "application/xhtml+xml":
                yield item.get("href"), self.read(item.get("href"))

    def nav(self) -> etree._Element:
        item = next(i for i in self.manifest().values() if "nav" in (i.get("properties") or "").split())
        return self.read(item.get("href"))


def text_start(pdf) -> int:
    """0-based index of the print PDF's first page of the text: the first page labelled with a number."""
    nums = list(pdf.Root.PageLabels.Nums)
    digits = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
    for index, style in zip(nums[::2], nums[1::2]):
        if style.get("/S") == "/D" or str(style.get("/P", "")).translate(digits).isdigit():
            return int(index)
    raise AssertionError("no page of the text is labelled")
