"""Consultations: one agenda cycle of a federation, its schedule, settings, categories and phases."""

from __future__ import annotations
