"""The English catalog covers every German msgid, keeps its placeholders, and is used at run time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from beteiligung import i18n
from beteiligung.locale import extract

PO_FILE = extract.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")
URL_RE = re.compile(r"%\(url\)s\S*")


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _forms(message: object) -> tuple[str, ...]:
    return message if isinstance(message, tuple) else (message,)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    extract.write_pot(pot)
    return _read(pot)


@pytest.fixture(scope="module")
def english() -> Catalog:
    return _read(PO_FILE)


def test_every_message_has_an_english_translation(template: Catalog, english: Catalog) -> None:
    missing = []
    for msg in template:
        if not msg.id:
            continue
        translated = english.get(msg.id, msg.context)
        strings = _forms(translated.string) if translated else ()
        if translated is None or translated.fuzzy or not strings or not all(strings):
            missing.append(msg.id)
    assert not missing, (
        "untranslated or fuzzy in en/messages.po (run `python -m beteiligung.locale.extract` and "
        "translate):\n" + "\n".join(repr(m) for m in missing)
    )


def test_catalog_has_no_fuzzy_entries(english: Catalog) -> None:
    assert not english.fuzzy
    assert not [m.id for m in english if m.id and m.fuzzy]


def test_translations_keep_placeholders(english: Catalog) -> None:
    wrong = []
    for msg in english:
        if not msg.id or not msg.string:
            continue
        ids, strings = _forms(msg.id), _forms(msg.string)
        if len(ids) > 1:  # plural: msgstr[0] ↔ singular, msgstr[1..] ↔ plural (nplurals=2)
            assert len(strings) == english.num_plurals == 2, msg.id
            pairs = [(ids[0], strings[0]), *((ids[1], s) for s in strings[1:])]
        else:
            pairs = [(ids[0], strings[0])]
        for source, target in pairs:
            if extract.placeholders(source) != extract.placeholders(target):
                wrong.append(f"{source!r} → {target!r}")
            # Links in e-mails point at German routes; they must stay as they are.
            if URL_RE.findall(source) != URL_RE.findall(target):
                wrong.append(f"{source!r} → {target!r} (link changed)")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


@pytest.fixture
def compiled_catalog() -> Iterator[None]:
    """Build the .mo from the .po when it is missing or older (it is git-ignored)."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        catalog = _read(PO_FILE)
        with MO_FILE.open("wb") as fh:
            write_mo(fh, catalog)
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


@pytest.mark.usefixtures("compiled_catalog")
@pytest.mark.parametrize(("locale", "expected"), [("de", "Anmelden"), ("en", "Sign in")])
def test_gettext_follows_current_locale(locale: str, expected: str) -> None:
    token = i18n.current_locale.set(locale)
    try:
        assert i18n.gettext("Anmelden") == expected
    finally:
        i18n.current_locale.reset(token)


@pytest.mark.usefixtures("compiled_catalog")
def test_ngettext_and_variables_in_english() -> None:
    token = i18n.current_locale.set("en")
    try:
        one = i18n.ngettext(
            "Bitte korrigieren Sie %(num)s Angabe", "Bitte korrigieren Sie %(num)s Angaben", 1
        )
        two = i18n.ngettext(
            "Bitte korrigieren Sie %(num)s Angabe", "Bitte korrigieren Sie %(num)s Angaben", 2
        )
        welcome = i18n.gettext("Willkommen, %(name)s! Sie sind angemeldet.", name="Alex")
    finally:
        i18n.current_locale.reset(token)
    assert (one, two) == ("Please correct 1 entry", "Please correct 2 entries")
    assert welcome == "Welcome, Alex! You are signed in."


def test_committed_template_lists_every_msgid(template: Catalog) -> None:
    """Templates translate only the msgids of the committed ``messages.pot`` (anything else is
    data, shown as plain text): a msgid missing there would stay German and unformatted."""
    committed = {str(m.id) for m in _read(extract.POT_FILE) if m.id}
    current = {str(m.id) for m in template if m.id}
    assert not current - committed, "run `make extract-messages` and commit messages.pot"


@pytest.mark.usefixtures("compiled_catalog")
@pytest.mark.parametrize("locale", ["de", "en"])
def test_templates_translate_only_our_msgids(locale: str) -> None:
    """Staff text passed where a label goes is data: escaped, never %-formatted, never safe."""
    from beteiligung.web.templating import make_environment

    env = make_environment()
    tpl = env.from_string(
        "{{ _(title) }}|{{ title | label }}|{{ ngettext(title, title, 2) }}|{{ _('Anmelden') }}|"
        "{{ _('Willkommen, %(name)s! Sie sind angemeldet.', name=title) }}"
    )
    hostile = '</select><div hx-post="/verwaltung/rollen" hx-trigger="load">40 % %s %(x)s'
    token = i18n.current_locale.set(locale)
    try:
        out = tpl.render(title=hostile)
    finally:
        i18n.current_locale.reset(token)
    escaped = "&lt;/select&gt;&lt;div hx-post=&#34;/verwaltung/rollen&#34; hx-trigger=&#34;load&#34;&gt;40 % %s %(x)s"
    parts = out.split("|")
    assert parts[:3] == [escaped] * 3
    assert parts[3] == ("Anmelden" if locale == "de" else "Sign in")
    assert escaped in parts[4] and "<div" not in out
