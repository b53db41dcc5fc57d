"""The import-polis command on real Polis conversations and on small hand-written folders.

Data was gathered using the Polis software (compdemocracy.org/polis) and is sub-licensed under CC BY 4.0 with
Attribution to The Computational Democracy Project.
https://compdemocracy.org/case-studies/2022-london-youth-policing
https://compdemocracy.org/case-studies/2019-scoop-hivemind-biodiversity
https://pol.is/3nemnipcrc (bg2050-volunteers)
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Consultation, Demand, Reaction, User

POLIS = Path(__file__).resolve().parent / "data" / "polis"
FOLDERS = ["london.youth.policing", "bg2050-volunteers", "scoop-hivemind.biodiversity"]


@pytest.fixture
def consultation_id(app, create_organization):
    federation = create_organization("Federación Polis")
    with app.app_context():
        consultation = Consultation(federation_id=federation.id, title_es="Importada", title_en="Imported",
                                    phase=Phase.DELIBERATING, description_en="Our own words.")
        db.session.add(consultation)
        db.session.commit()
        return consultation.id


def run_import(app, folder, consultation_id, *extra):
    result = app.test_cli_runner().invoke(
        args=["import-polis", str(folder), "--consultation", str(consultation_id), *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def expected_figures(folder: Path) -> dict:
    """Count straight from the CSV files: comments, latest (voter, comment) pairs, voters and authors."""
    with (folder / "comments.csv").open(newline="", encoding="utf-8") as handle:
        comments = list(csv.DictReader(handle))
    ids = {int(row["comment-id"]) for row in comments}
    hidden = {int(row["comment-id"]) for row in comments if row["moderated"].strip() == "-1"}
    latest: dict[tuple[int, int], tuple[int, int]] = {}
    with (folder / "votes.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (int(row["voter-id"]), int(row["comment-id"]))
            if key[1] in ids and (key not in latest or int(row["timestamp"]) >= latest[key][0]):
                latest[key] = (int(row["timestamp"]), int(row["vote"]))
    people = {voter for voter, _ in latest} | {int(row["author-id"]) for row in comments}
    agrees = {}
    for (_, comment), (_, vote) in latest.items():
        agrees[comment] = agrees.get(comment, 0) + (vote == 1)
    return {"ids": ids, "demands": len(ids), "reactions": len(latest), "participants": len(people), "hidden": hidden,
            "agrees": agrees}


@pytest.mark.parametrize("name", FOLDERS)
def test_a_real_conversation_imports_with_the_files_counts(app, consultation_id, name):
    folder = POLIS / name
    expected = expected_figures(folder)
    printed = run_import(app, folder, consultation_id)
    assert printed == {k: expected[k] for k in ("demands", "reactions", "participants")}
    with app.app_context():
        assert db.session.scalar(select(func.count(Demand.id))) == expected["demands"]
        assert db.session.scalar(select(func.count(Reaction.id))) == expected["reactions"]
        assert db.session.scalar(select(func.count(User.id)).where(User.is_pseudonymous)) == expected["participants"]
        hidden = set(db.session.scalars(select(Demand.external_id).where(Demand.hidden_at.is_not(None))))
        assert hidden == {str(i) for i in expected["hidden"]}
        agrees = dict(db.session.execute(select(Demand.external_id, Demand.agree_count)).all())
        assert agrees == {str(c): expected["agrees"].get(c, 0) for c in expected["ids"]}
        total = db.session.scalar(select(func.sum(Demand.agree_count + Demand.disagree_count + Demand.pass_count)))
        assert total == expected["reactions"]
        description = db.session.get(Consultation, consultation_id).description_en
        assert description.startswith("Our own words.") and "The Computational Democracy Project" in description


def test_running_the_import_twice_adds_nothing(app, consultation_id):
    folder = POLIS / "london.youth.policing"
    first = run_import(app, folder, consultation_id)
    second = run_import(app, folder, consultation_id)
    assert first == second
    with app.app_context():
        assert db.session.scalar(select(func.count(Demand.id))) == first["demands"]
        assert db.session.scalar(select(func.count(Reaction.id))) == first["reactions"]
        assert db.session.scalar(select(func.count(User.id))) == first["participants"]
        description = db.session.get(Consultation, consultation_id).description_es
        assert description.count("The Computational Democracy Project") == 1


def write_folder(folder: Path, comments: list[tuple], votes: list[tuple]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "comments.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated",
                         "comment-body"])
        for comment_id, author, moderated, text in comments:
            writer.writerow([1_600_000_000_000 + comment_id, "", comment_id, author, 0, 0, moderated, text])
    with (folder / "votes.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        for timestamp, comment_id, voter, vote in votes:
            writer.writerow([timestamp, "", comment_id, voter, vote])
    return folder


def test_pseudonymous_participants_latest_votes_and_hidden_comments(app, client, consultation_id, tmp_path):
    long_text = "Más " * 60 + "<script>alert(1)</script>fin"
    folder = write_folder(tmp_path / "tiny", [(0, 7, 1, "Más parques"), (1, 8, -1, "Spam spam"), (2, 7, 0, long_text)],
                          [(1000, 0, 7, 1), (2000, 0, 7, -1), (1500, 0, 9, 0), (1000, 1, 9, 1), (1000, 2, 8, 1)])
    assert run_import(app, folder, consultation_id, "--language", "es") == {
        "demands": 3, "reactions": 4, "participants": 3}
    with app.app_context():
        person = db.session.scalars(select(User).where(User.email == f"polis-{consultation_id}-7@pseudonymous.invalid")
                                    ).one()
        assert person.is_pseudonymous and person.password_hash == "!" and person.display_name == "Participante Polis 7"
        demands = {d.external_id: d for d in db.session.scalars(select(Demand))}
        assert demands["0"].disagree_count == 1 and demands["0"].agree_count == 0 and demands["0"].pass_count == 1
        assert demands["0"].author_id == person.id and demands["0"].club_id is None
        assert demands["1"].is_hidden and "Polis" in demands["1"].hidden_reason
        assert len(demands["2"].title) <= 140 and "<" not in demands["2"].title + demands["2"].body
        assert "<script" not in demands["2"].body_html
    response = client.post("/account/login", data={"email": f"polis-{consultation_id}-7@pseudonymous.invalid",
                                                    "password": "!"})
    assert response.status_code != 302  # an imported participant cannot log in

    write_folder(folder, [(0, 7, 1, "Más parques"), (1, 8, -1, "Spam spam"), (2, 7, 0, long_text)],
                 [(1000, 0, 7, 1), (3000, 0, 7, 1), (1500, 0, 9, 0), (1000, 1, 9, 1), (1000, 2, 8, 1)])
    run_import(app, folder, consultation_id)  # a newer export: the changed vote is brought up to date
    with app.app_context():
        demand = db.session.scalars(select(Demand).where(Demand.external_id == "0")).one()
        assert (demand.agree_count, demand.disagree_count, demand.pass_count) == (1, 0, 1)
        assert db.session.scalar(select(func.count(Reaction.id))) == 4


def test_bad_input_is_reported_clearly(app, consultation_id, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["import-polis", str(tmp_path), "--consultation", str(consultation_id)])
    assert missing.exit_code != 0 and "comments.csv" in missing.output
    folder = write_folder(tmp_path / "x", [(0, 1, 1, "hola")], [])
    unknown = runner.invoke(args=["import-polis", str(folder), "--consultation", "999999"])
    assert unknown.exit_code != 0 and "no consultation 999999" in unknown.output


def test_an_export_that_is_not_utf8_is_refused_with_a_clear_message(app, consultation_id, tmp_path):
    folder = write_folder(tmp_path / "latin1", [(1, 10, 1, "Agua")], [(1, 1, 20, 1)])
    (folder / "comments.csv").write_bytes((folder / "comments.csv").read_bytes().replace(b"Agua", b"Agu\xe1 \xff"))
    result = app.test_cli_runner().invoke(args=["import-polis", str(folder), "--consultation", str(consultation_id)])
    assert result.exit_code != 0 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "comments.csv is not valid UTF-8" in result.output and "Traceback" not in result.output
