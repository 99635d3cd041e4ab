"""The published vocabulary of neutrality violations: one code per kind, labelled in both languages.

Reports and recommendations name their ``category`` by code, never in free
text, so that patterns can be counted (seed 001 asks which violations are most
common).  The labels follow the joint decree's (SKB) list and the seed
articles; ``GET /api/vocabulary`` serves this table.  Spreadsheet imports also
accept the Indonesian label, the English one, and the short words listed in
``words``.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, get_args

ViolationCategory = Literal[
    "social-media",
    "declaring-support",
    "attending-campaign",
    "partisan-gathering",
    "partisan-photo",
    "party-candidacy",
    "use-of-office",
    "partisan-decision",
    "campaign-props",
]
"""The category codes (the schema accepts these and nothing else)."""


class Category(NamedTuple):
    """One category: its code, its labels, and other words an import may use for it."""

    code: str
    id: str
    en: str
    words: tuple[str, ...] = ()


CATEGORIES: tuple[Category, ...] = (
    Category(
        "social-media",
        "Kampanye atau sosialisasi melalui media sosial (mengunggah, menyukai, mengomentari, "
        "membagikan)",
        "Campaigning on social media (posting, liking, commenting, sharing)",
        ("kampanye di media sosial", "media sosial", "kampanye melalui media sosial"),
    ),
    Category(
        "declaring-support",
        "Menyatakan dukungan kepada peserta pemilihan",
        "Declaring support for a candidate or party",
        ("deklarasi dukungan", "menyatakan dukungan"),
    ),
    Category(
        "attending-campaign",
        "Menghadiri deklarasi atau kampanye pasangan calon",
        "Attending a candidate's declaration or campaign event",
        ("menghadiri kampanye", "kampanye"),
    ),
    Category(
        "partisan-gathering",
        "Mengadakan kegiatan yang mengarah pada keberpihakan",
        "Organising an activity that shows partisanship",
        ("kegiatan keberpihakan",),
    ),
    Category(
        "partisan-photo",
        "Foto bersama pasangan calon dengan simbol keberpihakan",
        "Posing with a candidate with a partisan gesture or symbol",
        ("foto bersama",),
    ),
    Category(
        "party-candidacy",
        "Melakukan pendekatan ke partai politik sebagai bakal calon",
        "Approaching a political party as a prospective candidate",
        ("mendaftar bakal calon",),
    ),
    Category(
        "use-of-office",
        "Menggunakan fasilitas jabatan untuk kepentingan pasangan calon",
        "Using the office's facilities for a candidate",
        ("fasilitas jabatan",),
    ),
    Category(
        "partisan-decision",
        "Membuat keputusan yang menguntungkan atau merugikan pasangan calon",
        "Making a decision that favours or harms a candidate",
        ("keputusan menguntungkan",),
    ),
    Category(
        "campaign-props",
        "Memasang alat peraga kampanye",
        "Putting up campaign material",
        ("alat peraga kampanye", "apk"),
    ),
)

CODES: tuple[str, ...] = get_args(ViolationCategory)
assert tuple(c.code for c in CATEGORIES) == CODES, "one entry per code, in order"


def _key(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


_WORDS: dict[str, str] = {}
for _c in CATEGORIES:
    for _word in (_c.code, _c.id, _c.en, *_c.words):
        _WORDS.setdefault(_key(_word), _c.code)


def category_code(text: str) -> str | None:
    """The code a spreadsheet cell names (code, either label or a listed word), or None."""
    return _WORDS.get(_key(text))


def vocabulary() -> list[dict[str, object]]:
    """The table as served: code, Indonesian and English labels, accepted words."""
    return [{"code": c.code, "id": c.id, "en": c.en, "words": list(c.words)} for c in CATEGORIES]
