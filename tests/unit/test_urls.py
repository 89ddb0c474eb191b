"""``url(name, …)``: every route has a name, and the table builds the path Litestar would."""

from __future__ import annotations

import pytest

from beteiligung.app import create_app
from beteiligung.web.urls import UnknownRoute, _current_table, url


def _sample(name: str) -> int | str:
    return 7 if name.endswith("_id") or name in {"number", "page"} else "beispiel"


def test_every_route_handler_has_a_name() -> None:
    app = create_app()
    unnamed = [
        route.path
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if not handler.name
        and not route.path.startswith("/static")
        and handler.http_methods != {"OPTIONS"}  # Litestar's own OPTIONS answer
    ]
    assert unnamed == []


def test_url_builds_the_same_path_as_litestar_for_every_route() -> None:
    app = create_app()
    checked = 0
    for name, forms in _current_table().items():
        for keys, _pieces in forms:
            params = {key: _sample(key) for key in keys}
            try:
                expected = app.route_reverse(name, **params)
            except Exception:  # a parameter typed other than the sample: skip
                continue
            assert url(name, **params) == expected
            checked += 1
    assert checked > 100


def test_query_anchor_and_encoding() -> None:
    create_app()
    assert url("consultations.list", query={"seite": 2, "leer": None, "q": "a b&c"}) == (
        "/vorhaben?seite=2&q=a+b%26c"
    )
    assert url("admin.text", key="a/b", anchor="kopf") == "/verwaltung/texte/a%2Fb#kopf"


def test_unknown_names_and_wrong_parameters_fail_loudly() -> None:
    create_app()
    with pytest.raises(UnknownRoute):
        url("no.such.route")
    with pytest.raises(UnknownRoute):
        url("admin.text")  # the key is missing
    with pytest.raises(UnknownRoute):
        url("consultations.list", slug="x")  # a parameter the route does not take
