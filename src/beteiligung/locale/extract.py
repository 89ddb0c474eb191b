"""Extract the German msgids into ``messages.pot`` and merge them into the ``.po`` files.

Run with ``python -m beteiligung.locale.extract``. Besides the ``_``/``gettext``/``ngettext``/``lazy``
calls in ``src/`` and the Jinja templates (the same extraction as ``make extract-messages``), this
adds the strings that are declared without a gettext call and translated where they are shown:

* labels, hints and choice labels of the form fields (``Field(...)`` in the form classes),
* the values of ``TEXT_KEYS``, ``TITLES`` and ``ROLE_LABELS``.

The template is written without line numbers and sorted, so re-running it gives a stable diff.
Existing translations are kept; strings no longer in the code are kept as obsolete (``#~``)
entries; nothing is fuzzy-matched.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

import beteiligung

LOCALE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = LOCALE_DIR.parents[2]
BABEL_CFG = PROJECT_ROOT / "babel.cfg"
POT_FILE = LOCALE_DIR / "messages.pot"
DOMAIN = "messages"
LOCALES = ("en",)  # German is the source language (the msgids)

KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy": None,
    "Denied": (2,),
    "nmsg": (1, 2),
}

# (module, attribute): dicts whose values are msgids translated at render time.
LABEL_DICTS = (
    ("beteiligung.organisations.models", "TEXT_KEYS"),
    ("beteiligung.web.errors", "TITLES"),
    ("beteiligung.organisations.admin", "ROLE_LABELS"),
    ("beteiligung.consultations.phases", "PHASE_NAMES"),
    ("beteiligung.consultations.phases", "PHASE_HINTS"),
    ("beteiligung.consultations.models", "STATUS_NAMES"),
    ("beteiligung.proposals.models", "ANSWER_NAMES"),
    ("beteiligung.proposals.models", "SOURCE_NAMES"),
    ("beteiligung.consultations.states", "MODE_NAMES"),
    ("beteiligung.moderation.models", "TRIGGER_NAMES"),
    ("beteiligung.moderation.models", "FLAG_REASON_NAMES"),
    ("beteiligung.moderation.models", "LOG_ACTION_NAMES"),
    ("beteiligung.moderation.reasons", "NETIQUETTE_RULES"),
    ("beteiligung.moderation.checks", "CHECK_NAMES"),
    ("beteiligung.moderation.notices", "KINDS"),
    ("beteiligung.moderation.routes", "DECISION_MESSAGES"),
    ("beteiligung.moderation.queries", "STATUS_LABELS"),
)

PLACEHOLDER_RE = re.compile(r"%\(\w+\)[a-zA-Z]|%%")


def placeholders(text: str) -> list[str]:
    """The ``%(name)s`` placeholders (and ``%%``) of a message, sorted; used to compare translations."""
    return sorted(PLACEHOLDER_RE.findall(text))


# ------------------------------------------------------------------------------------------------
def _gettext_calls(root: Path) -> Iterator[tuple[str | tuple[str, ...], str, int]]:
    with BABEL_CFG.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, filename=str(BABEL_CFG))
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
    ):
        yield message, filename, lineno


def _form_modules() -> Iterator[ModuleType]:
    """Every module of the package that declares form fields (imported to read them)."""
    src = Path(beteiligung.__file__).resolve().parent
    for info in pkgutil.walk_packages([str(src)], prefix="beteiligung."):
        if info.ispkg or info.name == "beteiligung.locale.extract":
            continue
        path = src.joinpath(*info.name.split(".")[1:]).with_suffix(".py")
        if path.exists() and "Field(" in path.read_text(encoding="utf-8"):
            yield importlib.import_module(info.name)


def _field_strings() -> Iterator[tuple[str, str]]:
    # a development tool below web reads the forms: the one ignore_imports entry
    from beteiligung.web.forms import Field, Form

    fields: list[tuple[Field, str]] = []
    for module in _form_modules():
        for name, obj in vars(module).items():
            if isinstance(obj, Field):
                fields.append((obj, f"{module.__name__}.{name}"))
            elif inspect.isclass(obj) and issubclass(obj, Form):
                fields += [(f, f"{obj.__module__}.{obj.__qualname__}") for f in obj.fields]
    for f, where in fields:
        yield f.label, where
        if f.hint:
            yield f.hint, where
        for _value, label in f.choices:
            yield label, where


# Module-level dicts named like this hold msgids as values (enum → label, key → hint); they are
# found without being listed, so a new ``…_NAMES`` dict cannot be forgotten (issue 20: "Läuft
# jetzt", "Meiste Unterstützungen" … stayed German in English because their dicts were unlisted).
LABEL_DICT_SUFFIXES = ("_NAMES", "_HINTS", "_LABELS", "_MESSAGES", "_RULES")


def convention_dicts() -> Iterator[tuple[str, str, dict[object, str]]]:
    """(module, name, dict) of every module-level msgid dict named by the convention."""
    src = Path(beteiligung.__file__).resolve().parent
    for info in pkgutil.walk_packages([str(src)], prefix="beteiligung."):
        if info.ispkg or info.name.startswith(("beteiligung.locale.", "beteiligung.demo.")):
            continue
        if info.name in {"beteiligung.__main__", "beteiligung.cli"}:
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                name != "LOCALE_NAMES"  # each language's name in itself: never translated
                and name.isupper()
                and name.endswith(LABEL_DICT_SUFFIXES)
                and isinstance(value, dict)
                and value
                and all(isinstance(v, str) for v in value.values())
            ):
                yield info.name, name, value


def _dict_strings() -> Iterator[tuple[str, str]]:
    for module_name, attr in LABEL_DICTS:
        values = getattr(importlib.import_module(module_name), attr)
        for value in values.values():
            yield value, f"{module_name}.{attr}"
    for module_name, attr, values in convention_dicts():
        for value in values.values():
            yield value, f"{module_name}.{attr}"


def build_catalog(root: Path = PROJECT_ROOT) -> Catalog:
    """All msgids of the project as a template catalog."""
    catalog = Catalog(project="Beteiligung", version="1.0", charset="utf-8", fuzzy=False)
    for message, filename, lineno in _gettext_calls(root):
        catalog.add(message, None, [(filename, lineno)])
    extra: Iterable[tuple[str, str]] = [*_field_strings(), *_dict_strings()]
    for message, where in extra:
        if message:
            catalog.add(message, None, [(where, 0)])
    for msg in catalog:
        ids: tuple[str, ...] = tuple(msg.id) if isinstance(msg.id, (tuple, list)) else (msg.id,)
        if msg.id and any(placeholders(i) for i in ids):
            msg.flags.add("python-format")
    return catalog


def _same_messages(a: Catalog, b: Catalog) -> bool:
    def key(c: Catalog) -> list[tuple[object, ...]]:
        return sorted((str(m.id), str(m.context), tuple(sorted(m.flags))) for m in c if m.id)

    return key(a) == key(b)


def write_pot(path: Path = POT_FILE, root: Path = PROJECT_ROOT) -> Catalog:
    """Write the template (unchanged file, and date, if the messages are the same)."""
    template = build_catalog(root)
    if path.exists():
        with path.open("rb") as fh:
            old = read_po(fh)
        if _same_messages(old, template):
            template.creation_date = old.creation_date
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, template, width=100, no_location=True, sort_output=True)
    return template


def update_po(template: Catalog, locale: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """Merge the template into ``<locale>/LC_MESSAGES/messages.po``, creating it if missing."""
    po_path = locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if po_path.exists():
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale, domain=DOMAIN)
    else:
        catalog = Catalog(
            locale=locale,
            domain=DOMAIN,
            project="Beteiligung",
            version="1.0",
            charset="utf-8",
            fuzzy=False,
            revision_date=datetime.now(UTC),
        )
    before = {(str(m.id), str(m.string), tuple(sorted(m.flags))) for m in catalog if m.id}
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    after = {(str(m.id), str(m.string), tuple(sorted(m.flags))) for m in catalog if m.id}
    if po_path.exists() and before == after and not catalog.obsolete:
        return po_path  # nothing changed: keep the file (and its dates) as it is
    catalog.fuzzy = False
    po_path.parent.mkdir(parents=True, exist_ok=True)
    with po_path.open("wb") as fh:
        write_po(fh, catalog, width=100, no_location=True, sort_output=True)
    return po_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pot", type=Path, default=POT_FILE, help="where to write the template")
    parser.add_argument("--no-update", action="store_true", help="only write the template")
    args = parser.parse_args(argv)
    template = write_pot(args.pot)
    print(f"{args.pot}: {sum(1 for m in template if m.id)} messages")
    if not args.no_update:
        for locale in LOCALES:
            po_path = update_po(template, locale)
            with po_path.open("rb") as fh:
                catalog = read_po(fh)
            missing = [
                m.id
                for m in catalog
                if m.id and (not m.string or m.fuzzy or (isinstance(m.string, tuple) and not all(m.string)))
            ]
            print(f"{po_path}: {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
