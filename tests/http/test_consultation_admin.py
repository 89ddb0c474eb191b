"""Staff pages for consultations over HTTP, full page and htmx fragment, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from tests.conftest import login, make_user, post_form

BASE = "/verwaltung/vorhaben"
CONSULTATION = {
    "title": "Neugestaltung Am Sande",
    "summary": "Wie soll der Platz Am Sande künftig aussehen? Sagen Sie uns Ihre Meinung.",
    "body": "## Worum es geht\n\nDer Platz wird 2028 umgebaut.",
    "subject": "Die Gestaltung des Platzes; der Rat entscheidet im Herbst.",
    "scope_of_decision": "Bäume, Bänke und Wasserspiele; die Busspur bleibt.",
    "contact_name": "Bereich Stadtplanung",
    "contact_details": "Telefon 04131 309-0",
    "topics": "Innenstadt, Verkehr,  innenstadt ,",
}
PHASE_1 = {
    "kind": "collection",
    "title": "",
    "description": "Reichen Sie Ideen ein.",
    "starts_at": "2027-03-01T10:00",
    "ends_at": "2027-03-15T18:00",
}
PHASE_2 = {
    "kind": "support",
    "title": "Abstimmung",
    "description": "",
    "starts_at": "2027-03-15T18:00",
    "ends_at": "2027-04-01T00:00",
}


async def as_role(client: Any, settings: Any, role: str = "staff") -> None:
    await make_user(settings, email=f"{role}@example.org", role=role)
    await login(client, f"{role}@example.org")


async def load(settings: Any, slug: str) -> Any:
    """The consultation as stored, read in a separate session (phases and topics loaded)."""
    from beteiligung.app import make_alchemy_config
    from beteiligung.consultations.models import Consultation

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            return (await db.scalars(select(Consultation).where(Consultation.slug == slug))).first()
    finally:
        await config.get_engine().dispose()


async def create(client: Any, **changes: str) -> str:
    r = await post_form(client, f"{BASE}/neu", {**CONSULTATION, **changes})
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).rsplit("/", 1)[1]


async def test_create_edit_phases_publish_close(client, settings):
    await as_role(client, settings)
    r = await client.get("/verwaltung")
    assert 'href="/verwaltung/vorhaben"' in r.text and "Beteiligungsverfahren verwalten" in r.text
    r = await client.get(BASE)
    assert r.status_code == 200 and "Es gibt noch keine Beteiligungsverfahren" in r.text

    # Create: a draft, then its edit page.
    r = await post_form(client, f"{BASE}/neu", CONSULTATION)
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}/neugestaltung-am-sande"
    r = await client.get(r.headers["location"])
    assert r.status_code == 200
    assert "als Entwurf angelegt" in r.text and "Entwurf" in r.text
    assert 'value="Innenstadt, Verkehr"' in r.text, "topics: trimmed, one per slug"
    c = await load(settings, "neugestaltung-am-sande")
    assert c.status == "draft" and c.published_at is None and c.phases == []
    assert [t.slug for t in c.topics] == ["innenstadt", "verkehr"]

    # Publishing needs a phase: refused with a message on the edit page.
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/veroeffentlichen", {})
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}/neugestaltung-am-sande"
    r = await client.get(r.headers["location"])
    assert "mindestens eine Phase" in r.text
    assert (await load(settings, "neugestaltung-am-sande")).status == "draft"

    # Edit: the title changes, the address stays; topics are replaced.
    r = await post_form(
        client,
        f"{BASE}/neugestaltung-am-sande",
        {**CONSULTATION, "title": "Neugestaltung des Platzes Am Sande", "topics": "Klimaschutz"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}/neugestaltung-am-sande"
    c = await load(settings, "neugestaltung-am-sande")
    assert c.title == "Neugestaltung des Platzes Am Sande"
    assert [t.name for t in c.topics] == ["Klimaschutz"]

    # Phases: Berlin local time in, aware UTC stored.
    r = await client.get(f"{BASE}/neugestaltung-am-sande/phasen/neu")
    assert r.status_code == 200 and "Art der Phase" in r.text and 'type="datetime-local"' in r.text
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/phasen/neu", PHASE_1)
    assert r.status_code == 303 and r.headers["location"].startswith(f"{BASE}/neugestaltung-am-sande")
    c = await load(settings, "neugestaltung-am-sande")
    [p1] = c.phases
    assert p1.starts_at == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    assert p1.ends_at == datetime(2027, 3, 15, 17, 0, tzinfo=UTC)

    # Overlap refused beside the field, values kept, 422.
    overlap = {**PHASE_2, "starts_at": "2027-03-10T00:00"}
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/phasen/neu", overlap)
    assert r.status_code == 422
    error = r.text.split('id="phase-starts_at-error"', 1)[1].split("</p>", 1)[0]
    assert "überschneidet sich mit der Phase „Vorschläge sammeln“" in html.unescape(error)
    assert 'value="2027-03-10T00:00"' in r.text and 'value="Abstimmung"' in r.text
    assert 'aria-invalid="true"' in r.text and "<title>Fehler:" in r.text
    r = await post_form(
        client, f"{BASE}/neugestaltung-am-sande/phasen/neu", {**PHASE_2, "ends_at": "2027-03-15T18:00"}
    )
    assert r.status_code == 422 and "Das Ende muss nach dem Beginn liegen" in r.text

    # A phase may start exactly when the previous one ends.
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/phasen/neu", PHASE_2)
    assert r.status_code == 303
    c = await load(settings, "neugestaltung-am-sande")
    p1, p2 = c.phases
    assert (p2.title, p2.kind) == ("Abstimmung", "support")

    # Edit a phase: overlapping refused, then a valid change.
    url = f"{BASE}/neugestaltung-am-sande/phasen/{p2.id}"
    r = await client.get(url)
    assert r.status_code == 200 and 'value="2027-03-15T18:00"' in r.text
    r = await post_form(client, url, {**PHASE_2, "starts_at": "2027-03-14T00:00"})
    assert r.status_code == 422 and "überschneidet sich" in r.text
    r = await post_form(client, url, {**PHASE_2, "ends_at": "2027-04-15T12:00"})
    assert r.status_code == 303
    assert (await load(settings, "neugestaltung-am-sande")).phases[1].ends_at == datetime(
        2027, 4, 15, 10, 0, tzinfo=UTC
    )

    # Publish.
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/veroeffentlichen", {})
    assert r.status_code == 303
    r = await client.get(r.headers["location"])
    assert "ist veröffentlicht" in r.text
    c = await load(settings, "neugestaltung-am-sande")
    assert c.status == "published" and c.published_at is not None
    r = await client.get(BASE)
    assert "Laufend" in r.text and "Neugestaltung des Platzes Am Sande" in r.text
    assert 'href="/vorhaben/neugestaltung-am-sande/vorschlaege"' in r.text

    # Phases of a published consultation: one may go, the last one stays.
    r = await post_form(client, f"{url}/loeschen", {})
    assert r.status_code == 303
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/phasen/{p1.id}/loeschen", {})
    assert r.status_code == 303
    r = await client.get(f"{BASE}/neugestaltung-am-sande")
    assert "letzte Phase" in r.text
    assert [p.id for p in (await load(settings, "neugestaltung-am-sande")).phases] == [p1.id]

    # Close, reopen, close.
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/schliessen", {})
    assert r.status_code == 303
    assert (await load(settings, "neugestaltung-am-sande")).status == "closed"
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/wieder-oeffnen", {})
    assert (await load(settings, "neugestaltung-am-sande")).status == "published"
    r = await post_form(client, f"{BASE}/neugestaltung-am-sande/schliessen", {})
    c = await load(settings, "neugestaltung-am-sande")
    assert c.status == "closed"
    r = await client.get(BASE)
    assert "Abgeschlossen" in r.text


async def test_permissions(client, settings):
    r = await client.get(BASE)
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden?next=")
    r = await post_form(client, f"{BASE}/neu", CONSULTATION)
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")

    for role in ("resident", "moderator"):
        await as_role(client, settings, role)
        assert (await client.get(BASE)).status_code == 403
        r = await post_form(client, f"{BASE}/neu", CONSULTATION)
        assert r.status_code == 403 and "keine Berechtigung" in r.text
        r = await client.get("/verwaltung")
        assert 'href="/verwaltung/vorhaben"' not in r.text
        await post_form(client, "/abmelden", {})
    assert await load(settings, "neugestaltung-am-sande") is None

    await as_role(client, settings, "admin")
    slug = await create(client)
    assert (await client.get(f"{BASE}/{slug}")).status_code == 200
    assert (await client.get(f"{BASE}/gibt-es-nicht")).status_code == 404
    assert (await client.get(f"{BASE}/{slug}/phasen/999999")).status_code == 404
    assert (await post_form(client, f"{BASE}/gibt-es-nicht/veroeffentlichen", {})).status_code == 404
    assert (await post_form(client, f"{BASE}/{slug}/phasen/999999/loeschen", {})).status_code == 404


async def test_lookups_stay_in_the_organisation(client, settings):
    """A consultation of another organisation is not found, even with a known slug and phase id."""
    from beteiligung.app import make_alchemy_config
    from beteiligung.consultations.models import Consultation, Phase
    from beteiligung.organisations.models import Organisation

    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            other = Organisation(slug="andere-stadt", name="Andere Stadt", domain="andere.example")
            db.add(other)
            await db.flush()
            foreign = Consultation(organisation_id=other.id, slug="fremd", title="Fremd")
            foreign.phases = [
                Phase(
                    kind="information",
                    starts_at=datetime(2027, 1, 1, tzinfo=UTC),
                    ends_at=datetime(2027, 2, 1, tzinfo=UTC),
                )
            ]
            db.add(foreign)
            await db.commit()
            phase_id = foreign.phases[0].id
    finally:
        await config.get_engine().dispose()
    await as_role(client, settings)
    assert "Fremd" not in (await client.get(BASE)).text
    assert (await client.get(f"{BASE}/fremd")).status_code == 404
    assert (await client.get(f"{BASE}/fremd/phasen/{phase_id}")).status_code == 404
    assert (await post_form(client, f"{BASE}/fremd/veroeffentlichen", {})).status_code == 404
    # The same slug is free in this organisation.
    assert await create(client, title="Fremd") == "fremd"


async def test_bad_input(client, settings):
    await as_role(client, settings)
    r = await post_form(client, f"{BASE}/neu", {})
    assert r.status_code == 422
    assert "Bitte füllen Sie das Feld „Titel“ aus" in r.text and "Kurzbeschreibung" in r.text

    r = await post_form(client, f"{BASE}/neu", {**CONSULTATION, "title": "x" * 201, "summary": "y" * 601})
    assert r.status_code == 422 and "höchstens 200 Zeichen" in r.text and "höchstens 600 Zeichen" in r.text
    assert "x" * 201 in r.text, "values are kept"

    r = await post_form(client, f"{BASE}/neu", {**CONSULTATION, "body": "z" * 20_001})
    assert r.status_code == 422 and "höchstens 20000 Zeichen" in r.text

    many = ", ".join(f"Thema {i}" for i in range(11))
    r = await post_form(client, f"{BASE}/neu", {**CONSULTATION, "topics": many})
    assert r.status_code == 422 and "höchstens 10 Themen" in r.text

    r = await post_form(client, f"{BASE}/neu", {**CONSULTATION, "title": "Bad\x00Title"})
    assert r.status_code == 422 and "Steuerzeichen" in r.text

    # Markup in a title is text, everywhere it is shown.
    slug = await create(client, title='<script>alert("x")</script> Radweg')
    assert slug == "script-alert-x-script-radweg"
    for url in (BASE, f"{BASE}/{slug}", f"{BASE}/{slug}/phasen/neu"):
        r = await client.get(url)
        assert r.status_code == 200 and '<script>alert("x")' not in r.text
        assert "&lt;script&gt;" in r.text

    # Phases: unknown kind, not a date, absurd year, end before start; never a 500.
    bad_phases = [
        ({**PHASE_1, "kind": "quatsch"}, "angebotenen Einträge"),
        ({**PHASE_1, "starts_at": "morgen früh"}, "Datum und Uhrzeit"),
        ({**PHASE_1, "starts_at": "0001-01-01T00:00"}, "zwischen den Jahren 2000 und 2100"),
        ({**PHASE_1, "ends_at": "9999-12-31T23:59"}, "zwischen den Jahren 2000 und 2100"),
        ({**PHASE_1, "ends_at": PHASE_1["starts_at"]}, "Das Ende muss nach dem Beginn liegen"),
        ({**PHASE_1, "title": "t" * 121}, "höchstens 120 Zeichen"),
        ({}, "Bitte füllen Sie das Feld „Beginn“ aus"),
    ]
    for data, message in bad_phases:
        r = await post_form(client, f"{BASE}/{slug}/phasen/neu", data)
        assert r.status_code == 422 and message in r.text, (data, r.status_code)
    assert (await load(settings, slug)).phases == []


async def test_slugs_are_unique_and_avoid_route_names(client, settings):
    await as_role(client, settings)
    assert await create(client, title="Radweg Bockelsberg") == "radweg-bockelsberg"
    assert await create(client, title="Radweg Bockelsberg!") == "radweg-bockelsberg-2"
    assert await create(client, title="Radweg  bockelsberg") == "radweg-bockelsberg-3"
    assert await create(client, title="Neu") == "neu-2", "/verwaltung/vorhaben/neu is the create page"
    assert await create(client, title="Grünflächen über Straßen") == "gruenflaechen-ueber-strassen"
    assert await create(client, title="???") == "vorhaben"


async def test_htmx_gets_the_form_block(client, settings):
    await as_role(client, settings)
    r = await post_form(client, f"{BASE}/neu", {**CONSULTATION, "title": ""}, htmx=True)
    assert r.status_code == 422 and r.text.lstrip().startswith("<form")
    assert "<html" not in r.text and "Bitte füllen Sie das Feld „Titel“ aus" in r.text
    assert 'value="Bereich Stadtplanung"' in r.text, "values are kept"
    assert r.headers["vary"] == "HX-Request"

    r = await post_form(client, f"{BASE}/neu", CONSULTATION, htmx=True)
    assert r.status_code == 200 and r.headers["hx-redirect"] == f"{BASE}/neugestaltung-am-sande"

    r = await post_form(client, f"{BASE}/neugestaltung-am-sande", {**CONSULTATION, "summary": ""}, htmx=True)
    assert r.status_code == 422 and r.text.lstrip().startswith('<form id="consultation"')
    assert "<html" not in r.text and "Phasen" not in r.text

    r = await post_form(
        client,
        f"{BASE}/neugestaltung-am-sande/phasen/neu",
        {**PHASE_1, "ends_at": "2027-01-01T00:00"},
        htmx=True,
    )
    assert r.status_code == 422 and r.text.lstrip().startswith('<form id="phase"')
    assert "<html" not in r.text and "Das Ende muss nach dem Beginn liegen" in r.text


async def test_csrf_failure_gives_the_form_back(client, settings):
    await as_role(client, settings)
    slug = await create(client)
    assert (await post_form(client, f"{BASE}/{slug}/phasen/neu", PHASE_1)).status_code == 303
    phase_id = (await load(settings, slug)).phases[0].id
    for url, data in [
        (f"{BASE}/neu", {**CONSULTATION, "title": "Ohne Token"}),
        (f"{BASE}/{slug}", {**CONSULTATION, "title": "Ohne Token"}),
        (f"{BASE}/{slug}/phasen/neu", {**PHASE_1, "title": "Ohne Token"}),
        (f"{BASE}/{slug}/phasen/{phase_id}", {**PHASE_1, "title": "Ohne Token"}),
    ]:
        r = await client.post(url, data=data)
        assert r.status_code == 403, url
        assert 'value="Ohne Token"' in r.text and "Ihre Eingaben sind noch da" in r.text, url


async def test_every_staff_post_needs_csrf(client, settings):
    await as_role(client, settings)
    slug = await create(client)
    assert (await post_form(client, f"{BASE}/{slug}/phasen/neu", PHASE_1)).status_code == 303
    phase_id = (await load(settings, slug)).phases[0].id
    for action in ("veroeffentlichen", "schliessen", "wieder-oeffnen", f"phasen/{phase_id}/loeschen"):
        for data in ({}, {"_csrf_token": "forged-token"}):
            r = await client.post(f"{BASE}/{slug}/{action}", data=data)
            assert r.status_code == 403, action
    c = await load(settings, slug)
    assert c.status == "draft" and len(c.phases) == 1


async def test_moderation_mode_is_chosen_in_the_form(client, settings):
    await as_role(client, settings)
    r = await client.get(f"{BASE}/neu")
    assert 'name="moderation_mode"' in r.text and "Vorab-Moderation" in r.text
    assert re.search(r'<option value="post" selected[ >]', r.text), "post-moderation is the default"
    slug = await create(client, moderation_mode="pre")
    assert (await load(settings, slug)).moderation_mode == "pre"
    r = await client.get(f"{BASE}/{slug}")
    assert re.search(r'<option value="pre" selected[ >]', r.text)
    # editing without the field (an older form) keeps the mode; a tampered value is refused
    r = await post_form(client, f"{BASE}/{slug}", CONSULTATION)
    assert r.status_code == 303 and (await load(settings, slug)).moderation_mode == "pre"
    r = await post_form(client, f"{BASE}/{slug}", {**CONSULTATION, "moderation_mode": "nie"})
    assert r.status_code == 422 and "Bitte wählen Sie einen der angebotenen Einträge." in r.text
    assert (await load(settings, slug)).moderation_mode == "pre"
    r = await post_form(client, f"{BASE}/{slug}", {**CONSULTATION, "moderation_mode": "post"})
    assert r.status_code == 303 and (await load(settings, slug)).moderation_mode == "post"


async def test_a_refused_phase_comes_back_beside_its_field_and_nothing_is_kept(client, settings, monkeypatch):
    """A refusal from the action (a phase added meanwhile in another tab) after it wrote: the
    form comes back (422, values kept, the message beside the field) and the write is rolled back."""
    from beteiligung.consultations import actions
    from beteiligung.web.errors import Refused

    await as_role(client, settings)
    slug = await create(client)
    real_add_phase = actions.add_phase

    async def add_then_refuse(db: Any, consultation: Any, **values: Any) -> Any:
        await real_add_phase(db, consultation, **values)
        await db.flush()
        raise Refused("Inzwischen überschneidet sich der Zeitraum.", "starts_at")

    monkeypatch.setattr(actions, "add_phase", add_then_refuse)
    r = await post_form(client, f"{BASE}/{slug}/phasen/neu", PHASE_1)
    assert r.status_code == 422
    error = r.text.split('id="phase-starts_at-error"', 1)[1].split("</p>", 1)[0]
    assert "Inzwischen überschneidet sich der Zeitraum." in html.unescape(error)
    assert 'value="2027-03-01T10:00"' in r.text and "Neugestaltung Am Sande" in r.text
    assert (await load(settings, slug)).phases == []

    # A button: the refusal is a message on the page it returns to.
    r = await post_form(client, f"{BASE}/{slug}/veroeffentlichen", {})
    assert r.status_code == 303
    r = await client.get(r.headers["location"])
    assert "Bitte legen Sie zuerst mindestens eine Phase an." in html.unescape(r.text)
