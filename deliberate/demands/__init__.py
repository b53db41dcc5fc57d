"""Demands: members submit their club's local demands, edit or withdraw them, and officers endorse them."""
