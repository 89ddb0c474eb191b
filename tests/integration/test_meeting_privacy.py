"""Meetings in the data export (DS-08) and at erasure (DS-09): a participant's questions, votes,
ballots (with the options chosen), speaker entries and registrations are in "Meine Daten";
deleting the account removes registrations and open speaker requests and anonymises the rest
(voter keys, the name on the speaker list and in the minutes) while every count stays exact."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from beteiligung.app import make_alchemy_config
from beteiligung.db import metadata
from beteiligung.meetings.models import (
    Meeting,
    MeetingPoll,
    MeetingPollBallot,
    MeetingPollChoice,
    MeetingPollOption,
    MeetingQuestion,
    MeetingQuestionVote,
    MeetingRegistration,
    MeetingSpeaker,
    PollState,
    SpeakerStatus,
)
from tests.conftest import DEMO_PASSWORD, login, make_user, post_form
from tests.meeting_factories import make_meeting
from tests.participation_factories import run_sql

NAME, EMAIL = "Pia_Probe 9c1e", "pia-9c1e@example.org"
OWN_QUESTION = "Wie wird der Lieferverkehr am Sande bis 2030 emissionsfrei?"
OTHER_QUESTION = "Gibt es bald mehr Fahrradbügel am Bahnhof?"


async def _arrange(settings: Any, past: int, live: int, pia: int, other: int) -> None:
    """Pia asked and upvoted, voted in a poll, spoke (point of order) in the past meeting and
    waits to speak in the live one; she registered for both."""

    async def arrange(db: Any) -> None:
        meeting = await db.get(Meeting, past)
        own = MeetingQuestion(
            meeting_id=past, author_id=pia, voter_key=f"u:{pia}", body=OWN_QUESTION, submission_key="p1"
        )
        theirs = MeetingQuestion(
            meeting_id=past, author_id=other, voter_key=f"u:{other}", body=OTHER_QUESTION, submission_key="o1"
        )
        db.add_all([own, theirs])
        await db.flush()
        db.add(MeetingQuestionVote(question_id=theirs.id, voter_key=f"u:{pia}", user_id=pia))
        db.add(MeetingQuestionVote(question_id=own.id, voter_key=f"u:{other}", user_id=other))
        own.vote_count = theirs.vote_count = 1
        poll = MeetingPoll(
            meeting_id=past, question="Wo soll der Logistik-Hub hin?", state=PollState.OPEN, ballot_count=2
        )
        poll.options = [
            MeetingPollOption(position=1, label="Am Bahnhof", vote_count=1),
            MeetingPollOption(position=2, label="Im Roten Feld", vote_count=1),
        ]
        db.add(poll)
        await db.flush()
        for user_id, option in ((pia, 1), (other, 0)):
            ballot = MeetingPollBallot(poll_id=poll.id, voter_key=f"u:{user_id}", user_id=user_id)
            db.add(ballot)
            await db.flush()
            db.add(MeetingPollChoice(ballot_id=ballot.id, option_id=poll.options[option].id))
        for meeting_id, status, position in ((past, SpeakerStatus.DONE, 1), (live, SpeakerStatus.WAITING, 1)):
            db.add(
                MeetingSpeaker(
                    meeting_id=meeting_id,
                    agenda_item_id=meeting.agenda[0].id if meeting_id == past else None,
                    user_id=pia,
                    voter_key=f"u:{pia}",
                    display_name=NAME,
                    point_of_order=True,
                    position=position,
                    status=status,
                )
            )
        db.add(
            MeetingSpeaker(
                meeting_id=past,
                agenda_item_id=meeting.agenda[0].id,
                user_id=other,
                voter_key=f"u:{other}",
                display_name="Olaf vom Stint",
                position=2,
                status=SpeakerStatus.DONE,
            )
        )
        db.add_all(
            [
                MeetingRegistration(meeting_id=past, user_id=pia),
                MeetingRegistration(meeting_id=live, user_id=pia),
                MeetingRegistration(meeting_id=past, user_id=other),
            ]
        )

    await run_sql(settings, arrange)


async def test_meeting_data_is_exported_and_anonymised_at_erasure(client, settings):
    past = await make_meeting(settings, state="live", title="Bürgerversammlung Lieferverkehr")
    live = await make_meeting(settings, state="live", title="Bürgerversammlung Innenstadt")
    pia = await make_user(settings, email=EMAIL, display_name=NAME)
    other = await make_user(settings, email="olaf@example.org", display_name="Olaf vom Stint")
    await make_user(settings, email="staff@example.org", role="staff")
    await _arrange(settings, past, live, pia, other)

    # Staff end the past meeting (its poll closes, the minutes name Pia as a speaker) and publish.
    await login(client, "staff@example.org")
    r = await post_form(
        client, f"/verwaltung/veranstaltungen/{past}/status", {"status": "ended", "beenden_bestaetigt": "ja"}
    )
    assert r.status_code == 303
    r = await post_form(
        client, f"/verwaltung/veranstaltungen/{past}/protokoll", {"aktion": "veroeffentlichen"}
    )
    assert r.status_code == 303
    minutes = (await run_sql(settings, lambda db: db.get(Meeting, past))).minutes
    assert "1. Pia\\_Probe 9c1e (zur Geschäftsordnung)" in minutes and "2. Olaf vom Stint" in minutes
    await post_form(client, "/abmelden", {})

    # Export: every meeting row of hers, readable.
    await login(client, EMAIL)
    data = json.loads((await client.get("/konto/daten/export.json")).content)
    tables = data["tables"]
    (question,) = tables["meeting_question"]
    assert question["body"] == OWN_QUESTION and question["meeting"] == "Bürgerversammlung Lieferverkehr"
    assert question["created_at"] and question["voter_key"] == f"u:{pia}"
    (vote,) = tables["meeting_question_vote"]
    assert vote["question"] == OTHER_QUESTION and vote["meeting"] == "Bürgerversammlung Lieferverkehr"
    (ballot,) = tables["meeting_poll_ballot"]
    assert ballot["poll"] == "Wo soll der Logistik-Hub hin?" and ballot["chosen_options"] == "Im Roten Feld"
    speakers = sorted(tables["meeting_speaker"], key=lambda row: row["meeting_id"])
    assert [(s["meeting"], s["status"], s["point_of_order"]) for s in speakers] == [
        ("Bürgerversammlung Lieferverkehr", "done", True),
        ("Bürgerversammlung Innenstadt", "waiting", True),
    ]
    assert {r["meeting"] for r in tables["meeting_registration"]} == {
        "Bürgerversammlung Lieferverkehr",
        "Bürgerversammlung Innenstadt",
    }
    page = await client.get("/konto/daten")
    assert page.status_code == 200 and "Im Roten Feld" in page.text and OTHER_QUESTION in page.text

    async def counts(db: Any) -> dict[str, Any]:
        return {
            "votes": await db.scalar(select(func.count()).select_from(MeetingQuestionVote)),
            "ballots": await db.scalar(select(func.count()).select_from(MeetingPollBallot)),
            "choices": await db.scalar(select(func.count()).select_from(MeetingPollChoice)),
            "vote_counts": sorted((await db.scalars(select(MeetingQuestion.vote_count))).all()),
            "option_counts": sorted((await db.scalars(select(MeetingPollOption.vote_count))).all()),
            "ballot_count": await db.scalar(select(MeetingPoll.ballot_count)),
        }

    before = await run_sql(settings, counts)

    # Erasure.
    r = await post_form(client, "/konto/loeschen", {"current_password": DEMO_PASSWORD, "confirm": "on"})
    assert r.status_code == 303

    async def after(db: Any) -> dict[str, Any]:
        return {
            "registrations": [
                (r.meeting_id, r.user_id) for r in (await db.scalars(select(MeetingRegistration))).all()
            ],
            "speakers": sorted(
                (s.meeting_id, s.status, s.display_name, s.voter_key, s.user_id)
                for s in (await db.scalars(select(MeetingSpeaker))).all()
            ),
            "questions": {
                q.body: (q.author_id, q.voter_key) for q in (await db.scalars(select(MeetingQuestion))).all()
            },
            "vote_keys": sorted((await db.scalars(select(MeetingQuestionVote.voter_key))).all()),
            "ballot_keys": sorted((await db.scalars(select(MeetingPollBallot.voter_key))).all()),
            "minutes": (await db.get(Meeting, past)).minutes,
        }

    state = await run_sql(settings, after)
    assert state["registrations"] == [(past, other)], "her registrations are gone, Olaf's stays"
    done = [s for s in state["speakers"] if s[0] == past]
    assert [s[0] for s in state["speakers"]] == [past, past], "her waiting request in the live room is gone"
    erased = next(s for s in done if s[2] == "Gelöschtes Konto")
    assert erased[1] == SpeakerStatus.DONE and erased[3].startswith("d:") and erased[4] is None
    assert any(s[2] == "Olaf vom Stint" and s[3] == f"u:{other}" for s in done)
    own_author, own_key = state["questions"][OWN_QUESTION]
    assert own_author is None and own_key.startswith("d:"), "her question stays, linked to nobody"
    assert state["questions"][OTHER_QUESTION] == (other, f"u:{other}")
    assert f"u:{other}" in state["vote_keys"] and any(k.startswith("d:") for k in state["vote_keys"])
    assert f"u:{pia}" not in state["vote_keys"] + state["ballot_keys"]
    assert "1. Gelöschtes Konto (zur Geschäftsordnung)" in state["minutes"]
    assert "2. Olaf vom Stint" in state["minutes"]
    assert await run_sql(settings, counts) == before, "every count stays exact"

    # Nothing of her is left anywhere: neither name (also escaped) nor address nor voter key.
    config = make_alchemy_config(settings)
    try:
        async with config.get_session() as db:
            for table in metadata.sorted_tables:
                rows = (await db.execute(select(table))).all()
                dump = json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False)
                for needle in (NAME, "Pia\\\\_Probe", EMAIL, f'"u:{pia}"'):
                    assert needle not in dump, (table.name, needle)
    finally:
        await config.get_engine().dispose()

    # The published minutes show the anonymised speaker list.
    page = await client.get(f"/veranstaltungen/{past}/protokoll")
    assert page.status_code == 200 and "Gelöschtes Konto" in page.text and "Pia" not in page.text
