"""The participation rules as a table: role × phase × state, with the clock as a parameter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beteiligung.accounts.models import Role
from beteiligung.accounts.permissions import ANONYMOUS, Actor
from beteiligung.comments.models import Comment
from beteiligung.comments.permissions import (
    EDIT_WINDOW,
    why_not_delete,
    why_not_edit,
    why_not_reply,
    why_not_vote,
)
from beteiligung.consultations.models import Consultation, ConsultationStatus, Phase
from beteiligung.consultations.permissions import (
    Rules,
    why_not_comment,
    why_not_propose,
    why_not_view,
)
from beteiligung.consultations.phases import PhaseKind
from beteiligung.proposals.models import Proposal
from beteiligung.proposals.permissions import why_not_support

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# Timeline: information [T0, T0+10d), collection [+10, +20), support [+20, +30), evaluation [+30, +40)
PHASES = [
    (PhaseKind.INFORMATION, 0, 10),
    (PhaseKind.COLLECTION, 10, 20),
    (PhaseKind.SUPPORT, 20, 30),
    (PhaseKind.EVALUATION, 30, 40),
]
MOMENTS = {
    "before": T0 - DAY,
    "information": T0 + 5 * DAY,
    "collection": T0 + 15 * DAY,
    "support": T0 + 25 * DAY,
    "support_last_second": T0 + 30 * DAY - timedelta(seconds=1),
    "support_ended": T0 + 30 * DAY,  # end is exclusive
    "evaluation": T0 + 35 * DAY,
    "after": T0 + 50 * DAY,
}


def consultation(status: ConsultationStatus = ConsultationStatus.PUBLISHED) -> Consultation:
    c = Consultation(id=1, organisation_id=1, slug="c", title="C", status=status)
    c.phases = [Phase(kind=k, starts_at=T0 + a * DAY, ends_at=T0 + b * DAY) for k, a, b in PHASES]
    return c


RESIDENT = Actor(user_id=1, display_name="A", roles=frozenset({Role.RESIDENT}), email_verified=True)
OTHER = Actor(user_id=2, display_name="B", roles=frozenset({Role.RESIDENT}), email_verified=True)
UNVERIFIED = Actor(user_id=3, display_name="C", roles=frozenset({Role.RESIDENT}), email_verified=False)
STAFF = Actor(user_id=4, display_name="S", roles=frozenset({Role.STAFF}), email_verified=True)
MODERATOR = Actor(user_id=5, display_name="M", roles=frozenset({Role.MODERATOR}), email_verified=True)
OUTSIDER = Actor(user_id=6, display_name="O", roles=frozenset(), email_verified=True)

ACTORS = {
    "anonymous": ANONYMOUS,
    "resident": OTHER,
    "unverified": UNVERIFIED,
    "staff": STAFF,
    "moderator": MODERATOR,
    "outsider": OUTSIDER,
}
# status code (None = allowed) per actor for: propose / support (another's proposal) / comment
EXPECTED_BY_ACTOR = {
    "anonymous": 401,
    "unverified": 403,
    "outsider": 403,
}


def _status(denied):  # type: ignore[no-untyped-def]
    return None if denied is None else denied.status


# moment → which features are open for a resident
OPEN = {
    "before": set(),
    "information": set(),
    "collection": {"propose", "support", "comment"},
    "support": {"support", "comment"},
    "support_last_second": {"support", "comment"},
    "support_ended": set(),
    "evaluation": set(),
    "after": set(),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("who", list(ACTORS))
def test_table_role_by_phase(moment: str, who: str) -> None:
    now = MOMENTS[moment]
    actor = ACTORS[who]
    c = consultation()
    proposal = Proposal(id=9, consultation_id=1, author_id=RESIDENT.user_id, title="t", body="b")
    results = {
        "propose": _status(why_not_propose(actor, c, now)),
        "support": _status(why_not_support(actor, proposal, c, now)),
        "comment": _status(why_not_comment(actor, c, now)),
    }
    for feature, status in results.items():
        if who in EXPECTED_BY_ACTOR:
            assert status == EXPECTED_BY_ACTOR[who], (who, moment, feature)
            continue
        resident_only = feature in {"propose", "support"}
        if who in {"staff", "moderator"} and resident_only:
            assert status == 403, (who, moment, feature)  # the town does not propose or support
        elif feature in OPEN[moment]:
            assert status is None, (who, moment, feature)
        else:
            assert status == 409, (who, moment, feature)  # closed by the clock, not by the UI


@pytest.mark.parametrize(
    ("status", "expected"),
    [(ConsultationStatus.DRAFT, 404), (ConsultationStatus.CLOSED, 409), (ConsultationStatus.PUBLISHED, None)],
)
def test_consultation_state_overrides_phase(status: ConsultationStatus, expected: int | None) -> None:
    now = MOMENTS["collection"]
    assert _status(why_not_comment(OTHER, consultation(status), now)) == expected


def test_drafts_are_visible_to_staff_only() -> None:
    draft = consultation(ConsultationStatus.DRAFT)
    assert _status(why_not_view(ANONYMOUS, draft)) == 404
    assert _status(why_not_view(OTHER, draft)) == 404
    assert why_not_view(STAFF, draft) is None


def test_refusal_tells_when_it_opens_or_closed() -> None:
    c = consultation()
    before = why_not_propose(OTHER, c, MOMENTS["information"])
    assert before is not None and "erst ab" in before.message and before.params["date"] == T0 + 10 * DAY
    after = why_not_support(OTHER, Proposal(author_id=1), c, MOMENTS["evaluation"])
    assert after is not None and "abgelaufen" in after.message and after.params["date"] == T0 + 30 * DAY


def test_author_cannot_support_own_proposal() -> None:
    c = consultation()
    own = Proposal(id=9, consultation_id=1, author_id=RESIDENT.user_id, title="t", body="b")
    assert _status(why_not_support(RESIDENT, own, c, MOMENTS["collection"])) == 403
    assert why_not_support(OTHER, own, c, MOMENTS["collection"]) is None


def _comment(author: int, depth: int = 1, created: datetime | None = None, deleted: bool = False) -> Comment:
    return Comment(
        id=5,
        consultation_id=1,
        author_id=author,
        depth=depth,
        body="x",
        created_at=created or MOMENTS["collection"],
        deleted_at=MOMENTS["collection"] if deleted else None,
    )


@pytest.mark.parametrize(
    ("depth", "expected"),
    [(1, None), (2, None), (3, 409)],
)
def test_replies_go_three_levels_deep(depth: int, expected: int | None) -> None:
    assert (
        _status(why_not_reply(OTHER, _comment(1, depth), consultation(), MOMENTS["collection"])) == expected
    )


@pytest.mark.parametrize(
    ("who", "age", "deleted", "expected"),
    [
        ("author", timedelta(minutes=1), False, None),
        ("author", EDIT_WINDOW, False, None),
        ("author", EDIT_WINDOW + timedelta(seconds=1), False, 409),
        ("author", timedelta(minutes=1), True, 409),
        ("other", timedelta(minutes=1), False, 403),
        ("anonymous", timedelta(minutes=1), False, 401),
    ],
)
def test_edit_window(who: str, age: timedelta, deleted: bool, expected: int | None) -> None:
    now = MOMENTS["collection"]
    comment = _comment(RESIDENT.user_id or 0, created=now - age, deleted=deleted)
    actor = {"author": RESIDENT, "other": OTHER, "anonymous": ANONYMOUS}[who]
    assert _status(why_not_edit(actor, comment, consultation(), now)) == expected


def test_delete_own_any_time_but_once() -> None:
    assert why_not_delete(RESIDENT, _comment(RESIDENT.user_id or 0)) is None
    assert _status(why_not_delete(OTHER, _comment(RESIDENT.user_id or 0))) == 403
    assert _status(why_not_delete(RESIDENT, _comment(RESIDENT.user_id or 0, deleted=True))) == 409


def test_votes_not_on_own_or_deleted_comments() -> None:
    c, now = consultation(), MOMENTS["support"]
    assert why_not_vote(OTHER, _comment(1), c, now) is None
    assert _status(why_not_vote(RESIDENT, _comment(1), c, now)) == 403
    assert _status(why_not_vote(OTHER, _comment(1, deleted=True), c, now)) == 409
    assert _status(why_not_vote(OTHER, _comment(1), c, MOMENTS["evaluation"])) == 409


def test_rules_for_templates_match_the_predicates() -> None:
    c = consultation()
    visitor = Rules(ANONYMOUS, c, MOMENTS["collection"])
    assert not visitor.propose() and visitor.would("propose") and visitor.would("support")
    assert not Rules(ANONYMOUS, c, MOMENTS["evaluation"]).would("support")
    resident = Rules(OTHER, c, MOMENTS["support"])
    assert resident.comment() and not resident.propose() and not resident.would("propose")
    assert Rules(STAFF, c, MOMENTS["support"]).manage() and not resident.manage()
