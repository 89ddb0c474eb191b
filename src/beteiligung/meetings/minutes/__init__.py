"""The minutes (Protokoll) of a meeting: drafted when it ends, edited and published by staff
(docs/meetings.md).

* When a meeting ends, :func:`on_meeting_ended` closes a poll still open, finishes the current
  speaker and drafts the minutes as Markdown into ``Meeting.minutes``, but only while that is
  empty: ending a reopened meeting again keeps what staff wrote.
* The draft is composed from the rows alone (:func:`compose_minutes` is pure): the overview
  (date, times, format, place, participant numbers), the agenda with start times, and per agenda
  item the published questions with votes, status and answer notes, the polls with exact
  results, and the speaker order. Held or hidden questions never appear, and questions appear
  without names (the speaker list carries the display names people chose for it).
* Staff edit the draft at ``/verwaltung/veranstaltungen/{id}/protokoll``, create it anew from the
  data, publish it (``minutes_published_at``) or withdraw it; only once the meeting has ended.
* Everyone reads published minutes at ``/veranstaltungen/{id}/protokoll`` (sanitised HTML with a
  print stylesheet) and downloads them as Markdown (``…/protokoll.md``); before publication the
  pages are 404 except for staff, who see the draft marked "Entwurf".

The minutes are a document of the town, so their text is German whatever language the staff
member's browser uses; the pages around them are translated as usual.
"""
