"""Live updates: typed events, published after commit, replayed after reconnects (docs/live-updates.md)."""
