"""Verify a published agenda: recount each version from its stored inputs and compare the result and the hash.

Versions of format ``deliberate-agenda/1`` carried a gender on some ballots instead of the table; they are still
read and verified. From ``deliberate-agenda/3`` on, the online and paper ballots of each club are recounted from
the ballots, and the SHA-256 of each club assembly's minutes is checked against the minutes stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from deliberate.agenda.documents import canonical, recount, sha256
from deliberate.agenda.draft import count_agenda, items_in_count_order, voters_from_ballots
from deliberate.agenda.publish import channels_of, published_agenda
from deliberate.ballots.services import inputs_hash
from deliberate.domain import assembly as assembly_engine
from deliberate.domain import equity as equity_engine
from deliberate.domain import minority as minority_engine
from deliberate.domain.count import Count
from deliberate.domain.errors import ValidationFailed
from deliberate.extensions import db
from deliberate.models import (
    AgendaVersion,
    Assembly,
)

# --- verification -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    ok: bool
    problems: tuple[str, ...]
    sha256: str
    version: int


def expected_agenda(document: dict[str, Any], tally: Count) -> list[str]:
    """Recompute the published agenda's order from a recount and the stored women's-slot decision."""
    order, _ = count_agenda(tally)
    slot = document["result"]["equity"]["womens_priority_slot"]
    if slot.get("status") == "adjusted" and slot.get("item") is not None:
        item = str(slot["item"])
        order = [*order[:-1], item] if order else [item]
    return order


def _frozen_config(rules: dict[str, Any]) -> equity_engine.EquityConfig:
    return equity_engine.EquityConfig(
        womens_priority_slot=rules["womens_priority_slot"], participation_parity=rules["participation_parity"],
        board_composition=rules["board_composition"], women_baseline=rules["women_baseline"],
        parity_tolerance=rules["parity_tolerance"])


def gender_problems(document: dict[str, Any], tally: Count) -> list[str]:
    """Recompute the minority section and the women's priority slot from the frozen ballots and gender table.

    Versions of the first format carry a gender on some ballots and no table: their recount is checked, not this.
    """
    inputs = document["inputs"]
    if "gender_table" not in inputs:
        return []
    try:
        table = equity_engine.GenderTable.from_dict(inputs["gender_table"])
        order, _ = count_agenda(tally)
        analysis = minority_engine.analyse(items_in_count_order(tally, inputs["ballots"]), order,
                                  voters_from_ballots(inputs["ballots"]),
                                  genders=table, config=_frozen_config(inputs["equity_rules"]))
    except ValidationFailed as error:
        return [f"the gender table does not fit the ballots ({error.code})"]
    problems = []
    if canonical(analysis.minority.to_dict()) != canonical(document["result"]["minority"]):
        problems.append("the minority section differs from the one recomputed from the ballots and the gender table")
    slot = document["result"]["equity"]["womens_priority_slot"]
    if canonical(analysis.equity.womens_priority_slot.to_dict()) != canonical(slot):
        problems.append("the women's priority slot differs from the one recomputed from the gender table")
    return problems


def assembly_problems(document: dict[str, Any]) -> list[str]:
    """Check each group's online and paper ballots against the ballots, and each assembly's minutes' hash against
    the minutes stored (versions before the third format have neither)."""
    inputs = document["inputs"]
    if "assemblies" not in inputs:
        return []
    problems = []
    ballots = inputs["ballots"]
    shown = {name for name, club in ballots["clubs"].items() if club.get("paper") is not None}
    if any(ballot.get("paper") and ballot["club"] not in shown for ballot in ballots["ballots"]):
        problems.append("a ballot is marked as cast on paper in a group whose split is not shown")
    for name in shown:
        marked = sum(1 for ballot in ballots["ballots"] if ballot["club"] == name and ballot.get("paper"))
        if marked != ballots["clubs"][name]["paper"]:
            problems.append(f"the paper ballots of {name} do not match the ballots marked as paper")
    if canonical(channels_of(ballots)) != canonical(document["result"].get("channels", {})):
        problems.append("the online and paper ballots per club differ from those recounted from the ballots")
    for entry in inputs["assemblies"]:
        assembly = db.session.get(Assembly, entry["id"])
        if assembly is None:
            problems.append(f"the minutes of the assembly of {entry['held_on']} ({entry['club']}) are not stored")
            continue
        stored = assembly_engine.acta_sha256(
            assembly.minutes, hashlib.sha256(assembly.scan).hexdigest() if assembly.scan else None)
        if stored != entry["acta_sha256"]:
            problems.append(f"the minutes of the assembly of {entry['held_on']} ({entry['club']}) do not match "
                            f"their published SHA-256")
    return problems


def published_part(recounted: Count, published: dict[str, Any]) -> dict[str, Any]:
    """Keep the parts of a recount that a version published.

    The count's output may gain new entries over the years (a version published before the double majority's rule
    was reported has no such entry); a published version must still verify, on every figure it did publish. A
    published entry that the recount lacks stays missing, and so fails the comparison.
    """
    return {key: value for key, value in recounted.to_dict().items() if key in published}


def verify_version(version: AgendaVersion) -> Verification:
    """Recount from the stored inputs with the counting functions and check the result and the hash."""
    problems: list[str] = []
    data = version.document.encode("utf-8")
    actual = sha256(data)
    if actual != version.sha256:
        problems.append(f"hash mismatch: stored {version.sha256}, computed {actual}")
    try:
        document = orjson.loads(data)
        ballots = document["inputs"]["ballots"]
        if inputs_hash(ballots) != document["inputs"]["ballots_sha256"]:
            problems.append("the ballots do not match their recorded SHA-256")
        again = recount(ballots)
        if canonical(published_part(again, document["result"]["tally"])) != canonical(document["result"]["tally"]):
            problems.append("the recount differs from the published count")
        published = [entry["item"] for entry in document["result"]["agenda"]]
        if expected_agenda(document, again) != published:
            problems.append("the published agenda is not the recount's agenda")
        problems.extend(gender_problems(document, again))
        problems.extend(assembly_problems(document))
        if canonical(document) != data:
            problems.append("the stored JSON is not in canonical form")
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        problems.append(f"the stored document cannot be read: {error!r}")
    return Verification(not problems, tuple(problems), actual, version.number)


def verify_agenda(agenda_id: int) -> list[Verification]:
    """Verify every version of an agenda (raises NotFound when it has none)."""
    agenda = published_agenda(agenda_id)
    return [verify_version(version) for version in agenda.versions]
