"""Programmes: the follow-up of a published agenda's items; with their views, forms and services."""

from __future__ import annotations
