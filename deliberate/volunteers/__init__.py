"""Volunteer roles: what clubs and the board need filled, and the members who take them up."""
