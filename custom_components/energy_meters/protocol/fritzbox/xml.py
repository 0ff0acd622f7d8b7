"""
XML parsing that refuses document type declarations.

The box's answers never carry a DOCTYPE; refusing one rules out entity expansion
("billion laughs") and external entities before the parser sees them.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, XMLParser


class AhaParseError(ValueError):
    """An answer that is not the XML the box sends."""


def parse_xml(text: str) -> Element:
    """Parse ``text``; raise :class:`AhaParseError` for invalid XML or a DOCTYPE."""
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise AhaParseError("document type declarations are refused")
    parser = XMLParser()  # noqa: S314 - no DOCTYPE reaches it (checked above)
    try:
        parser.feed(text)
        return parser.close()
    except ParseError as err:
        raise AhaParseError(f"invalid XML: {err}") from err
