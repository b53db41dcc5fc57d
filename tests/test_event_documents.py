"""Documents shared after an event: a PDF, a JPEG or a PNG known by its bytes, images without their metadata, a
safe name, stored in the instance folder, served as an attachment with nosniff to the event's audience only."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from deliberate.domain import events as rules
from deliberate.domain.errors import ValidationFailed
from deliberate.domain.events import EventMode
from deliberate.events import services as events
from deliberate.extensions import db
from deliberate.models import Organization, User, utcnow
from deliberate.models.events import EventMaterial


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(text: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    extra = _chunk(b"tEXt", b"Comment\x00" + text) if text else b""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra + _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + _chunk(b"IEND", b""))


def _jpeg(exif: bytes = b"") -> bytes:
    def segment(marker: int, data: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data

    app1 = segment(0xE1, b"Exif\x00\x00" + exif) if exif else b""
    return (b"\xff\xd8" + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00") + app1
            + segment(0xDB, bytes(65)) + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\x34" + b"\xff\xd9")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- the pure rules -----------------------------------------------------------------------------------------------

def test_the_type_is_read_from_the_bytes_and_images_lose_their_metadata():
    assert rules.prepare_document(PDF) == ("application/pdf", PDF)
    kind, kept = rules.prepare_document(_png(b"GPS 22.77N 102.57W"))
    assert kind == "image/png" and b"GPS" not in kept and kept == _png()
    kind, kept = rules.prepare_document(_jpeg(b"GPS 22.77N 102.57W Canon"))
    assert kind == "image/jpeg" and b"GPS" not in kept and b"Canon" not in kept and kept == _jpeg()


@pytest.mark.parametrize("data, code", [
    (b"", "required"),
    (b"<html><script>alert(1)</script></html>", "type"),
    (b"MZ\x90\x00 an executable", "type"),
    (b"%PDF-1.4 cut short", "broken"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "broken"),
    (b"%PDF-1.4" + b" " * rules.MAX_DOCUMENT_BYTES + b"%%EOF", "too_large"),
])
def test_what_cannot_be_made_safe_is_refused(data, code):
    with pytest.raises(ValidationFailed) as refused:
        rules.prepare_document(data)
    assert (refused.value.field, refused.value.code) == ("document", code)


@pytest.mark.parametrize("name, kind, expected", [
    ("../../../etc/passwd", "application/pdf", "passwd.pdf"),
    ("Guía de liderazgo.PDF", "application/pdf", "Guia-de-liderazgo.pdf"),
    ("C:\\Users\\ana\\foto.exe", "image/jpeg", "foto.jpg"),
    ('x"; filename="evil.html', "image/png", "x-filename-evil.png"),
    (".htaccess", "image/png", "material.png"),
])
def test_the_download_name_is_sanitised_and_carries_the_real_extension(name, kind, expected):
    assert rules.document_name(name, kind) == expected


# --- through the pages ----------------------------------------------------------------------------------------------

@pytest.fixture
def workshop(app, federation_world) -> int:
    """A women's leadership workshop, reserved for women, that took place two days ago."""
    with app.app_context():
        federation = db.session.get(Organization, federation_world["federation"].id)
        board = db.session.get(User, federation_world["board"].id)
        track = events.add_womens_track(federation, board)
        starts = utcnow().replace(microsecond=0) - timedelta(days=2)
        event = events.create_event(federation, board, events.EventFields(
            title_es="Taller", title_en="Workshop", starts_at=starts, ends_at=starts + timedelta(hours=2),
            capacity=10, mode=EventMode.IN_PERSON, address="1200 W Olympic Blvd", track_id=track.id,
            is_reserved=True))
        return event.id


def _upload(client, event_id, data: bytes, name: str = "guia.pdf", title: str = "Guía del taller"):
    return client.post(f"/events/{event_id}/documents", content_type="multipart/form-data",
                       data={"doc_title": title, "document": (BytesIO(data), name)})


def _materials(app) -> list[EventMaterial]:
    with app.app_context():
        rows = db.session.scalars(select(EventMaterial)).all()
        db.session.expunge_all()
        return rows


