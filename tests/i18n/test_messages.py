"""The message catalogs and how a language is picked (registry/i18n)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import registry
from registry.i18n import (
    LANGUAGES,
    Message,
    catalog,
    language_from_accept,
    language_from_env,
    message,
)
from registry.records.errors import refusal_for
from registry.verify.result import Reason


def test_both_catalogs_hold_the_same_keys() -> None:
    assert set(catalog("id")) == set(catalog("en"))


def test_each_area_file_exists_in_both_languages() -> None:
    from importlib import resources

    names = {item.name for item in resources.files("registry.i18n").iterdir()}
    areas = {name.split(".", 1)[1] for name in names if name.endswith(".json")}
    assert {f"{lang}.{area}" for lang in ("id", "en") for area in areas} <= names


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


# -- the catalogs against the code ---------------------------------------------------------

REGISTRY = Path(registry.__file__).parent
PREFIXES = (
    "access",
    "cell",
    "cli",
    "custodial",
    "field",
    "file",
    "import",
    "notfound",
    "parameter",
    "problem",
    "refusal",
    "schema",
    "unavailable",
    "verify",
)
KEY = re.compile(r"""["']((?:""" + "|".join(PREFIXES) + r""")\.[A-Za-z0-9_.-]*[A-Za-z0-9_-])["']""")


def keys_in_code() -> set[str]:
    found: set[str] = set()
    for path in REGISTRY.rglob("*.py"):
        found |= set(KEY.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_code_names_catalog_keys() -> None:
    assert len(keys_in_code()) > 150


@pytest.mark.parametrize("key", sorted(keys_in_code()))
def test_every_key_the_code_names_is_in_the_catalogs(key: str) -> None:
    english = catalog("en")
    # refused()/denied() take a key whose title and detail are its .title and .detail
    assert key in english or {f"{key}.title", f"{key}.detail"} <= english.keys(), key


def test_every_access_refusal_code_has_its_words() -> None:
    source = (REGISTRY / "compliance" / "access.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'denied\(\s*"([a-z-]+)"', source))
    assert codes
    for code in codes:
        assert {f"access.{code}.title", f"access.{code}.detail"} <= catalog("en").keys()


def test_every_verification_reason_is_explained() -> None:
    for reason in Reason:
        for lang in LANGUAGES:
            text = message(f"verify.reason.{reason.value}", lang, detail="X")
            assert "X" in text
            assert "verify.reason" not in text


def test_every_refusal_for_a_failed_verification_has_a_title() -> None:
    for reason in [*Reason, None]:
        refusal = refusal_for(reason, "technical detail")
        assert refusal.title_in("id") != refusal.title_in("en")
        assert refusal.detail == "technical detail"


LANGUAGE_NEUTRAL = re.compile(r"^[\s{}\w()\[\].:;,!?'\"/<>=+*#|-]*$")
SAME_WORDS = {"checkpoint", "header", "cookie", "parameter", "{path}", "instansi"}


def test_indonesian_differs_from_english_except_for_templates_without_words() -> None:
    english, indonesian = catalog("en"), catalog("id")
    untranslated = []
    for key, text in english.items():
        if indonesian[key] != text:
            continue
        words = re.sub(r"\{[^}]*\}", "", text)
        if re.search(r"[A-Za-z]{3,}", words) and text not in SAME_WORDS:
            untranslated.append(key)
    assert untranslated == []


# -- messages across a process boundary ----------------------------------------------------

params = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.builds(
            Message, st.text(max_size=5), st.dictionaries(st.text(max_size=3), inner, max_size=3)
        )
    ),
    max_leaves=8,
)


@given(
    key=st.text(max_size=10),
    values=st.dictionaries(st.text(max_size=4), params, max_size=4),
    default=st.none() | st.text(max_size=6),
)
def test_a_message_survives_json(key: str, values: dict[str, Any], default: str | None) -> None:
    original = Message(key, values, default)
    data = json.loads(json.dumps(original.to_dict()))
    assert Message.from_dict(data) == Message(key, values, default)


def test_a_message_renders_nested_messages_and_lists_in_its_language() -> None:
    nested = Message("notfound.entry", {"index": 3})
    text = Message("problem.not-found.detail", {"what": nested})
    assert text.render("id") == "tidak ada entri 3"
    assert str(text) == "no such entry 3"
    listed = Message("schema.errors", {"list": [Message("schema.missing"), "x"]})
    assert listed.render("id") == "wajib diisi; x"


def test_a_message_map_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="text 'key'"):
        Message.from_dict({"key": 3})
    with pytest.raises(ValueError, match="parameter"):
        Message.from_dict({"key": "k", "params": {"a": {"b": object()}}})
