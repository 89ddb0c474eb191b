""" "Meine Daten" (Art. 15/20 DSGVO), "Meine Beiträge" and the way to the notifications (issue 20).

* The export holds every row of every user column, each row once with the person's roles; the
  demo resident's proposals are in hers (they were lost: the last user column of a table won).
* Erasure leaves no row pointing at the account in any user column.
* The page "Meine Daten" is readable: sections with headings and labels, local times, links,
  no internal columns; a table without its own presentation is still listed.
* "Meine Beiträge" lists proposals, comments, supports, survey responses and meeting questions
  with their status in plain words, newest first, paged, filtered by kind.
* The header always links to "Mitteilungen" and "Meine Beiträge".
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from beteiligung.accounts.models import User
from beteiligung.accounts.privacy import references_to_user, user_columns
from beteiligung.app import make_alchemy_config
from beteiligung.db import metadata
from tests.conftest import DEMO_PASSWORD, login, make_user, post_form, reset_database
from tests.participation_factories import make_consultation, run_sql

RESIDENT = "einwohnerin@demo.beteiligung.invalid"
STAFF = "verwaltung@demo.beteiligung.invalid"


async def _seed_demo(settings: Any) -> None:
    from beteiligung.demo.seed import seed_demo

    await reset_database(settings)
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            await seed_demo(db)
    finally:
        await config.get_engine().dispose()


async def _user_id(settings: Any, email: str) -> int:
    return int(await run_sql(settings, lambda db: db.scalar(select(User.id).where(User.email == email))))


async def _export(client: Any) -> dict[str, Any]:
    r = await client.get("/konto/daten/export.json")
    assert r.status_code == 200
    return json.loads(r.content)  # type: ignore[no-any-return]


def _header(html: str) -> str:
    return html.split("<header", 1)[1].split("</header>", 1)[0]


# --------------------------------------------------------------------------------------------
# 1. Every user column is exported, and erased
# --------------------------------------------------------------------------------------------
async def test_a_table_with_several_user_columns_exports_the_rows_of_each(client, settings):
    """proposal points at people three times (author, recorded_by, answered_by): each person's
    export has the rows where any of them is that person, once, with the roles."""
    from beteiligung.proposals.models import AnswerState, Proposal, Source

    cid = await make_consultation(settings)
    author = await make_user(settings, email="autorin@example.org", display_name="Autorin")
    staff = await make_user(settings, email="staff@example.org", display_name="Sachbearbeiter", role="staff")

    async def arrange(db: Any) -> dict[str, int]:
        online = Proposal(
            consultation_id=cid,
            author_id=author,
            title="Mehr Bänke am Stint",
            body="Zum Ausruhen.",
            answer_state=AnswerState.ACCEPTED,
            answer_text="Wird gemacht.",
            answered_by_id=staff,
        )
        paper = Proposal(
            consultation_id=cid,
            title="Briefkasten am Rathaus",
            body="Vom Papierbogen.",
            source=Source.PAPER,
            recorded_by_id=staff,
            answered_by_id=staff,
            answer_state=AnswerState.IN_REVIEW,
        )
        db.add_all([online, paper])
        await db.flush()
        return {"online": online.id, "paper": paper.id}

    ids = await run_sql(settings, arrange)

    await login(client, "autorin@example.org")
    mine = (await _export(client))["tables"]["proposal"]
    assert [(p["id"], p["title"], p["_roles"]) for p in mine] == [
        (ids["online"], "Mehr Bänke am Stint", ["author"])
    ]
    await post_form(client, "/abmelden", {})

    await login(client, "staff@example.org")
    rows = {p["id"]: p["_roles"] for p in (await _export(client))["tables"]["proposal"]}
    assert rows == {ids["online"]: ["answered_by"], ids["paper"]: ["recorded_by", "answered_by"]}
    page = await client.get("/konto/daten")
    assert "Von Ihnen beantwortet" in page.text and "Von Ihnen erfasst" in page.text


async def test_the_demo_residents_proposals_are_in_her_export(client, settings):
    from beteiligung.proposals.models import Proposal

    await _seed_demo(settings)
    uid = await _user_id(settings, RESIDENT)
    own = await run_sql(
        settings,
        lambda db: db.execute(select(Proposal.id, Proposal.title).where(Proposal.author_id == uid)),
    )
    own = sorted(own.all())
    assert own, "the demo resident wrote a proposal"

    await login(client, RESIDENT)
    data = await _export(client)
    assert sorted((p["id"], p["title"]) for p in data["tables"]["proposal"]) == own
    assert all(p["_roles"] == ["author"] for p in data["tables"]["proposal"])
    page = await client.get("/konto/daten")
    for pid, title in own:
        assert f'href="/vorschlaege/{pid}"' in page.text and title in page.text
    mine = await client.get("/konto/beitraege?art=vorschlaege")
    for pid, title in own:
        assert f'href="/vorschlaege/{pid}"' in mine.text and title in mine.text


async def test_every_user_column_is_in_the_export_and_the_erasure_check():
    """Schema: each user column is exported (as a role) and goes with the account (cascade or
    set null), so deleting an account never fails on a foreign key and leaves no pointer."""
    expected = {
        (t.name, c.name)
        for t in metadata.sorted_tables
        for c in t.columns
        if any(fk.column.table.name == "user_account" for fk in c.foreign_keys)
    }
    exported = {(t.name, c) for t, cols in user_columns().items() for c in cols}
    assert exported == expected
    assert {
        ("proposal", "author_id"),
        ("proposal", "answered_by_id"),
        ("review", "decided_by_id"),
    } <= exported
    for t in metadata.sorted_tables:
        for c in t.columns:
            for fk in c.foreign_keys:
                if fk.column.table.name == "user_account":
                    assert fk.ondelete in ("CASCADE", "SET NULL"), (t.name, c.name)
                    assert fk.ondelete == "CASCADE" or c.nullable, (t.name, c.name)


async def test_erasure_leaves_no_row_pointing_at_the_account_in_any_user_column(client, settings):
    await _seed_demo(settings)
    resident, staff = await _user_id(settings, RESIDENT), await _user_id(settings, STAFF)

    async def references(uid: int) -> dict[str, int]:
        return await run_sql(settings, lambda db: references_to_user(db, uid))  # type: ignore[no-any-return]

    before = await references(resident), await references(staff)
    assert {"proposal.author_id", "comment.author_id", "support.user_id"} <= set(before[0])
    assert {"proposal.answered_by_id", "proposal.recorded_by_id"} <= set(before[1])

    for email in (RESIDENT, STAFF):
        await login(client, email)
        r = await post_form(client, "/konto/loeschen", {"current_password": DEMO_PASSWORD, "confirm": "on"})
        assert r.status_code == 303, r.text
    assert await references(resident) == {} and await references(staff) == {}


# --------------------------------------------------------------------------------------------
# 2. "Meine Daten" reads like a page, not a dump
# --------------------------------------------------------------------------------------------
async def test_the_data_page_has_sections_labels_and_local_times_and_no_internal_columns(client, settings):
    from beteiligung.comments.models import Comment
    from beteiligung.proposals.models import Proposal

    cid = await make_consultation(settings)
    uid = await make_user(settings, email="lesbar@example.org", display_name="Lesbare Probe")
    winter = datetime(2030, 1, 15, 23, 30, tzinfo=UTC)  # 00:30 on 16 January in Lüneburg

    async def arrange(db: Any) -> None:
        await db.execute(update(User).where(User.id == uid).values(created_at=winter))
        proposal = Proposal(
            consultation_id=cid,
            author_id=uid,
            title="Trinkbrunnen",
            body="Am Markt.",
            submission_key="k" * 32,
        )
        db.add(proposal)
        await db.flush()
        db.add(Comment(consultation_id=cid, proposal_id=proposal.id, author_id=uid, body="Gerne auch zwei."))

    await run_sql(settings, arrange)
    await login(client, "lesbar@example.org")
    page = await client.get("/konto/daten")
    assert page.status_code == 200
    html = page.text
    main = html.split("<main", 1)[1]
    for raw in (
        "auth_version",
        "submission_key",
        "voter_key",
        "password_hash",
        "_roles",
        "user_account",
        "k" * 32,
    ):
        assert raw not in main, raw
    shown = re.sub(r'datetime="[^"]*"', "", main)  # <time datetime> is for machines
    assert "16. Januar 2030, 00:30 Uhr" in main
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", shown), "no ISO/UTC timestamps in the text"
    for heading in ("Konto", "Rollen", "Vorschläge", "Kommentare"):
        assert f">{heading} <span" in main, heading
    empty = main.split('id="daten-leer">', 1)[1].split("</p>", 1)[0]
    assert "Einwilligungen" in empty and "Unterstützungen" in empty and "Mitteilungen" in empty
    assert "E-Mail-Adresse" in main and "Konto angelegt am" in main and "Lesbare Probe" in main
    assert 'href="/vorschlaege/' in main and "#comment-" in main
    assert "Trinkbrunnen" in main and "Gerne auch zwei." in main
    # The user's text sits in containers htmx ignores, isolated for right-to-left text.
    assert re.search(r'<ul class="card-list data-list" hx-ignore>', main)
    assert 'dir="auto"' in main

    await post_form(client, "/konto/profil", {"display_name": "Lesbare Probe", "locale": "en"})
    english = await client.get("/konto/daten")
    assert "January 16, 2030" in english.text and "16. Januar" not in english.text

    data = await _export(client)  # the JSON stays complete and machine-readable
    assert data["account"]["auth_version"] == 1 and data["account"]["created_at"].startswith(
        "2030-01-15T23:30"
    )
    assert data["tables"]["proposal"][0]["submission_key"] == "k" * 32


async def test_a_table_without_its_own_section_is_listed_with_labelled_columns(app, settings):
    from beteiligung import i18n
    from beteiligung.accounts.privacy import collect_user_data
    from beteiligung.mine.data_view import SECTION_NAMES, data_sections, generic_section

    section = generic_section(
        "parking_permit",
        [
            {
                "id": 7,
                "plate_number": "LG-AB 123",
                "valid_until": datetime(2030, 6, 30, 22, 0, tzinfo=UTC),
                "created_at": "2030-01-02T08:00:00+00:00",
                "qr_hash": "deadbeef",
                "submission_key": "x" * 16,
                "_roles": ["user"],
            }
        ],
    )
    (entry,) = section.entries
    shown = {item.label: item for item in entry.items}
    assert "parking permit" in section.heading
    assert shown["Plate number"].value == "LG-AB 123"
    assert shown["Valid until"].time == datetime(2030, 6, 30, 22, 0, tzinfo=UTC)
    assert shown["Angelegt am"].time == datetime(2030, 1, 2, 8, 0, tzinfo=UTC)
    assert not {"Id", "Qr hash", "Submission key", "_roles"} & set(shown)

    # Every table of the export is on the page: its own section, or a generic one.
    uid = await make_user(settings, email="alle@example.org")
    i18n.current_locale.set("de")

    async def both(db: Any) -> tuple[set[str], set[str]]:
        user = await db.get(User, uid)
        tables = set((await collect_user_data(db, user))["tables"]) - {"survey_answer"}
        return tables, {s.key for s in await data_sections(db, user)}

    tables, keys = await run_sql(settings, both)
    assert tables <= keys and "account" in keys
    assert set(SECTION_NAMES) - {"account"} <= tables, "a dedicated section for a table that is gone"


# --------------------------------------------------------------------------------------------
# 3. Meine Beiträge
# --------------------------------------------------------------------------------------------
async def _arrange_contributions(settings: Any, uid: int, other: int) -> dict[str, int]:
    from beteiligung.comments.models import Comment
    from beteiligung.consultations.states import Visibility
    from beteiligung.meetings.models import MeetingQuestion, QuestionStatus
    from beteiligung.moderation.models import Review, ReviewStatus, Trigger
    from beteiligung.organisations.models import Organisation
    from beteiligung.proposals.models import AnswerState, Proposal, Support
    from beteiligung.surveys.models import SurveyResponse
    from tests.meeting_factories import make_meeting
    from tests.survey_factories import make_survey

    cid = await make_consultation(settings, title="Innenstadt 2035")
    survey = await make_survey(settings, cid, title="Umfrage zum Marktplatz")
    meeting = await make_meeting(settings, title="Bürgerversammlung Sande", state="live")
    base = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)

    async def arrange(db: Any) -> dict[str, int]:
        org = (await db.scalars(select(Organisation))).first()
        t = iter(base + timedelta(hours=h) for h in range(100))
        answered = Proposal(
            consultation_id=cid,
            author_id=uid,
            title="Schattenbäume am Sande",
            body="Bitte **Linden**.",
            answer_state=AnswerState.ACCEPTED,
            created_at=next(t),
        )
        held = Proposal(
            consultation_id=cid,
            author_id=uid,
            title="Fahrradparkhaus",
            body="Am Bahnhof.",
            visibility=Visibility.HELD,
            created_at=next(t),
        )
        others = Proposal(
            consultation_id=cid, author_id=other, title="Fremder Vorschlag", body="x", created_at=next(t)
        )
        db.add_all([answered, held, others])
        await db.flush()
        hidden = Comment(
            consultation_id=cid,
            proposal_id=others.id,
            author_id=uid,
            body="Ein unfreundlicher Satz.",
            visibility=Visibility.HIDDEN,
            created_at=next(t),
        )
        public = Comment(consultation_id=cid, author_id=uid, body="Ein guter Gedanke.", created_at=next(t))
        db.add_all([hidden, public])
        await db.flush()
        db.add(Support(proposal_id=others.id, user_id=uid, created_at=next(t)))
        db.add(SurveyResponse(survey_id=survey.id, user_id=uid, submitted_at=next(t)))
        question = MeetingQuestion(
            meeting_id=meeting,
            author_id=uid,
            voter_key=f"u:{uid}",
            body="Wann kommen die Bäume?",
            submission_key="q1",
            status=QuestionStatus.ANSWERED,
            answer_note="Im Herbst.",
            created_at=next(t),
        )
        db.add(question)
        opened = next(t)
        db.add(
            Review(
                organisation_id=org.id,
                consultation_id=cid,
                proposal_id=held.id,
                author_id=uid,
                trigger=Trigger.AUTO,
                auto_reasons="rate",
                opened_at=opened,
            )
        )
        db.add(
            Review(
                organisation_id=org.id,
                consultation_id=cid,
                comment_id=hidden.id,
                author_id=uid,
                trigger=Trigger.FLAGS,
                status=ReviewStatus.HIDDEN,
                rule=2,
                reason_text="Bitte sachlich bleiben.",
                opened_at=opened,
                decided_at=opened,
            )
        )
        to_revise = Comment(
            consultation_id=cid,
            author_id=uid,
            body="Was hat das mit dem Thema zu tun?",
            visibility=Visibility.HELD,
            created_at=base - timedelta(hours=1),
        )
        db.add(to_revise)
        await db.flush()
        db.add(
            Review(
                organisation_id=org.id,
                consultation_id=cid,
                comment_id=to_revise.id,
                author_id=uid,
                trigger=Trigger.PRE,
                status=ReviewStatus.EDIT_REQUESTED,
                rule=3,
                opened_at=opened,
                decided_at=opened,
            )
        )
        # someone else's contribution is not listed
        db.add(Comment(consultation_id=cid, author_id=other, body="Nicht von mir.", created_at=next(t)))
        await db.flush()
        return {
            "answered": answered.id,
            "held": held.id,
            "others": others.id,
            "hidden": hidden.id,
            "public": public.id,
            "survey": survey.id,
            "meeting": meeting,
            "question": question.id,
        }

    return await run_sql(settings, arrange)  # type: ignore[no-any-return]


async def test_my_contributions_lists_everything_with_its_status_newest_first(client, settings):
    uid = await make_user(settings, email="aktiv@example.org", display_name="Aktive Person")
    other = await make_user(settings, email="andere@example.org", display_name="Andere Person")
    ids = await _arrange_contributions(settings, uid, other)

    assert (await client.get("/konto/beitraege")).status_code == 303  # signed in only
    await login(client, "aktiv@example.org")
    r = await client.get("/konto/beitraege")
    assert r.status_code == 200
    main = r.text.split("<main", 1)[1]
    links = [
        f'href="/veranstaltungen/{ids["meeting"]}#frage-{ids["question"]}"',
        f'href="/umfragen/{ids["survey"]}"',
        f'href="/vorschlaege/{ids["others"]}"',  # the support
        '#comment-{}"'.format(ids["public"]),
        f'href="/vorschlaege/{ids["others"]}#comment-{ids["hidden"]}"',
        f'href="/vorschlaege/{ids["held"]}"',
        f'href="/vorschlaege/{ids["answered"]}"',
    ]
    positions = [main.find(link) for link in links]
    assert all(p > 0 for p in positions), list(zip(links, positions, strict=True))
    assert positions == sorted(positions), "newest first"
    assert "Nicht von mir." not in main and "Fremder Vorschlag" in main  # the supported proposal
    assert "8 Einträge" in main
    assert "bittet Sie, den Beitrag zu überarbeiten" in main and "Verstoß gegen Netiquette Nr. 3" in main
    # status in plain words
    assert "Antwort der Verwaltung: Angenommen" in main
    assert "Wartet auf Freigabe" in main and "Sie haben in kurzer Zeit viele Beiträge geschrieben." in main
    assert "Von der Moderation entfernt" in main and "Nr. 2: Keine Beleidigungen" in main
    assert "Bitte sachlich bleiben." in main and 'href="/netiquette"' in main
    assert "In der Veranstaltung: Beantwortet" in main and "Im Herbst." in main
    assert "Abgeschickt" in main and "Unterstützt" in main
    assert "Schattenbäume am Sande" in main and "Linden" in main and "**" not in main
    assert '<ul class="card-list" hx-ignore>' in main and 'dir="auto"' in main

    comments = await client.get("/konto/beitraege?art=kommentare")
    text = comments.text.split("<main", 1)[1]
    assert "3 Einträge" in text and "Ein guter Gedanke." in text and "Schattenbäume" not in text
    assert 'aria-current="page">Kommentare (3)' in text

    for odd in ("?art=%3Cscript%3E", "?seite=abc", "?seite=-3", "?seite=99999999999", "?art=fragen&seite=7"):
        assert (await client.get("/konto/beitraege" + odd)).status_code == 200, odd


async def test_my_contributions_are_paged(client, settings):
    from beteiligung.comments.models import Comment
    from beteiligung.mine.contributions import PER_PAGE

    cid = await make_consultation(settings)
    uid = await make_user(settings, email="viel@example.org")
    base = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)

    async def arrange(db: Any) -> None:
        for n in range(PER_PAGE + 3):
            db.add(
                Comment(
                    consultation_id=cid,
                    author_id=uid,
                    body=f"Beitrag Nummer {n:03d}",
                    created_at=base + timedelta(minutes=n),
                )
            )

    await run_sql(settings, arrange)
    await login(client, "viel@example.org")
    first = (await client.get("/konto/beitraege")).text
    assert f"Beitrag Nummer {PER_PAGE + 2:03d}" in first and "Beitrag Nummer 002" not in first
    assert "Seite 1 von 2" in first and 'href="/konto/beitraege?seite=2"' in first
    second = (await client.get("/konto/beitraege?seite=2")).text
    assert "Beitrag Nummer 000" in second and f"Beitrag Nummer {PER_PAGE + 2:03d}" not in second
    filtered = (await client.get("/konto/beitraege?art=kommentare")).text
    assert 'href="/konto/beitraege?art=kommentare&amp;seite=2"' in filtered


async def test_my_contributions_in_english(client, settings):
    uid = await make_user(settings, email="english@example.org")
    await _arrange_contributions(settings, uid, await make_user(settings, email="x@example.org"))
    await login(client, "english@example.org")
    await post_form(client, "/konto/profil", {"display_name": "Heide", "locale": "en"})
    r = await client.get("/konto/beitraege")
    assert r.status_code == 200 and 'lang="en"' in r.text
    assert "March 1, 2031" in r.text


async def test_nothing_yet(client, settings):
    await make_user(settings, email="neu@example.org")
    await login(client, "neu@example.org")
    r = await client.get("/konto/beitraege")
    assert r.status_code == 200 and "Sie haben noch nichts beigetragen." in r.text


# --------------------------------------------------------------------------------------------
# 4. The way to the notifications
# --------------------------------------------------------------------------------------------
async def test_the_header_always_links_to_notifications_and_contributions(client, settings):
    await make_user(settings, email="leser@example.org")
    await login(client, "leser@example.org")
    for path in ("/", "/konto", "/konto/daten"):
        header = _header((await client.get(path)).text)
        assert 'href="/konto/mitteilungen"' in header and ">Mitteilungen</a>" in header, path
        assert 'href="/konto/beitraege"' in header, path
    header = _header((await client.get("/konto/mitteilungen")).text)
    assert 'href="/konto/mitteilungen" aria-current="page">Mitteilungen' in header
    assert 'href="/konto" aria-current' not in header
    account = (await client.get("/konto")).text.split("<main", 1)[1]
    assert 'href="/konto/beitraege"' in account and 'href="/konto/mitteilungen"' in account
    await post_form(client, "/abmelden", {})
    assert 'href="/konto/mitteilungen"' not in _header((await client.get("/")).text)
