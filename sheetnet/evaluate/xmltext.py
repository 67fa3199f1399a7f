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


def text_runs(body: bytes) -> bytes:
    """The text of every <t>...</t> in `body`, joined, in one pass: each run is looked for only up to the next
    '<t', so a part full of unclosed <t> tags costs linear time (a regular expression's lazy '.*?' would scan to
    the end for each of them: quadratic). An unclosed run is left out."""
    runs = []
    for chunk in body.split(b"<t")[1:]:
        if chunk[:1] not in (b">", b" ", b"\t", b"\r", b"\n"):
            continue  # another element whose name starts with t
        close = chunk.find(b">")
        if close < 0 or chunk[close - 1:close] == b"/":
            continue
        end = chunk.find(b"</t>", close)
        if end >= 0:
            runs.append(chunk[close + 1:end])
    return b"".join(runs)
