"""Numbers and times as people read them (issue 20, items 10, 12 and 14): the ``number`` and
``percent`` template filters follow the visitor's language; no template formats a time itself
(``strftime`` shows UTC, the ``datetime`` filter shows Lüneburg's time); the package metadata
uses an SPDX licence string (setuptools warned about the TOML table on every install)."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from beteiligung import i18n
from beteiligung.settings import PROJECT_ROOT
from beteiligung.web.templating import make_environment

NNBSP = "\u202f"


@pytest.fixture
def locale():
    def use(name: str) -> None:
        i18n.current_locale.set(name)

    token = i18n.current_locale.set("de")
    yield use
    i18n.current_locale.reset(token)


@pytest.mark.parametrize(
    ("value", "de", "en"),
    [
        (53.1, f"53,1{NNBSP}%", "53.1%"),
        (100.0, f"100{NNBSP}%", "100%"),
        (0, f"0{NNBSP}%", "0%"),
        (66.66, f"66,7{NNBSP}%", "66.7%"),
        (12.05, f"12,1{NNBSP}%", "12.1%"),  # half up, not to even
        (Decimal("7.50"), f"7,5{NNBSP}%", "7.5%"),
        (1234.5, f"1.234,5{NNBSP}%", "1,234.5%"),
    ],
)
def test_percent(locale, value, de, en):
    assert i18n.format_percent(value) == de
    locale("en")
    assert i18n.format_percent(value) == en


@pytest.mark.parametrize(
    ("value", "de", "en"),
    [
        (4.05, "4,05", "4.05"),
        (4.333333, "4,33", "4.33"),
        (3.0, "3", "3"),
        (1234567, "1.234.567", "1,234,567"),
        (0.125, "0,13", "0.13"),
        (None, "", ""),
        ("–", "–", "–"),
    ],
)
def test_number(locale, value, de, en):
    assert i18n.format_number(value) == de
    locale("en")
    assert i18n.format_number(value) == en


def test_filters_in_templates(locale):
    env = make_environment()
    template = env.from_string("{{ mean | number }} / {{ share | percent }}")
    assert template.render(mean=4.05, share=53.1) == f"4,05 / 53,1{NNBSP}%"
    locale("en")
    assert template.render(mean=4.05, share=53.1) == "4.05 / 53.1%"


def test_no_template_formats_a_time_itself():
    """``strftime`` and ``isoformat`` in a template print UTC; the ``datetime`` filter prints
    the town's local time. An attribute (``<time datetime>``, a data- attribute for our scripts)
    may carry an ISO timestamp with its offset: nobody reads it as it is."""
    found = []
    for path in sorted((PROJECT_ROOT / "templates").rglob("*.html")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in re.finditer(r"\.(strftime|isoformat)\(", line):
                before = line[: match.start()]
                if re.search(r'[\w-]+="\{\{[^"]*$', before):  # inside an attribute
                    continue
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_package_licence_is_an_spdx_string():
    pyproject = tomllib.loads(Path(PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    assert project["license"] == "EUPL-1.2"
    for pattern in project["license-files"]:
        assert list(PROJECT_ROOT.glob(pattern)), f"license-files: {pattern} matches nothing"
    requires = " ".join(pyproject["build-system"]["requires"])
    minimum = re.search(r"setuptools>=(\d+)", requires)
    assert minimum and int(minimum.group(1)) >= 77, "SPDX licence strings need setuptools 77"