def test_the_organiser_shares_a_photo_without_its_metadata_under_a_random_name(app, client, log_in,
                                                                              federation_world, workshop):
    log_in(client, federation_world["board"])
    response = _upload(client, workshop, _png(b"GPS 22.77N"), name="../../foto del taller.png", title="Foto")
    assert response.status_code == 302
    (material,) = _materials(app)
    assert material.content_type == "image/png" and material.file_name == "foto-del-taller.png"
    stored = Path(app.instance_path) / "event-materials" / material.stored_name
    assert stored.read_bytes() == _png() and len(material.stored_name) == 32
    page = client.get(f"/events/{workshop}").get_data(as_text=True)
    assert f"/materials/{material.id}/file" in page
    download = client.get(f"/materials/{material.id}/file")
    assert download.status_code == 200 and download.data == _png() and b"GPS" not in download.data
    assert download.headers["Content-Disposition"] == 'attachment; filename="foto-del-taller.png"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "image/png"


def test_a_file_whose_name_lies_about_its_type_is_refused_and_nothing_is_stored(app, client, log_in,
                                                                                federation_world, workshop):
    log_in(client, federation_world["board"])
    response = _upload(client, workshop, b"<html><script>alert(1)</script></html>", name="slides.pdf")
    assert response.status_code == 422
    assert "Share a PDF, a JPEG or a PNG" in response.get_data(as_text=True)
    assert _materials(app) == [] and not (Path(app.instance_path) / "event-materials").exists()


def test_a_document_past_the_limits_is_refused_with_words(app, client, log_in, federation_world, workshop,
                                                          monkeypatch):
    monkeypatch.setattr(rules, "MAX_DOCUMENT_BYTES", 1000)  # small sizes: the test client spools nothing to disk
    log_in(client, federation_world["board"])
    large = _upload(client, workshop, b"%PDF-1.4" + b" " * 1000 + b"%%EOF")
    assert large.status_code == 422 and "at most 1.8 MB" in large.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 4000  # past the request limit: the 413 page, before any form is read
    assert _upload(client, workshop, b"%PDF-1.4" + b" " * 5000 + b"%%EOF").status_code == 413
    assert _materials(app) == []


def test_documents_wait_for_the_event_to_start(app, client, log_in, federation_world, workshop):
    with app.app_context():
        event = events.get_event(workshop)
        event.starts_at, event.ends_at = utcnow() + timedelta(days=3), None
        db.session.commit()
    log_in(client, federation_world["board"])
    page = client.get(f"/events/{workshop}").get_data(as_text=True)
    assert "After the event starts you can also share a document" in page and 'enctype="multipart' not in page
    refused = _upload(client, workshop, PDF, name="x.pdf")
    assert refused.status_code == 302
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Documents are shared once the event has started." in page
    assert _materials(app) == []


@pytest.mark.parametrize("role, status", [("member", 403), ("officer", 403), ("other_club_member", 403),
                                          ("outsider", 403), ("board", 302), ("admin", 302)])
def test_only_the_organisers_share_documents(app, client, log_in, federation_world, workshop, role, status):
    log_in(client, federation_world[role])
    assert _upload(client, workshop, PDF).status_code == status


@pytest.mark.parametrize("role, status", [("member", 200), ("board", 200), ("admin", 200), ("officer", 403),
                                          ("other_club_member", 403), ("outsider", 403), ("stranger", 403)])
def test_a_document_of_a_workshop_reserved_for_women_is_for_its_audience(app, client, log_in, federation_world,
                                                                        workshop, role, status):
    log_in(client, federation_world["board"])
    _upload(client, workshop, PDF)
    (material,) = _materials(app)
    log_in(client, federation_world[role])
    assert client.get(f"/materials/{material.id}/file").status_code == status
    page = client.get(f"/events/{workshop}").get_data(as_text=True)
    assert (f"/materials/{material.id}/file" in page) is (status == 200)


def test_a_visitor_is_sent_to_log_in_and_a_link_has_no_file(app, client, log_in, federation_world, workshop):
    log_in(client, federation_world["board"])
    _upload(client, workshop, PDF)
    client.post(f"/events/{workshop}/materials", data={"title": "Video", "url": "https://example.org/video"})
    document, link = sorted(_materials(app), key=lambda m: m.url)
    client.post("/account/logout")
    assert client.get(f"/materials/{document.id}/file").status_code == 302
    assert client.get(f"/materials/{link.id}/file").status_code == 404
    assert client.get("/materials/99999999/file").status_code == 404


def test_removing_a_document_removes_its_file(app, client, log_in, federation_world, workshop):
    log_in(client, federation_world["board"])
    _upload(client, workshop, _jpeg(b"GPS"), name="foto.jpg")
    (material,) = _materials(app)
    stored = Path(app.instance_path) / "event-materials" / material.stored_name
    assert stored.exists()
    assert client.post(f"/materials/{material.id}/remove").status_code == 302
    assert not stored.exists() and _materials(app) == []
