"""How the dashboard's pages show a table's cells: figures as people read them (thousands
separated, rates as per cent, the reader's language), headings and named values from the
page strings, and which columns a table shows.  The templates format with :func:`tools`.
"""

from __future__ import annotations

from typing import Any

TEXT_COLUMNS = ("name", "jabatan", "instansi", "province", "head_type", "on")
"""The text columns a table shows besides its figures (others stay in the CSV/JSON)."""


def is_figure(value: Any) -> bool:
    """Whether a table cell is a figure: ``{"value": v, "entries": [...]}``."""
    return isinstance(value, dict) and "value" in value and "entries" in value


def number(value: Any, name: str, lang: str) -> str:
    """A figure's value as people read it: thousands separated, rates as per cent."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        text = f"{value:,}"
        return text.replace(",", ".") if lang == "id" else text
    if isinstance(value, float):
        shown = f"{value * 100:.1f} %" if name.endswith("rate") else f"{value:g}"
        return shown.replace(".", ",") if lang == "id" else shown
    return str(value)


def label(t: dict[str, str], name: str) -> str:
    """A column's heading: the page string ``fig.<name>``, else its name in words."""
    return t.get(f"fig.{name}") or name.replace("_", " ").replace("-", " ")


def value_label(t: dict[str, str], column: str, value: Any) -> str:
    """A cell's text: election, head type and step names have page strings."""
    if value is None:
        return "\u2013"
    return t.get(f"val.{column}.{value}") or t.get(f"val.{value}") or str(value)


def columns(rows: list[dict[str, Any]], key: str) -> tuple[list[str], list[str]]:
    """The text and figure columns of ``rows`` (first-seen order), ``key`` first."""
    text: list[str] = []
    figs: list[str] = []
    for row in rows:
        for name, value in row.items():
            if name == key:
                continue
            if is_figure(value) and name not in figs:
                figs.append(name)
            elif name in TEXT_COLUMNS and name not in text and not isinstance(value, list | dict):
                text.append(name)
    return text, figs


def tools(t: dict[str, str], lang: str) -> dict[str, Any]:
    """Functions the templates format with."""
    return {
        "number": lambda v, n="": (
            value_label(t, n, v) if isinstance(v, str) else number(v, n, lang)
        ),
        "label": lambda n: label(t, n),
        "value_label": lambda c, v: value_label(t, c, v),
        "is_figure": is_figure,
        "figure_names": lambda row: [n for n, v in row.items() if is_figure(v)],
    }
