"""The search page /suche (issue 20): consultations, proposals and comments, only what visitors may
see, highlighted snippets built safely, paging, and a page (never a 500) for any input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from beteiligung.comments.models import Comment
from beteiligung.consultations.models import ConsultationStatus
from beteiligung.consultations.states import Visibility
from beteiligung.db import utcnow
from beteiligung.proposals.models import Proposal
from beteiligung.search.queries import Markers
from tests.conftest import make_user
from tests.participation_factories import make_consultation, run_sql

HX = {"HX-Request": "true"}


async def _proposal(
    settings: Any, consultation_id: int, author_id: int | None, title: str, body: str, **kw: Any
) -> int:
    async def add(db: Any) -> int:
        p = Proposal(consultation_id=consultation_id, author_id=author_id, title=title, body=body, **kw)
        db.add(p)
        await db.flush()
        return int(p.id)

    return await run_sql(settings, add)  # type: ignore[no-any-return]


async def _comment(
    settings: Any,
    consultation_id: int,
    author_id: int | None,
    body: str,
    proposal_id: int | None = None,
    **kw: Any,
) -> int:
    async def add(db: Any) -> int:
        c = Comment(
            consultation_id=consultation_id, proposal_id=proposal_id, author_id=author_id, body=body, **kw
        )
        db.add(c)
        await db.flush()
        return int(c.id)

    return await run_sql(settings, add)  # type: ignore[no-any-return]


def _hits(html: str) -> list[str]:
    """The links of the hits on a search page (their cards' headings)."""
    return re.findall(r'<h[34] class="kern-title">\s*<a class="kern-link" href="([^"]+)"', html)


@pytest.fixture
async def sample(client: Any, settings: Any) -> dict[str, int]:
    cid = await make_consultation(settings)
    author = await make_user(settings, email="a@example.org", display_name="Jonas vom Stint")
    pid = await _proposal(
        settings,
        cid,
        author,
        "Logistik-Hub für die Innenstadt",
        "Pakete sollen mit dem Lastenrad in die Altstadt kommen, nicht mit Transportern.",
        place="Am Sande",
    )
    on_proposal = await _comment(settings, cid, author, "Die Fahrradständer am Bahnhof reichen nicht.", pid)
    on_consultation = await _comment(settings, cid, None, "Wir brauchen mehr Sitzbänke im Kurpark.")
    return {
        "consultation": cid,
        "author": author,
        "proposal": pid,
        "comment": on_proposal,
        "c2": on_consultation,
    }


async def test_lastenrad_finds_the_proposal_and_comments_are_found(client, settings, sample):
    r = await client.get("/suche?q=Lastenrad")
    assert r.status_code == 200
    assert f"/vorschlaege/{sample['proposal']}" in _hits(r.text)
    assert "<mark>Lastenrad</mark>" in r.text
    assert "1 Treffer für „Lastenrad“" in r.text
    assert "Jonas" not in r.text  # a proposal hit names its consultation, the comment hit its author

    r = await client.get("/suche?q=Fahrradständer")
    assert _hits(r.text) == [f"/vorschlaege/{sample['proposal']}#comment-{sample['comment']}"]
    assert "<mark>Fahrradständer</mark>" in r.text and "Jonas vom Stint" in r.text
    assert "Kommentar zu „Logistik-Hub für die Innenstadt“" in r.text

    r = await client.get("/suche?q=Sitzbänke&art=kommentare")
    assert _hits(r.text) == [f"/vorhaben/isek-2030#comment-{sample['c2']}"]
    assert "Gelöschtes Konto" in r.text  # no author

    r = await client.get("/suche?q=Wirtschaftsstandort")  # the consultation's summary
    assert _hits(r.text) == ["/vorhaben/isek-2030"]

    # Umlauts, word forms: German stemming on PostgreSQL, prefixes without diacritics on SQLite.
    stem = "Lastenräder" if settings.database_url.startswith("postgresql") else "lastenrä"
    r = await client.get(f"/suche?q={stem}")
    assert f"/vorschlaege/{sample['proposal']}" in _hits(r.text), stem
    r = await client.get("/suche?q=Sande")  # the proposal's place
    assert f"/vorschlaege/{sample['proposal']}" in _hits(r.text)


async def test_nothing_the_visitor_may_not_see(client, settings, sample):
    cid, author = sample["consultation"], sample["author"]
    word = "Zauberwort"
    held = await _proposal(settings, cid, author, f"{word} gehalten", "wartet", visibility=Visibility.HELD)
    hidden = await _proposal(settings, cid, author, f"{word} verborgen", "weg", visibility=Visibility.HIDDEN)
    await _comment(settings, cid, author, f"{word} gehaltener Kommentar", visibility=Visibility.HELD)
    await _comment(settings, cid, author, f"{word} verborgener Kommentar", visibility=Visibility.HIDDEN)
    await _comment(settings, cid, author, f"{word} auf gehaltenem Vorschlag", held)
    await _comment(settings, cid, author, f"{word} auf verborgenem Vorschlag", hidden)
    await _comment(settings, cid, author, f"{word} gelöscht", deleted_at=utcnow())
    draft = await make_consultation(
        settings, slug="entwurf", title=f"{word} im Entwurf", status=ConsultationStatus.DRAFT, summary=word
    )
    in_draft = await _proposal(settings, draft, author, f"{word} im Entwurf", "x")
    await _comment(settings, draft, author, f"{word} im Entwurf", in_draft)
    for url in (
        f"/suche?q={word}",
        *(f"/suche?q={word}&art={k}" for k in ("vorhaben", "vorschlaege", "kommentare")),
    ):
        r = await client.get(url)
        assert r.status_code == 200 and _hits(r.text) == [], (url, _hits(r.text))
        assert "0 Treffer" in r.text

    # A contribution leaves the results the moment it is hidden, and comes back when published.
    r = await client.get("/suche?q=Lastenrad")
    assert _hits(r.text)

    async def hide(db: Any) -> None:
        await db.execute(
            update(Proposal).where(Proposal.id == sample["proposal"]).values(visibility=Visibility.HIDDEN)
        )

    await run_sql(settings, hide)
    assert _hits((await client.get("/suche?q=Lastenrad")).text) == []
    # Its comments go with it.
    assert _hits((await client.get("/suche?q=Fahrradständer")).text) == []


async def test_index_follows_edits_and_deletes(client, settings, sample):
    async def edit(db: Any) -> None:
        await db.execute(
            update(Proposal)
            .where(Proposal.id == sample["proposal"])
            .values(body="Jetzt mit Elektrotransportern.")
        )
        await db.execute(
            update(Comment).where(Comment.id == sample["c2"]).values(body="Lieber Trinkbrunnen.")
        )

    await run_sql(settings, edit)
    assert _hits((await client.get("/suche?q=Lastenrad")).text) == []
    assert _hits((await client.get("/suche?q=Elektrotransportern")).text) == [
        f"/vorschlaege/{sample['proposal']}"
    ]
    assert _hits((await client.get("/suche?q=Sitzbänke")).text) == []
    assert len(_hits((await client.get("/suche?q=Trinkbrunnen")).text)) == 1

    async def remove(db: Any) -> None:
        await db.execute(delete(Comment).where(Comment.id == sample["c2"]))
        await db.execute(delete(Proposal).where(Proposal.id == sample["proposal"]))

    await run_sql(settings, remove)
    assert _hits((await client.get("/suche?q=Trinkbrunnen")).text) == []
    assert _hits((await client.get("/suche?q=Elektrotransportern")).text) == []
    # Counters and states change without touching the index (SQLite: the trigger is per column).
    pid = await _proposal(settings, sample["consultation"], None, "Neu", "Wieder ein Lastenrad.")

    async def count(db: Any) -> None:
        await db.execute(
            update(Proposal).where(Proposal.id == pid).values(support_count=Proposal.support_count + 1)
        )

    await run_sql(settings, count)
    assert _hits((await client.get("/suche?q=Lastenrad")).text) == [f"/vorschlaege/{pid}"]


async def test_hostile_text_is_escaped_and_only_our_marks_are_markup(client, settings, sample):
    cid, author = sample["consultation"], sample["author"]
    body = (
        "Kanalufer <script>alert(1)</script> <mark>falsch</mark> <img src=x onerror=alert(2)> "
        "{{7*7}} %s %(x)s **fett** [Link](javascript:alert(3))"
    )
    pid = await _proposal(settings, cid, author, '<b data-pwn="1">Kanalufer</b>', body)
    await _comment(settings, cid, author, body, pid)
    r = await client.get("/suche?q=Kanalufer")
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<img" not in r.text and "<b " not in r.text
    assert not re.search(r"<[^>]*data-pwn", r.text) and 'href="javascript' not in r.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in r.text
    if settings.database_url.startswith("sqlite"):  # ts_headline leaves out what looks like a tag
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
        assert "&lt;mark&gt;falsch&lt;/mark&gt;" in r.text  # a <mark> typed by someone stays text
    assert "<mark>Kanalufer</mark>" in r.text
    assert "{{7*7}} %s %(x)s" in r.text and "**fett**" not in r.text  # Markdown's syntax is left out
    # Every <mark> on the page is one of ours, around the search word.
    assert set(re.findall(r"<mark>(.*?)</mark>", r.text)) == {"Kanalufer"}
    # The containers of the snippets: no htmx inside, the text's own direction.
    assert re.search(r'<p class="kern-body search-snippet" hx-ignore dir="auto">', r.text)
    # The query itself is text too.
    r = await client.get("/suche", params={"q": '<i data-x="1">Kanalufer</i>'})
    assert r.status_code == 200 and "<i data-x" not in r.text and "&lt;i data-x=" in r.text


def test_markers_pair_up_and_nothing_else_becomes_markup() -> None:
    m = Markers.new()
    raw = f"a <b> {m.stop} {m.start}x{m.start}y{m.stop}{m.stop} z {m.start}open"
    html = str(m.html(raw))
    assert html == "a &lt;b&gt;  <mark>xy</mark> z <mark>open</mark>"
    assert Markers.new().start != m.start


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"Lastenrad',
        "Lastenrad\"'",
        "-",
        "- - -",
        "or",
        "a OR OR b",
        "NEAR(a b)",
        "title:Lastenrad",
        "Lasten*",
        "*",
        "^a",
        "(((",
        ")",
        "&&||!:*<->",
        "'; DROP TABLE proposal; --",
        "\\",
        "%",
        "🚲 Lastenrad 🚲",
        "der die das",
        "x" * 5000,
        "Lastenrad " * 600,
        "ä" * 300,
        "\u202eLastenrad",
    ],
)
async def test_malformed_queries_give_a_page(client, settings, sample, q):
    for art in ("", "vorschlaege"):
        r = await client.get("/suche", params={"q": q, "art": art})
        assert r.status_code == 200, (q, r.status_code)
        assert "<h1" in r.text and "Treffer" in r.text
    if len(q) > 200:
        assert "länger als 200 Zeichen" in r.text


