"""The admin and author-facing parts of moderation over HTTP: notifications ("Mitteilungen") and
their e-mail, the moderation settings, the audit log and its CSV export, and the public
statistics on the consultation page; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from beteiligung.db import utcnow
from beteiligung.moderation.models import (
    LogAction,
    ModerationLog,
    ModerationSettings,
    Review,
    ReviewStatus,
    Trigger,
)
from beteiligung.notifications.models import Notification
from tests.conftest import login, make_user, post_form
from tests.participation_factories import make_consultation, run_sql

HX = {"HX-Request": "true"}


async def _notify(
    settings: Any, user_id: int, kind: str, params: dict[str, Any], link: str = "", **kw: Any
) -> None:
    async def add(db: Any) -> None:
        db.add(Notification(user_id=user_id, kind=kind, params=params, link=link, **kw))

    await run_sql(settings, add)


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------
async def test_notifications_page_badge_and_mark_read(client, settings):
    uid = await make_user(settings, email="a@example.org", display_name="Jonas")
    other = await make_user(settings, email="b@example.org", display_name="Mareike")
    old = utcnow() - timedelta(days=2)
    await _notify(
        settings,
        uid,
        "moderation_approved",
        {"excerpt": "Mehr Bänke am Sande"},
        "/vorschlaege/1",
        created_at=old,
        updated_at=old,
    )
    await _notify(
        settings,
        uid,
        "moderation_hidden",
        {"excerpt": "Alles Quatsch", "rule": 2, "reason_text": "Bitte sachlich bleiben."},
        "/vorschlaege/2",
    )
    await _notify(settings, other, "moderation_held", {"excerpt": "Nicht für Jonas"})
    await login(client, "a@example.org")

    r = await client.get("/konto")
    assert 'id="notification-badge"' in r.text
    assert re.search(r">2<span class=\"kern-sr-only\"> ungelesene Mitteilungen<", r.text)

    r = await client.get("/konto/mitteilungen")
    assert r.status_code == 200 and "<h1" in r.text
    text = r.text
    assert (
        "Ihr Beitrag „Alles Quatsch“ wurde von der Moderation entfernt: Verstoß gegen Netiquette Nr. 2"
        in text
    )
    assert "Bitte sachlich bleiben." in text and "Mehr Bänke am Sande" in text
    assert "Nicht für Jonas" not in text, "only the signed-in user's notifications"
    assert text.index("Alles Quatsch") < text.index("Mehr Bänke"), "newest first"
    assert text.count(">Neu<") == 2 and 'href="/vorschlaege/2"' in text
    assert "Alle als gelesen markieren" in text

    # htmx: the list block, and the badge emptied out of band
    r = await post_form(client, "/konto/mitteilungen/gelesen", {}, htmx=True)
    assert r.status_code == 200 and "<html" not in r.text and 'id="notifications"' in r.text
    assert '<span id="notification-badge" hx-swap-oob="true"></span>' in r.text
    assert ">Neu<" not in r.text and "bt:announce" in r.headers["hx-trigger"]
    unread = await run_sql(
        settings,
        lambda db: db.scalar(
            select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))
        ),
    )
    assert unread == 1, "the other user's notification stays unread"
    r = await client.get("/konto")
    assert "ungelesene Mitteilung" not in r.text

    # without JavaScript: 303 back to the list, with a message
    await _notify(settings, uid, "moderation_edit", {"excerpt": "Zu lang", "rule": 3, "reason_text": ""})
    r = await post_form(client, "/konto/mitteilungen/gelesen", {})
    assert r.status_code == 303 and r.headers["location"] == "/konto/mitteilungen"
    r = await client.get("/konto/mitteilungen")
    assert "als gelesen markiert" in r.text and ">Neu<" not in r.text


async def test_notifications_read_in_the_viewers_language_and_page(client, settings):
    uid = await make_user(settings, email="a@example.org")
    await login(client, "a@example.org")
    r = await client.get("/konto/mitteilungen")
    assert "Sie haben keine Mitteilungen." in r.text and "Alle als gelesen" not in r.text
    until = (utcnow() + timedelta(days=7)).isoformat()
    await _notify(
        settings, uid, "moderation_blocked", {"until": until, "rule": 5, "reason_text": ""}, "/netiquette"
    )

    async def many(db: Any) -> None:
        for i in range(55):
            db.add(Notification(user_id=uid, kind="moderation_held", params={"excerpt": f"Beitrag {i}"}))

    await run_sql(settings, many)
    r = await client.get("/konto/mitteilungen?seite=2")
    assert r.status_code == 200 and "Seite 2 von 2" in r.text
    r = await client.get("/konto/mitteilungen?seite=abc")
    assert r.status_code == 200 and "Seite 1 von 2" in r.text
    await post_form(client, "/sprache", {"lang": "en", "next": "/konto/mitteilungen"})
    r = await client.get("/konto/mitteilungen?seite=2")
    assert "<h1" in r.text and "Notifications</h1>" in r.text
    assert "Your account is blocked from contributing until" in r.text and "netiquette rule 5" in r.text


async def test_notifications_need_a_login(client, settings):
    r = await client.get("/konto/mitteilungen")
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden?next=")
    r = await post_form(client, "/konto/mitteilungen/gelesen", {})
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")


async def test_decision_mail_goes_to_verified_authors_in_their_language(app, settings, mailbox):
    from beteiligung.app import make_alchemy_config
    from beteiligung.mail.service import Mailer
    from beteiligung.notifications.mail import mail_decision

    de = await make_user(settings, email="de@example.org", display_name="Jonas")
    en = await make_user(settings, email="en@example.org", display_name="Mary")
    unverified = await make_user(settings, email="nv@example.org", verified=False)

    async def english(db: Any) -> None:
        from beteiligung.accounts.models import User

        (await db.get(User, en)).locale = "en"

    await run_sql(settings, english)
    config = make_alchemy_config(settings)
    mailer = Mailer(settings)
    params = {"excerpt": "Alles Quatsch", "rule": 2, "reason_text": "Bitte sachlich bleiben."}
    try:
        async with config.get_session() as db:
            for uid in (de, en, unverified):
                await mail_decision(
                    db,
                    mailer,
                    user_id=uid,
                    kind="moderation_hidden",
                    params=params,
                    link="/vorschlaege/7",
                    base_url="http://testserver.local",
                )
            sent = await mail_decision(
                db,
                mailer,
                user_id=de,
                kind="moderation_blocked",
                params={"until": utcnow().isoformat(), "rule": 8, "reason_text": ""},
                link="/netiquette",
                base_url="http://testserver.local/",
            )
            assert sent
            assert not await mail_decision(
                db, mailer, user_id=de, kind="moderation_approved", params=params, link="", base_url=""
            ), "approvals are told in the account only"
            assert not await mail_decision(
                db, mailer, user_id=999_999, kind="moderation_hidden", params=params, link="", base_url=""
            )
    finally:
        await config.get_engine().dispose()

    assert not mailbox.to("nv@example.org"), "only verified addresses"
    german = mailbox.to("de@example.org")
    assert len(german) == 2
    assert german[0]["Subject"] == "Ihr Beitrag wurde von der Moderation entfernt"
    body = mailbox.text(german[0])
    assert "Hallo Jonas" in body and "Verstoß gegen Netiquette Nr. 2 – Bitte sachlich bleiben." in body
    assert "http://testserver.local/vorschlaege/7" in body and "http://testserver.local/netiquette" in body
    assert "gesperrt" in german[1]["Subject"] and "Netiquette Nr. 8" in mailbox.text(german[1])
    english_mail = mailbox.to("en@example.org")
    assert len(english_mail) == 1 and "moderat" in english_mail[0]["Subject"].lower()
    assert "Hallo" not in mailbox.text(english_mail[0]) and "Bitte sachlich bleiben." in mailbox.text(
        english_mail[0]
    )


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------
SETTINGS_URL = "/verwaltung/moderation/einstellungen"
GOOD = {
    "flag_threshold": "2",
    "max_links": "0",
    "new_account_hours": "48",
    "new_account_posts_per_hour": "2",
    "posts_per_ten_minutes": "5",
    "blocklist": "Schimpfwort\r\n\r\n# Kommentar\r\n  Werbung  \r\n",
}


async def _settings_rows(settings: Any) -> list[ModerationSettings]:
    return await run_sql(settings, lambda db: _all(db, ModerationSettings))


async def _all(db: Any, model: Any) -> list[Any]:
    return list((await db.scalars(select(model))).all())


async def test_settings_defaults_save_and_update(client, settings):
    await make_user(settings, email="admin@example.org", role="admin")
    await login(client, "admin@example.org")
    r = await client.get("/verwaltung")
    assert 'href="/verwaltung/moderation/einstellungen"' in r.text
    assert 'href="/verwaltung/moderation/protokoll"' in r.text
    r = await client.get(SETTINGS_URL)
    assert r.status_code == 200 and 'name="flag_threshold"' in r.text and 'value="3"' in r.text
    assert await _settings_rows(settings) == [], "defaults until the first save"

    r = await post_form(client, SETTINGS_URL, GOOD)
    assert r.status_code == 303 and r.headers["location"] == SETTINGS_URL
    rows = await _settings_rows(settings)
    assert len(rows) == 1
    s = rows[0]
    assert (s.flag_threshold, s.max_links, s.new_account_hours) == (2, 0, 48)
    assert (s.new_account_posts_per_hour, s.posts_per_ten_minutes) == (2, 5)
    assert s.blocklist == "Schimpfwort\n# Kommentar\nWerbung"
    r = await client.get(SETTINGS_URL)
    assert "gespeichert" in r.text and 'value="48"' in r.text and "Schimpfwort" in r.text

    r = await post_form(client, SETTINGS_URL, {**GOOD, "flag_threshold": "5"}, htmx=True)
    assert r.status_code == 200 and r.headers.get("hx-redirect") == SETTINGS_URL
    rows = await _settings_rows(settings)
    assert len(rows) == 1 and rows[0].flag_threshold == 5, "one row per organisation, updated"


async def test_settings_refuse_bad_values_and_keep_them(client, settings):
    await make_user(settings, email="admin@example.org", role="admin")
    await login(client, "admin@example.org")
    bad = {
        **GOOD,
        "flag_threshold": "0",
        "max_links": "-1",
        "new_account_hours": "viele",
        "posts_per_ten_minutes": "99999999999999999999",
        "blocklist": "x" * 101,
    }
    r = await post_form(client, SETTINGS_URL, bad)
    assert r.status_code == 422 and "<html" in r.text
    assert "Bitte geben Sie eine Zahl von 1 bis 100 ein." in r.text
    assert "Bitte geben Sie eine Zahl von 0 bis 50 ein." in r.text
    assert "Bitte geben Sie eine ganze Zahl ein." in r.text
    assert 'value="viele"' in r.text and 'value="-1"' in r.text, "values kept"
    assert "höchstens 100 Zeichen lang" in r.text
    r = await post_form(
        client, SETTINGS_URL, {**GOOD, "blocklist": "\n".join(f"w{i}" for i in range(501))}, htmx=True
    )
    assert r.status_code == 422 and "<html" not in r.text and "höchstens 500 Begriffe" in r.text
    r = await post_form(client, SETTINGS_URL, {**GOOD, "flag_threshold": ""})
    assert r.status_code == 422
    assert await _settings_rows(settings) == []


async def test_settings_and_log_are_for_admins_only(client, settings):
    for role in ("moderator", "staff"):
        await make_user(settings, email=f"{role}@example.org", role=role)
        await login(client, f"{role}@example.org")
        r = await post_form(client, SETTINGS_URL, GOOD)
        assert r.status_code == 403
        r = await client.get("/verwaltung")
        assert "/verwaltung/moderation/einstellungen" not in r.text
        assert "/verwaltung/moderation/protokoll" not in r.text
        await post_form(client, "/abmelden", {})
    assert await _settings_rows(settings) == []


# ---------------------------------------------------------------------------------------------
# Audit log
# ---------------------------------------------------------------------------------------------
async def _log(settings: Any, entries: list[dict[str, Any]]) -> None:
    async def add(db: Any) -> None:
        from beteiligung.organisations.models import Organisation

        org = (await db.scalars(select(Organisation))).first()
        for e in entries:
            db.add(ModerationLog(organisation_id=org.id, **e))

    await run_sql(settings, add)


async def test_log_page_filter_pages_and_links(client, settings):
    cid = await make_consultation(settings)
    await make_user(settings, email="admin@example.org", role="admin")
    await login(client, "admin@example.org")
    r = await client.get("/verwaltung/moderation/protokoll")
    assert r.status_code == 200 and "Keine Einträge." in r.text
    base = utcnow() - timedelta(hours=1)
    await _log(
        settings,
        [
            {
                "moderator_name": "Moderation Lüneburg",
                "action": LogAction.HIDE,
                "target_kind": "proposal",
                "target_id": 41,
                "consultation_id": cid,
                "rule": 2,
                "reason_text": "Beleidigung einer Person",
                "created_at": base,
            },
            {
                "moderator_name": "Moderation Lüneburg",
                "action": LogAction.BLOCK,
                "target_kind": "user",
                "target_id": 9,
                "rule": 8,
                "reason_text": "Zweitkonto",
                "created_at": base + timedelta(minutes=5),
            },
        ]
        + [
            {
                "moderator_name": f"Mod {i}",
                "action": LogAction.APPROVE,
                "target_kind": "comment",
                "target_id": 1000 + i,
                "consultation_id": cid,
                "created_at": base + timedelta(minutes=10 + i),
            }
            for i in range(50)
        ],
    )
    r = await client.get("/verwaltung/moderation/protokoll")
    assert r.status_code == 200 and "52 Einträge" in r.text and "Seite 1 von 2" in r.text
    assert "Mod 49" in r.text and "Beleidigung einer Person" not in r.text, "newest first, 50 a page"
    r = await client.get("/verwaltung/moderation/protokoll?seite=2")
    assert "Beleidigung einer Person" in r.text and 'href="/vorschlaege/41"' in r.text
    assert "Nr. 2: Keine Beleidigungen, Drohungen oder Diskriminierung" in r.text
    assert "Konto Nr. 9" in r.text and "Zweitkonto" in r.text
    r = await client.get("/verwaltung/moderation/protokoll?aktion=hide", headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and 'id="log-results"' in r.text
    assert "1 Eintrag" in r.text and "Beleidigung einer Person" in r.text and "Mod 3" not in r.text
    r = await client.get("/verwaltung/moderation/protokoll?aktion=quatsch&seite=-4")
    assert r.status_code == 200 and "52 Einträge" in r.text


async def test_log_csv_export(client, settings):
    await make_user(settings, email="admin@example.org", role="admin")
    await login(client, "admin@example.org")
    await _log(
        settings,
        [
            {
                "moderator_name": '=HYPERLINK("http://evil")',
                "action": LogAction.HIDE,
                "target_kind": "comment",
                "target_id": 5,
                "consultation_id": 3,
                "rule": 4,
                "reason_text": '+Telefonnummer, "zitiert"\nzweite Zeile',
            },
            {
                "moderator_name": "Jörg Müller",
                "action": LogAction.UNBLOCK,
                "target_kind": "user",
                "target_id": 9,
                "reason_text": "@alle -1",
            },
        ],
    )
    r = await client.get("/verwaltung/moderation/protokoll.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;") and re.search(
        r"moderationsprotokoll-[\w-]+-\d{4}-\d\d-\d\d\.csv", disposition
    )
    assert r.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM (spreadsheets read umlauts)"
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "id",
        "created_at",
        "moderator_name",
        "action",
        "target_kind",
        "target_id",
        "consultation_id",
        "rule",
        "reason_text",
    ]
    assert len(rows) == 3
    first, second = rows[1], rows[2]
    assert first[2] == '\'=HYPERLINK("http://evil")' and first[3] == "hide" and first[7] == "4"
    assert first[8] == '\'+Telefonnummer, "zitiert"\nzweite Zeile'
    assert second[2] == "Jörg Müller" and second[8] == "'@alle -1" and second[6] == "" and second[7] == ""
    assert "T" in first[1] and first[1][:4].isdigit(), "ISO time"


# ---------------------------------------------------------------------------------------------
# Public statistics on the consultation page
# ---------------------------------------------------------------------------------------------
async def test_consultation_page_shows_mode_and_statistics(client, settings):
    cid = await make_consultation(settings)
    r = await client.get("/vorhaben/isek-2030")
    assert "Nachträgliche Moderation: Beiträge erscheinen sofort" in r.text
    assert 'href="/netiquette"' in r.text and "bisher keinen Beitrag entfernt" in r.text

    async def reviews(db: Any) -> None:
        from beteiligung.consultations.models import Consultation
        from beteiligung.proposals.models import Proposal

        consultation = await db.get(Consultation, cid)
        consultation.moderation_mode = "pre"
        now = utcnow()
        specs = [
            (ReviewStatus.HIDDEN, 2, Trigger.FLAGS),
            (ReviewStatus.HIDDEN, 2, Trigger.PRE),
            (ReviewStatus.HIDDEN, 5, Trigger.AUTO),
            (ReviewStatus.HIDDEN, None, Trigger.FLAGS),
            (ReviewStatus.APPROVED, None, Trigger.PRE),
            (ReviewStatus.APPROVED, None, Trigger.PRE),
            (ReviewStatus.APPROVED, None, Trigger.FLAGS),
            (ReviewStatus.OPEN, None, Trigger.PRE),
            (ReviewStatus.EDIT_REQUESTED, 3, Trigger.PRE),
            (ReviewStatus.DISMISSED, None, Trigger.FLAGS),
        ]
        for i, (status, rule, trigger) in enumerate(specs):
            proposal = Proposal(
                consultation_id=cid, title=f"Vorschlag {i}", body="Text für die Statistik der Moderation."
            )
            db.add(proposal)
            await db.flush()
            db.add(
                Review(
                    organisation_id=consultation.organisation_id,
                    consultation_id=cid,
                    proposal_id=proposal.id,
                    status=status,
                    trigger=trigger,
                    rule=rule,
                    opened_at=now,
                )
            )

    await run_sql(settings, reviews)
    r = await client.get("/vorhaben/isek-2030")
    assert "Vorab-Moderation: Beiträge erscheinen nach Freigabe" in r.text
    assert (
        "Moderation in diesem Verfahren: 4 Beiträge entfernt (2 × Netiquette Nr. 2, 1 × Nr. 5, 1 × ohne Regelangabe)"
        in " ".join(r.text.split())
    )
    assert "2 Beiträge wurden nach Prüfung freigegeben." in r.text

    from beteiligung.moderation.stats import moderation_stats

    async def stats(db: Any) -> Any:
        return await moderation_stats(db, cid)

    s = await run_sql(settings, stats)
    assert s.hidden_total == 4 and s.hidden_by_rule == [(2, 2), (5, 1), (None, 1)] and s.approved_pre == 2
