"""Messages people read (problem details, CLI output, import reports), in Indonesian and English.

One catalog per language maps a message key to a template with ``{name}`` fields.
A language's catalog is ``registry/i18n/{lang}.json`` together with every
``{lang}.<area>.json`` beside it (one file per area of the registry, so that work on
one area never edits another's file); a key defined in two files is an error.
The language is picked at the edge:
from ``Accept-Language`` for HTTP (:func:`language_from_accept`), from
``LC_ALL``/``LC_MESSAGES``/``LANG`` for the command line (:func:`language_from_env`).
Messages default to English; Bahasa Indonesia when asked.  A key missing from a
language falls back to English, then to the ``default`` text the caller gave,
so a message is never lost for want of a translation (tests check that both
catalogs hold the same keys).

Code below the edges raises with a key and parameters (:class:`Message`); it
never picks a language itself.
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("id", "en")
"""The languages messages exist in (each has a catalog)."""
DEFAULT_LANGUAGE = "en"
"""Messages are English unless Bahasa Indonesia is asked for (the web pages differ: id first)."""


@cache
def catalog(lang: str) -> Mapping[str, str]:
    """The message templates of ``lang`` (``id`` or ``en``), read once."""
    if lang not in LANGUAGES:
        raise ValueError(f"no message catalog for {lang!r}; known: {', '.join(LANGUAGES)}")
    folder = resources.files(__package__)
    names = sorted(
        item.name
        for item in folder.iterdir()
        if item.name == f"{lang}.json"
        or (item.name.startswith(f"{lang}.") and item.name.endswith(".json"))
    )
    data: dict[str, str] = {}
    for name in names:
        part: dict[str, str] = json.loads(folder.joinpath(name).read_text("utf-8"))
        twice = sorted(data.keys() & part.keys())
        if twice:
            raise ValueError(f"message keys defined twice in the {lang} catalog ({name}): {twice}")
        data.update(part)
    return data


class _Fields(string.Formatter):
    """Formats a template, leaving ``{name}`` as it is when ``name`` was not given."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return "{" + key + "}"
        return super().get_value(key, args, kwargs)


_FORMATTER = _Fields()


def message(key: str, lang: str, /, default: str | None = None, **params: Any) -> str:
    """The message ``key`` in ``lang`` with ``params`` filled in.

    Falls back to English, then to ``default`` (itself formatted), then to the key.
    A parameter that is itself a :class:`Message` is put into words in ``lang``
    too; a list or tuple of parameters becomes its items joined by ``; ``.
    """
    template = catalog(lang).get(key) if lang in LANGUAGES else None
    if template is None:
        template = catalog(DEFAULT_LANGUAGE).get(key, default if default is not None else key)
    return _FORMATTER.format(template, **{k: _words(v, lang) for k, v in params.items()})


def _words(value: Any, lang: str) -> Any:
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, list | tuple):
        return "; ".join(str(_words(v, lang)) for v in value)
    return value


@dataclass(frozen=True)
class Message:
    """A message not yet put into words: its catalog key, parameters and English fallback.

    Parameters are text, numbers, other messages (put into words in the same
    language) or lists of those, so that a message survives :meth:`to_dict` /
    :meth:`from_dict` across a process boundary.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    default: str | None = None

    def render(self, lang: str) -> str:
        """The message in ``lang``."""
        return message(self.key, lang, default=self.default, **self.params)

    def __str__(self) -> str:
        """The message in English."""
        return self.render(DEFAULT_LANGUAGE)

    def to_dict(self) -> dict[str, Any]:
        """The message as JSON-ready data (values that are none of the above become text)."""
        out: dict[str, Any] = {"key": self.key, "params": params_to_data(self.params)}
        if self.default is not None:
            out["default"] = self.default
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """The message :meth:`to_dict` wrote; ``ValueError`` for anything else."""
        key, default = data.get("key"), data.get("default")
        if not isinstance(key, str) or not (default is None or isinstance(default, str)):
            raise ValueError("a message is a map with a text 'key' (and a text 'default')")
        return cls(key, params_from_data(data.get("params", {})), default)


Text = str | Message
"""Words already written (the same in every language), or a message to put into words."""


def render(text: Text, lang: str) -> str:
    """``text`` in ``lang``: a :class:`Message` put into words, a plain string as it is."""
    return text if isinstance(text, str) else text.render(lang)


def text_data(text: Text) -> str | dict[str, Any]:
    """``text`` as JSON-ready data (see :func:`text_from_data`)."""
    return text if isinstance(text, str) else text.to_dict()


def text_from_data(data: Any) -> Text:
    """The text :func:`text_data` wrote; ``ValueError`` for anything else."""
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        return Message.from_dict(data)
    raise ValueError("a text is a string or a message map")


def params_to_data(params: Mapping[str, Any]) -> dict[str, Any]:
    """A message's parameters as JSON-ready data (see :func:`params_from_data`)."""
    return {str(k): _value_data(v) for k, v in params.items()}


def params_from_data(data: Any) -> dict[str, Any]:
    """The parameters :func:`params_to_data` wrote; ``ValueError`` for anything else."""
    if not isinstance(data, dict):
        raise ValueError("a message's parameters are a map")
    return {str(k): _value_from_data(v) for k, v in data.items()}


def _value_data(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.to_dict()}
    if isinstance(value, list | tuple):
        return {"list": [_value_data(v) for v in value]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _value_from_data(data: Any) -> Any:
    if isinstance(data, dict) and set(data) == {"message"}:
        return Message.from_dict(data["message"])
    if isinstance(data, dict) and set(data) == {"list"} and isinstance(data["list"], list):
        return [_value_from_data(v) for v in data["list"]]
    if data is None or isinstance(data, bool | int | float | str):
        return data
    raise ValueError(f"a message parameter is text, a number, a message or a list, not {data!r}")


def language_from_accept(header: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The best of :data:`LANGUAGES` for an ``Accept-Language`` header (RFC 9110 §12.5.4).

    ``id``, ``id-ID`` and ``in`` (the old code) pick Bahasa Indonesia; weights
    (``;q=``) order the choices; anything else gives ``default``.
    """
    if not header:
        return default
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        for param in rest.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = _language_of_tag(tag.strip())
        if lang is None or quality <= 0:
            continue
        candidate = (quality, -position, lang)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best is not None else default


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The language of the command line's messages: ``LC_ALL``, ``LC_MESSAGES``, then ``LANG``.

    ``id_ID.UTF-8`` (or ``id``, ``in_ID``) gives Bahasa Indonesia; otherwise English.
    """
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            lang = _language_of_tag(value.split(".")[0].split("@")[0].replace("_", "-"))
            return lang or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _language_of_tag(tag: str) -> str | None:
    primary = tag.split("-", maxsplit=1)[0].lower()
    if primary in ("id", "in"):
        return "id"
    if primary == "en":
        return "en"
    return None
