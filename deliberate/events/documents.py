"""Documents an event's organiser shares after it: a PDF, a JPEG or a PNG, kept in the instance folder.

The type is read from the bytes (``deliberate.domain.events.prepare_document``), never from the file name or what
the browser says; images lose their metadata before they are kept; the name shown and downloaded is sanitised;
the file is stored under a random name in ``<instance>/event-materials/``, so nothing a person types reaches the
file system. The page serves it as an attachment with ``nosniff`` (see the view).

Who reads a document: the event's organisers, and the federation's members who are in the event's audience (an
event reserved for women shares its documents with women). A link material stays public, as before.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app

from deliberate.domain import events as rules
from deliberate.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from deliberate.events.services import MAX_TITLE, can_organise_event, in_audience, remove_material
from deliberate.extensions import db
from deliberate.models import User, utcnow
from deliberate.models.events import Event, EventMaterial
from deliberate.permissions import is_member
from deliberate.text import clean_text

FOLDER = "event-materials"


def folder() -> Path:
    return Path(current_app.instance_path) / FOLDER


def path_of(material: EventMaterial) -> Path:
    return folder() / material.stored_name


def can_read(user: User | None, event: Event) -> bool:
    """Tell whether the person may download the event's documents."""
    return can_organise_event(user, event) or (is_member(user, event.federation) and in_audience(user, event))


def add_document(event: Event, actor: User, title: str, file_name: str, data: bytes, *,
                 now: datetime | None = None) -> EventMaterial:
    """Share a document after the event has started (its organisers); refuse what cannot be made safe."""
    if not can_organise_event(actor, event):
        raise PermissionDenied("not_organiser")
    if event.starts_at > (now or utcnow()):
        raise Conflict("not_yet")
    title = clean_text(title or "")
    if len(title) > MAX_TITLE:
        raise ValidationFailed("title", "too_long")
    if not title:
        raise ValidationFailed("title", "required")
    content_type, kept = rules.prepare_document(data)
    stored = secrets.token_hex(16)
    material = EventMaterial(event_id=event.id, title=title, url="", added_by_id=actor.id, stored_name=stored,
                             file_name=rules.document_name(file_name or title, content_type),
                             content_type=content_type, size_bytes=len(kept),
                             sha256=hashlib.sha256(kept).hexdigest())
    target = folder() / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(kept)
    db.session.add(material)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        target.unlink(missing_ok=True)
        raise
    return material


def read_document(material: EventMaterial, user: User | None) -> bytes:
    """Return a document's bytes for someone who may read it."""
    if not material.is_document:
        raise Conflict("not_a_document")
    if not can_read(user, material.event):
        raise PermissionDenied("not_audience")
    try:
        return path_of(material).read_bytes()
    except FileNotFoundError:
        raise NotFound("material", material.id) from None


def remove(material: EventMaterial, actor: User) -> None:
    """Remove a material (its organisers); a document's file goes once the row's removal is committed."""
    path = path_of(material) if material.is_document else None
    remove_material(material, actor)
    if path is not None:
        path.unlink(missing_ok=True)
