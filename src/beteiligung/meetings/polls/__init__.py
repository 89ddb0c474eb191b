"""Meeting room part: live polls (Abstimmungen), docs/meetings.md.

Staff prepare polls per agenda item (drafts, which only staff see), open one at a time, close
it, or delete a draft. Participants (signed-in people, or guests where the meeting allows them)
vote once in the open poll. Results are shown live or only after closing, as staff chose; staff
always see them. Every count is exact: a ballot is a row unique per (poll, participant), and the
counters beside it (``MeetingPoll.ballot_count``, ``MeetingPollOption.vote_count``) grow in the
same transaction only when that row was inserted, and only while the poll is still open.

Routes (each answers the room's ``poll`` block with htmx, otherwise post/redirect/get):

* ``POST /veranstaltungen/{id}/abstimmungen/{poll_id}/stimme``: vote (``option``, repeated).
* ``POST /verwaltung/veranstaltungen/{id}/abstimmungen``: prepare a poll (staff).
* ``POST /verwaltung/veranstaltungen/{id}/abstimmungen/{poll_id}``: ``aktion`` = ``oeffnen``,
  ``schliessen`` or ``loeschen`` (staff).

Layers: ``forms``, ``permissions`` (pure), ``queries`` (results, the room's ``room_context``),
``actions`` (writes; they never commit: the route does) and ``routes`` (listed by
``meetings/feature.py``).
"""
