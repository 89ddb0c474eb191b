"""Virtual citizen meetings: the live meeting room (docs/meetings.md)."""
