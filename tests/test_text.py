"""User text is cleaned on the way in and can never render as script."""

from __future__ import annotations

import pytest

from deliberate.text import clean_markdown, clean_text, has_invalid_characters, render_markdown


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>Hola",
    "<img src=x onerror=alert(1)>Hola",
    "<a href='javascript:alert(1)'>Hola</a>",
    "<svg onload=alert(1)>Hola",
])
def test_plain_text_loses_all_markup(hostile):
    cleaned = clean_text(hostile)
    assert "<" not in cleaned and "onerror" not in cleaned and cleaned.endswith("Hola")


def test_plain_text_keeps_ordinary_characters():
    assert clean_text("  Agua potable & drenaje para Jerez: 2 < 3  ") == "Agua potable & drenaje para Jerez: 2 < 3"
    assert clean_text("Niñas y niños — educación") == "Niñas y niños — educación"


def test_invisible_and_control_characters_are_removed_and_detected():
    sneaky = "Hola\u202emundo\x00\x07 fin"
    assert has_invalid_characters(sneaky)
    assert clean_text(sneaky) == "Holamundo fin"
    assert has_invalid_characters("bad \ufffd byte")
    assert not has_invalid_characters("línea uno\nlínea dos\ttab\r\n")


def test_markdown_renders_safely_with_nofollow_links():
    html = render_markdown("**Agua** para [Jerez](https://example.org) <script>alert(1)</script>")
    assert "<strong>Agua</strong>" in html
    assert 'rel="nofollow ugc"' in html
    assert "<script" not in html


@pytest.mark.parametrize("source", [
    "[click](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "![img](https://example.org/x.png)",
    "<iframe src=https://evil.example></iframe>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
])
def test_markdown_drops_dangerous_links_and_embeds(source):
    html = render_markdown(source)
    assert 'href="javascript' not in html and 'href="data:' not in html
    assert "<iframe" not in html and "<img" not in html


def test_bare_urls_become_nofollow_links():
    html = render_markdown("Ver https://example.org/informe")
    assert 'href="https://example.org/informe"' in html and "nofollow" in html


def test_markdown_source_is_normalised():
    assert clean_markdown("  uno\r\ndos\u200b  ") == "uno\ndos"


def test_an_entity_the_author_typed_is_stored_as_typed_never_as_the_markup_it_names():
    assert clean_text("&lt;script&gt;alert(1)&lt;/script&gt;") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert clean_text("Tom &amp; Jerry") == "Tom &amp; Jerry"


def test_markup_hidden_inside_markup_does_not_come_out_whole():
    for hostile in ("<<script>script>alert(1)<</script>/script>", "<<b>img src=x onerror=alert(1)>",
                    "<img src=x onerror=alert(1)//", "<<<<b>b>b>script>"):
        cleaned = clean_text(hostile)
        assert not any(f"<{c}" in cleaned for c in "abcdefghijklmnopqrstuvwxyz/!?"), (hostile, cleaned)
        assert clean_text(cleaned) == cleaned


def test_cleaning_is_stable_on_plain_text():
    for text in ("2 < 3 & 4 > 1", "Niñas y niños — educación", "x <3 y", "«Agua» para Jerez"):
        assert clean_text(clean_text(text)) == clean_text(text) == text
