"""The follow-up's files: the tracker as CSV (one row per programme) and the Atom feed of an agenda's updates."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from xml.etree import ElementTree as ET  # noqa: N817 - building (not parsing) the feed

from flask_babel import gettext as _

from deliberate import downloads, labels
from deliberate.domain.programmes import Currency
from deliberate.mail import external_url
from deliberate.models import Agenda, ProgrammeUpdate
from deliberate.programmes import tracking

TRACKER_COLUMNS = ["position", "item", "item_title_es", "item_title_en", "programme", "title_es", "title_en",
                   "status", "status_reason", "progress", "overdue", "owner_kind", "owner", "authority",
                   "starts_on", "due_on", "committed_mxn", "received_mxn", "committed_usd", "received_usd"]
ATOM = "http://www.w3.org/2005/Atom"


def _amount(amount_cents: int) -> str:
    return f"{Decimal(amount_cents) / 100:.2f}"


def tracker_rows(data: tracking.Tracker):
    """Yield one row of :data:`TRACKER_COLUMNS` per programme, in the agenda's order."""
    for item_view in data.items:
        for view in item_view.programmes:
            p = view.programme
            owner = tracking.owner_dict(p)
            totals = {t.currency: t for t in view.funding if t.source is None}
            money_cells: list[str] = []
            for currency in Currency:
                total = totals.get(currency)
                money_cells += [_amount(total.committed_cents), _amount(total.received_cents)] if total else ["", ""]
            yield (item_view.position, item_view.item.id, item_view.item.title_es, item_view.item.title_en, p.id,
                   p.title_es, p.title_en, p.status.value, p.status_reason, f"{view.progress:.2f}",
                   "yes" if view.is_overdue else "no", owner["kind"], owner["name"] or "",
                   p.authority.value if p.authority else "", tracking.iso_day(p.starts_on) or "",
                   tracking.iso_day(p.due_on) or "", *money_cells)


def tracker_csv(data: tracking.Tracker) -> bytes:
    return downloads.csv_file(TRACKER_COLUMNS, tracker_rows(data))


def updates_feed(agenda: Agenda, updates: Sequence[ProgrammeUpdate], locale: str) -> bytes:
    """Write the agenda's updates and status changes, newest first, as an Atom feed in ``locale``."""
    root = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(root, "title").text = _("Follow-up: %(title)s", title=agenda.consultation.title(locale))
    self_link = external_url("programmes.feed", agenda_id=agenda.id)
    ET.SubElement(root, "id").text = self_link
    ET.SubElement(root, "link", rel="self", href=self_link)
    ET.SubElement(root, "link", href=external_url("programmes.tracker", agenda_id=agenda.id))
    updated = max((u.created_at for u in updates), default=agenda.latest.created_at)
    ET.SubElement(root, "updated").text = downloads.atom_time(updated)
    ET.SubElement(ET.SubElement(root, "author"), "name").text = agenda.consultation.federation.name
    for update in updates:
        link = external_url("programmes.show", programme_id=update.programme_id)
        entry = ET.SubElement(root, "entry")
        title = update.programme.title(locale)
        if update.status_to is not None:
            title = _("%(programme)s: now %(status)s", programme=title,
                      status=labels.programme_status_name(update.status_to))
        ET.SubElement(entry, "title").text = title
        ET.SubElement(entry, "id").text = f"{link}#update-{update.id}"
        ET.SubElement(entry, "link", href=f"{link}#update-{update.id}")
        if update.photo is not None:
            ET.SubElement(entry, "link", rel="enclosure", type=update.photo.content_type,
                          length=str(update.photo.byte_size),
                          href=external_url("programmes.photo", update_id=update.id))
        ET.SubElement(entry, "updated").text = downloads.atom_time(update.created_at)
        ET.SubElement(entry, "summary").text = update.text or title
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
