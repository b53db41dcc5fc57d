"""Mentoring: offers, requests, the board's pairings and the pairs' meetings."""
