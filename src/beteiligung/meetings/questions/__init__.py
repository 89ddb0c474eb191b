"""Meeting room part: the live Q&A (Fragen aus dem Publikum), docs/meetings.md.

Participants (signed-in people, or guests with a chosen name where the meeting allows them) ask
questions and upvote the questions of others, once each. Questions pass the moderation as the
meeting says (``Meeting.question_moderation``): pre-moderation (the default) holds every
question in the organisation's moderation queue until a moderator approves it; post-moderation
publishes at once unless an automatic check (links, blocklist, repetition, rate) holds it. A held
question is seen by its asker only (marked "wartet auf Freigabe", matched by the voter key) and
publishes nothing on the meeting's channel until it is approved; a hidden one leaves the
Netiquette placeholder. Staff put one question on screen ("wird beantwortet", the spotlight) and
mark questions answered with an optional short note.

Every count is exact: a vote is a row unique per (question, participant), and
``MeetingQuestion.vote_count`` changes in the same transaction only when that row was inserted or
deleted.

Routes (each answers the room's ``questions`` block with htmx, otherwise post/redirect/get):

* ``POST /veranstaltungen/{id}/fragen``: ask (``body``, ``agenda_item``, ``submission_key``).
* ``POST /veranstaltungen/{id}/fragen/{question_id}/stimme``: upvote (``zuruecknehmen=1``: take
  the vote back).
* ``POST /verwaltung/veranstaltungen/{id}/fragen/{question_id}``: ``aktion`` = ``fokus``
  (spotlight), ``beantwortet`` (with ``notiz``) or ``offen`` (back to the open questions); staff.

The sort (``?fragen=stimmen|neu``) travels in the query of every link, form and live source of
the part, so it survives posts and live refreshes without JavaScript state.

Layers: ``forms``, ``permissions`` (pure), ``queries`` (the room's ``room_context``), ``actions``
(writes; they never commit: the route does) and ``routes`` (listed by ``meetings/feature.py``).
"""
