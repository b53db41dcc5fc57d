"""Clean user text on the way in: the only module that imports bleach.

Plain fields (names, titles, reasons) lose any markup and invisible control characters; Markdown bodies are
rendered with markdown-it-py and then reduced to a small allow-list of tags, with links marked
rel="nofollow ugc". Templates escape everything else on the way out.
"""

from __future__ import annotations

import html
import re
import unicodedata

import bleach
from bleach.linkifier import Linker
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a", "h3", "h4", "hr"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# C0/C1 controls except tab and newline, bidirectional overrides, zero-width joiners used to hide text.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_REPLACEMENT_CHARACTER = "\ufffd"
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def has_invalid_characters(value: str) -> bool:
    """Tell whether text arrived with bytes that were not valid UTF-8 (decoded as U+FFFD) or hidden controls."""
    return _REPLACEMENT_CHARACTER in value or bool(_INVISIBLE.search(value.replace("\r", "")))


def _normalise(value: str) -> str:
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _INVISIBLE.sub("", value)


def _strip_markup(value: str) -> str:
    # The author's own "&" is escaped first, so that unescaping bleach's output undoes only bleach's escaping: an
    # entity the author typed ("&lt;script&gt;") is stored as typed, never turned into the markup it names.
    stripped = bleach.clean(value.replace("&", "&amp;"), tags=set(), attributes={}, strip=True, strip_comments=True)
    return html.unescape(stripped)


def clean_text(value: str | None) -> str:
    """Return a plain single-purpose text: no markup, no invisible characters, trimmed.

    Cleaning repeats until nothing changes, so that markup hidden inside markup ("<<b>script>") cannot come out
    whole; a "<" still left before a letter, "/", "!" or "?" (which could open a tag wherever the text is pasted
    raw, say from a JSON export) gets a space after it. The result is stable: cleaning it again changes nothing.
    """
    if not value:
        return ""
    text = _normalise(value)
    for _attempt in range(8):
        cleaned = _strip_markup(text)
        if cleaned == text:
            break
        text = cleaned
    return _TAG_OPEN.sub("< ", text).strip()


def clean_markdown(value: str | None) -> str:
    """Return Markdown source fit to store: normalised, without invisible characters, trimmed."""
    return _normalise(value or "").strip()


def _nofollow(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = "nofollow ugc"
    return attrs


_linker = Linker(callbacks=[_nofollow], skip_tags={"pre", "code"})


def render_markdown(source: str | None) -> str:
    """Render stored Markdown to HTML that is safe to insert in a page."""
    rendered = _markdown.render(clean_markdown(source))
    safe = bleach.clean(
        rendered, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True
    )
    return _linker.linkify(safe)


def markdown_filter(source: str | None) -> Markup:
    """Jinja filter ``|markdown``: render stored Markdown as safe HTML inside a template."""
    return Markup(render_markdown(source))  # noqa: S704 - render_markdown sanitises with bleach
