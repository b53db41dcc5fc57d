"""Deliberation on demands: reactions (agree / disagree / pass), arguments for and against, and moderation."""
