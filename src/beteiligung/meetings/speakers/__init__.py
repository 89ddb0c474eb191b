"""The speaker list (Redeliste) of a meeting's room (docs/meetings.md).

While the meeting is live, a participant asks to speak (optionally "zur Geschäftsordnung"), sees
their place and may withdraw; staff call the next or a given speaker, finish the current one,
move entries up or down and remove them. The list's order is ``position`` alone: a
point-of-order request is placed before the first normal request (after earlier point-of-order
requests, so those stay in request order), and staff reorder by swapping positions.

Every change locks the meeting's row first (``SELECT … FOR UPDATE`` on PostgreSQL), so two
simultaneous requests neither get the same place nor put one participant on the list twice, and
queues ``MeetingSpeakersChanged`` for the route's commit to publish.

Layers: ``forms``, ``queries`` (the room's ``room_context``), ``actions`` (writes; they never
commit: the route does) and ``routes`` (listed by ``meetings/feature.py``); who may speak is
``meetings.permissions.why_not_speak``.
"""
