"""The word-level prompt difference shown beside each take: inserted and removed words, short
unchanged context, nothing for equal prompts."""

from __future__ import annotations

from vidpipe.web.prompt_diff import word_diff


def test_inserted_and_removed_words_with_short_context() -> None:
    old = "a kite rises over the beach as the wind picks up and the sun sets slowly"
    new = "a red kite rises over the beach as the wind picks up and the sun sets"
    assert word_diff(old, new) == [
        {"op": "same", "text": "a"},
        {"op": "ins", "text": "red"},
        {"op": "same", "text": "kite rises over … the sun sets"},
        {"op": "del", "text": "slowly"},
    ]


def test_replaced_words_and_equal_prompts() -> None:
    assert word_diff("the camera pans left", "the camera pans right") == [
        {"op": "same", "text": "the camera pans"},
        {"op": "del", "text": "left"},
        {"op": "ins", "text": "right"},
    ]
    assert word_diff("same  words", "same words") == []


def test_markup_stays_plain_text_for_the_template_to_escape() -> None:
    assert word_diff("a fox", "a fox <script>alert(1)</script>") == [
        {"op": "same", "text": "a fox"},
        {"op": "ins", "text": "<script>alert(1)</script>"},
    ]
