"""A proportional agenda names the rule that actually chose it: sequential PAV is never shown as PAV."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from flask import render_template

from deliberate.ballots.cli import tally_command
from deliberate.domain import selection

BALLOTS = {
    "candidates": ["a", "b", "c", "d"],
    "ballots": [{"ranking": [["a"], ["b"]], "approved": ["a", "b"]}] * 3
    + [{"ranking": [["c"], ["d"]], "approved": ["c", "d"]}] * 2
    + [{"ranking": [["d"]], "approved": ["d"]}],
}


@pytest.fixture
def exact_pav_out_of_reach(monkeypatch):
    """Give exact PAV no work at all, as a count too large for its limit would."""
    monkeypatch.setitem(selection.pav.__kwdefaults__, "exact_limit", 1)


def recount(tmp_path: Path) -> dict:
    path = tmp_path / "ballots.json"
    path.write_text(json.dumps(BALLOTS))
    result = CliRunner().invoke(tally_command, [str(path), "--seats", "2", "--selection", "pav"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["selection"]


def test_the_recount_says_pav_when_exact_pav_chose_the_agenda(tmp_path: Path) -> None:
    chosen = recount(tmp_path)
    assert (chosen["rule"], chosen["method"], chosen["is_exact"]) == ("pav", "pav", True)
    assert "method_name" not in chosen  # the counts published before this entry existed keep verifying


def test_the_recount_says_sequential_pav_when_exact_pav_did_not_finish(tmp_path: Path, exact_pav_out_of_reach) -> None:
    chosen = recount(tmp_path)
    assert (chosen["method"], chosen["method_name"], chosen["is_exact"]) == ("seqpav", "sequential PAV", False)
    assert "sequential PAV was used instead" in chosen["notes"][0]


def result_view(method: str) -> dict:
    item = SimpleNamespace(title=lambda locale: "Water for the hometown")
    chosen = {"rule": "pav", "method": method, "seats": 1, "items": [item]}
    return {"voters": 6, "ranking": [], "selection": chosen, "double_majority": [], "clubs": [], "order": [],
            "matrix": []}


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_result_page_names_sequential_pav_and_not_pav(app, language) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        fallback = render_template("ballots/_result_body.html", view=result_view("seqpav"), prefix="")
        exact = render_template("ballots/_result_body.html", view=result_view("pav"), prefix="")
    sequential = "sequential PAV" if language == "en" else "PAV secuencial"
    assert sequential in fallback and "Proportional Approval Voting" not in fallback
    assert sequential not in exact


def test_the_published_agenda_says_when_sequential_pav_chose_it(app) -> None:
    def page(method: str) -> str:
        version = SimpleNamespace(number=1, created_at=datetime(2026, 12, 1), sha256="0" * 64)
        agenda = SimpleNamespace(id=1, versions=[version])
        rules = {"method": "schulze", "weighting": "members", "club_mode": "proportional", "seats": 1,
                 "selection": "pav"}
        doc = {"inputs": {"ballots_sha256": "1" * 64, "ballots": {"rules": rules}},
               "result": {"tally": {"selection": {"method": method, "seats": 1}}},
               "consultation": {"federation_slug": "fed"}}
        return render_template("agenda/_verify.html", version=version, agenda=agenda, doc=doc)

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "chosen by sequential PAV" in page("seqpav")
        assert "sequential PAV" not in page("pav")
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert "se eligió por PAV secuencial" in page("seqpav")
