"""The message catalogs and how a language is picked (registry/i18n)."""

from __future__ import annotations

import pytest

from registry.i18n import (
    Message,
    catalog,
    language_from_accept,
    language_from_env,
    message,
)


def test_both_catalogs_hold_the_same_keys() -> None:
    assert set(catalog("id")) == set(catalog("en"))


def test_every_template_names_the_same_fields_in_both_languages() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, english in catalog("en").items():
        assert fields(catalog("id")[key]) == fields(english), key


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("id", "id"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("in", "id"),
        ("en-US,en;q=0.9", "en"),
        ("en;q=0.5, id;q=0.8", "id"),
        ("fr, de", "en"),
        ("fr, id;q=0.1", "id"),
        ("id;q=0", "en"),
        ("id;q=banana", "en"),
    ],
)
def test_language_from_accept_language(header: str | None, expected: str) -> None:
    assert language_from_accept(header) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "id_ID.UTF-8"}, "id"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "id_ID.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "id_ID"}, "id"),
    ],
)
def test_language_from_environment(environ: dict[str, str], expected: str) -> None:
    assert language_from_env(environ) == expected


def test_a_missing_key_falls_back_to_the_callers_english_text() -> None:
    text = message("no.such.key", "id", default="entry {index} is missing", index=7)
    assert text == "entry 7 is missing"


def test_a_message_keeps_a_field_it_was_not_given() -> None:
    assert Message("no.such.key", {}, "a {thing}").render("en") == "a {thing}"
