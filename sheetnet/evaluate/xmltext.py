"""Text inside XML: the five predefined entities and character references, and nothing else ever."""

from __future__ import annotations

import re

_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def unescape(text: str) -> str:
    """XML's five predefined entities and character references; nothing else is ever expanded."""
    if "&" not in text:
        return text
    if "&#" not in text:  # the named five only: C-speed replaces, &amp; last so "&amp;lt;" stays "&lt;"
        return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
                .replace("&amp;", "&"))

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _ENTITIES[name]

    return _ENTITY.sub(replace, text)