@pytest.mark.parametrize(
    "raw", ["q=%00", "q=a%00b", "q=%01", "q=%ED%A0%80", "q=%FF%FE", "seite=abc&q=a", "art=%00"]
)
async def test_control_characters_and_broken_encodings_are_refused_or_read(client, settings, raw):
    r = await client.get(f"/suche?{raw}")
    assert r.status_code in (200, 400), (raw, r.status_code)
    assert "Traceback" not in r.text and "<h1" in r.text


async def test_paging_and_the_overview(client, settings, sample):
    cid = sample["consultation"]

    async def many(db: Any) -> None:
        for n in range(12):
            db.add(Proposal(consultation_id=cid, title=f"Radweg Nummer {n}", body="Ein Fahrradweg mehr."))

    await run_sql(settings, many)
    r = await client.get("/suche?q=Radweg")
    assert len([h for h in _hits(r.text) if h.startswith("/vorschlaege/")]) == 5
    assert "Alle 12 Treffer in „Vorschläge“ anzeigen" in r.text
    assert 'href="/suche?q=Radweg&amp;art=vorschlaege"' in r.text
    r = await client.get("/suche?q=Radweg&art=vorschlaege")
    assert len(_hits(r.text)) == 10 and "Seite 1 von 2" in r.text
    page2 = await client.get("/suche?q=Radweg&art=vorschlaege&seite=2")
    assert len(_hits(page2.text)) == 2 and not set(_hits(page2.text)) & set(_hits(r.text))
    r = await client.get("/suche?q=Radweg&art=vorschlaege&seite=99")  # past the end: the last page
    assert _hits(r.text) == _hits(page2.text)
    r = await client.get("/suche?q=Radweg&art=unbekannt&seite=-4")  # unknown kind: the overview
    assert r.status_code == 200 and "Alle 12 Treffer" in r.text


