"""openpyxl writes with the standard library's XML, whatever it chose when it was imported.

openpyxl picks its XML library once, at import: lxml when it is installed (unless OPENPYXL_LXML=False was set
first), else xml.etree. The two write different, equally valid, bytes (attribute spacing, where namespaces are
declared, namespace prefixes), and sheetnet promises the same file for the same config. Setting the environment
variable on `import sheetnet` changed the user's process and failed whenever openpyxl had been imported before.
So the choice is made here, where a workbook is written: when openpyxl runs on lxml, the names its modules took
from lxml (Element, SubElement, QName, xmlfile, tostring, the cell writer) are swapped for openpyxl's own
standard-library versions for the duration of the write, and put back after it.
"""

from __future__ import annotations

import contextlib
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from functools import partial

# the prefixes openpyxl.xml.functions registers with the standard library when it uses it
_NAMESPACES = {
    "dcterms": "http://purl.org/dc/terms/",
    "dcmitype": "http://purl.org/dc/dcmitype/",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "cdr": "http://schemas.openxmlformats.org/drawingml/2006/chartDrawing",
    "xml": "http://www.w3.org/XML/1998/namespace",
    "cust": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
}


def _replacements() -> dict[int, object]:
    """id(what openpyxl took from lxml) -> what it uses without lxml."""
    from et_xmlfile import xmlfile
    from openpyxl.cell import _writer as cell_writer
    from openpyxl.xml import functions

    for prefix, uri in _NAMESPACES.items():
        ElementTree.register_namespace(prefix, uri)
    pairs = [(functions.Element, ElementTree.Element), (functions.SubElement, ElementTree.SubElement),
             (functions.QName, ElementTree.QName), (functions.register_namespace, ElementTree.register_namespace),
             (functions.xmlfile, xmlfile), (functions.tostring, partial(ElementTree.tostring, encoding="utf-8")),
             (cell_writer.write_cell, cell_writer.etree_write_cell)]
    return {id(lxml_version): standard for lxml_version, standard in pairs}


@contextlib.contextmanager
def standard_library_xml() -> Iterator[None]:
    """Within this block openpyxl writes with xml.etree (nothing changes when it already does)."""
    import openpyxl

    if not openpyxl.LXML:
        yield
        return
    replacements = _replacements()
    swapped: list[tuple[object, str, object]] = []
    try:
        for name, module in list(sys.modules.items()):
            if module is None or not (name == "openpyxl" or name.startswith("openpyxl.")):
                continue
            for attribute, value in list(vars(module).items()):
                if attribute == "LXML" and value is True:
                    swapped.append((module, attribute, value))
                    setattr(module, attribute, False)
                elif id(value) in replacements:
                    swapped.append((module, attribute, value))
                    setattr(module, attribute, replacements[id(value)])
        yield
    finally:
        for module, attribute, value in reversed(swapped):
            setattr(module, attribute, value)
