"""In-app notifications (and email): what members should know, written in their language at display time."""
