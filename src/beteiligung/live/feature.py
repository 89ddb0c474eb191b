"""The live feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features").

Live has no routes of its own: each stream is a route of the feature that owns the page
(live/streams.py). It gives every template ``live_messages``, the page script's announcements.
"""

from __future__ import annotations

from beteiligung.live.streams import live_messages
from beteiligung.registry import Feature

FEATURE = Feature(name="live", template_globals={"live_messages": live_messages})
