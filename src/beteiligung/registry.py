"""What each feature contributes, and how the core asks for it (docs/architecture.md, "Features").

Like Decidim's component manifests: every feature package has a ``feature.py`` that declares a
:class:`Feature` (its routes and the hooks below). ``app.py`` installs the list once; the core
(``web``, ``live``, ``accounts``, ``moderation``'s queue, the consultation page …) then asks the
registry instead of importing a feature. This module imports only the standard library, so
every package may import it.

Hooks are plain objects and callables; their protocols are defined next to the code that calls
them (moderation/targets.py, accounts/privacy.py, web/context.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A part of a page another feature draws (the consultation page's meetings, surveys …).

    ``load(request, db, subject)`` (async) returns the template context of the section or None
    when it has nothing to show; ``template`` is included with that context as ``section``; lower
    ``order`` comes first. ``slot`` says where on the page (the page's template names its slots).
    ``blocks`` are the htmx blocks of ``template`` the page may answer alone (the comment thread).
    """

    name: str
    template: str
    load: Callable[..., Any]
    order: int = 100
    slot: str = ""
    blocks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ShownSection:
    """A section with the context its ``load`` returned, as the page's template receives it."""

    section: Section
    context: dict[str, Any]

    @property
    def template(self) -> str:
        return self.section.template

    @property
    def slot(self) -> str:
        return self.section.slot


@dataclass(frozen=True)
class Feature:
    """One feature's manifest. Every field but ``name`` is optional."""

    name: str
    routes: tuple[Any, ...] = ()
    # objects implementing moderation.targets.ModerationTarget (one per kind)
    moderation_targets: tuple[Any, ...] = ()
    # objects implementing accounts.privacy.PrivacyHooks (export and erasure of one person's data)
    privacy: tuple[Any, ...] = ()
    # page name ("consultation", "proposal", "home" …) -> sections of that page
    sections: dict[str, tuple[Section, ...]] = field(default_factory=dict)
    # objects implementing web.context.ContextHook (the per-request context on request.state:
    # the organisation, the actor, a header badge …), run in the features' order
    request_context: tuple[Any, ...] = ()
    # names -> values for every template (e.g. moderation's placeholder texts), merged into the
    # Jinja environment when the app builds it (web/templating.py)
    template_globals: dict[str, Any] = field(default_factory=dict)
    # anything else a feature offers another by a well-known key (documented where it is read)
    extras: dict[str, Any] = field(default_factory=dict)


class Registry:
    """The installed features, in the order given (their order is the order of sections etc.)."""

    def __init__(self, features: Iterable[Feature] = ()) -> None:
        self.features: tuple[Feature, ...] = tuple(features)
        names = [f.name for f in self.features]
        if len(names) != len(set(names)):
            raise ValueError(f"feature names repeat: {names}")
        # Derived once at installation (pages and the moderation queue ask per request and row);
        # a kind registered twice fails at start-up, not on the first queue page.
        self._targets: dict[str, Any] = {}
        for f in self.features:
            for target in f.moderation_targets:
                if target.kind in self._targets:
                    raise ValueError(f"moderation target {target.kind!r} registered twice")
                self._targets[target.kind] = target
        pages = {page for f in self.features for page in f.sections}
        self._sections: dict[str, list[Section]] = {
            page: sorted((s for f in self.features for s in f.sections.get(page, ())), key=lambda s: s.order)
            for page in pages
        }

    def __iter__(self) -> Iterator[Feature]:
        return iter(self.features)

    def routes(self) -> list[Any]:
        return [r for f in self.features for r in f.routes]

    def moderation_targets(self) -> dict[str, Any]:
        return self._targets

    def privacy(self) -> list[Any]:
        return [h for f in self.features for h in f.privacy]

    def sections(self, page: str) -> list[Section]:
        return self._sections.get(page, [])

    async def show(
        self, page: str, request: Any, db: Any, subject: Any, **options: Any
    ) -> list[ShownSection]:
        """Load the sections of ``page`` about ``subject`` in order, leaving out those with nothing
        to show. ``options[section.name]`` (a dict) is passed to that section's ``load`` as keywords."""
        shown = []
        for section in self.sections(page):
            context = await section.load(request, db, subject, **options.get(section.name, {}))
            if context is not None:
                shown.append(ShownSection(section, context))
        return shown

    async def show_block(
        self, page: str, block: str, request: Any, db: Any, subject: Any, **options: Any
    ) -> ShownSection | None:
        """The section of ``page`` whose template holds the htmx ``block`` (``Section.blocks``),
        loaded to be answered alone; None when no section has it."""
        for section in self.sections(page):
            if block in section.blocks:
                context = await section.load(request, db, subject, **options.get(section.name, {}))
                return ShownSection(section, context)
        return None

    def request_context(self) -> list[Any]:
        return [h for f in self.features for h in f.request_context]

    def template_globals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for f in self.features:
            merged.update(f.template_globals)
        return merged

    def extras(self, key: str) -> list[Any]:
        return [f.extras[key] for f in self.features if key in f.extras]


_installed: Registry | None = None


def install(registry: Registry) -> None:
    """Called by ``app.create_app`` (and the CLI) before anything asks. Installing again replaces
    the registry (tests build several apps); the features are the same modules each time."""
    global _installed
    _installed = registry


def current() -> Registry:
    """The installed registry. ``app.create_app`` and the CLI install it; a script or test that
    uses a feature outside an app calls ``beteiligung.features.install_all()`` first."""
    if _installed is None:
        raise RuntimeError("no features installed: call beteiligung.features.install_all() first")
    return _installed
