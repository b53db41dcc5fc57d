"""deliberate: hometown clubs and their federations turn local demands into one agenda that keeps minorities visible.

The package imports none of the site when it loads, so that a command which needs no app (``deliberate tally``)
starts without loading it. The app factory is ``deliberate.app.create_app``; ``deliberate.create_app`` names the
same function (PEP 562), loading the site when first asked for, so that ``flask --app deliberate`` and
``from deliberate import create_app`` keep working.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    """Return ``create_app`` from deliberate.app, importing the site then; any other name is not the package's."""
    if name == "create_app":
        return importlib.import_module("deliberate.app").create_app
    raise AttributeError(f"module 'deliberate' has no attribute {name!r}")
