"""Slugs of consultations and topics: readable German addresses."""

from __future__ import annotations

import pytest

from beteiligung.consultations.actions import SLUG_MAX, parse_topics, slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Straßenbahn für Lüneburg?", "strassenbahn-fuer-lueneburg"),
        ("ÄRGER über Öl und Übermut", "aerger-ueber-oel-und-uebermut"),
        ("Lu\u0308neburg", "lueneburg"),  # decomposed umlaut (as some Macs send it)
        ("Café & Crêpes – à la carte", "cafe-crepes-a-la-carte"),
        ("  Radweg   Bockelsberg!  ", "radweg-bockelsberg"),
        ("Haushalt 2027/2028", "haushalt-2027-2028"),
        ('<script>alert("x")</script>', "script-alert-x-script"),
        ("???", ""),
        ("", ""),
        ("Ελληνικά", ""),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_long_titles_are_cut_at_a_word() -> None:
    slug = slugify("Neugestaltung " * 20)
    assert len(slug) <= SLUG_MAX and slug.endswith("neugestaltung") and not slug.endswith("-")
    assert slugify("x" * 200) == "x" * SLUG_MAX


def test_parse_topics() -> None:
    assert parse_topics("Verkehr, Klima ,, verkehr,  Grün   flächen ") == ["Verkehr", "Klima", "Grün flächen"]
    assert parse_topics("") == []