async def test_htmx_gets_the_results_block_and_an_announcement(client, settings, sample):
    r = await client.get("/suche?q=Lastenrad", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'id="suche-results"' in r.text
    assert "bt:announce" in r.headers["hx-trigger"] and "1 Treffer" in r.headers["hx-trigger"]
    assert r.headers["hx-push-url"].endswith("/suche?q=Lastenrad")


async def test_search_page_without_query_and_the_links_to_it(client, settings):
    r = await client.get("/suche")
    assert r.status_code == 200 and 'role="search"' in r.text and "Noch keine Suche" in r.text
    assert 'href="/suche"' in (await client.get("/")).text  # the header
    r = await client.get("/vorhaben?q=Lastenrad")
    assert 'href="/suche?q=Lastenrad"' in r.text  # from the Vorhabenliste's search to all contributions


async def test_search_is_scoped_to_the_organisation(client, settings, sample):
    from beteiligung.consultations.models import Consultation
    from beteiligung.organisations.models import Organisation

    async def other(db: Any) -> None:
        org = Organisation(
            slug="celle", name="Stadt Celle", contact_email="a@celle.invalid", contact_address=""
        )
        db.add(org)
        await db.flush()
        c = Consultation(
            organisation_id=org.id, slug="celle", title="Celle", status=ConsultationStatus.PUBLISHED
        )
        db.add(c)
        await db.flush()
        db.add(Proposal(consultation_id=c.id, title="Lastenrad in Celle", body="Lastenrad"))

    await run_sql(settings, other)
    r = await client.get("/suche?q=Lastenrad")
    assert _hits(r.text) == [f"/vorschlaege/{sample['proposal']}"]
    count = await run_sql(
        settings, lambda db: db.scalar(select(Proposal.id).where(Proposal.title == "Lastenrad in Celle"))
    )
    assert count
