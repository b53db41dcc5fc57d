"""Reading a Polis export folder: the latest vote wins, whatever the file's layout, and a bad line is named."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from deliberate.polis import PolisFormatError, read_polis_export, read_polis_votes

COMMENTS = """timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body
1600000000000,,1,7,0,0,1,Parks
1600000000001,,2,8,0,0,-1,"Roads, and bridges"
"""
#: Participant 1 changes their mind on 1 (the later timestamp wins, wherever it is in the file), participant 2 votes
#: twice at the same moment on 2 (the later row wins), and a vote on comment 9, which is not listed, is dropped.
VOTES = [
    "timestamp,datetime,comment-id,voter-id,vote",
    "1700000000300,Mon Nov 14 22:13:20 UTC 2023,1,1,-1",
    "1700000000100,Mon Nov 14 22:13:20 UTC 2023,1,1,1",
    "1700000000200,Mon Nov 14 22:13:20 UTC 2023,2,2,1",
    "1700000000200,Mon Nov 14 22:13:20 UTC 2023,2,2,0",
    "1700000000400,Mon Nov 14 22:13:20 UTC 2023,9,3,1",
    "1700000000500,Mon Nov 14 22:13:20 UTC 2023,2,1,0",
]
EXPECTED = [(1, 1, -1), (1, 2, 0), (2, 2, 0)]


def write(folder: Path, votes: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "comments.csv").write_text(COMMENTS, encoding="utf-8")
    (folder / "votes.csv").write_bytes(votes.encode("utf-8"))
    return folder


@pytest.mark.parametrize("layout", [
    "\n".join(VOTES) + "\n",  # plain, read as columns
    "\r\n".join(VOTES) + "\r\n",  # as Python's csv module and spreadsheets write it
    "\ufeff" + "\n".join(VOTES),  # a byte-order mark, no final line feed
    "\n".join(line.replace("Mon Nov 14", '"Mon, Nov 14') .replace(" 2023", ' 2023"') for line in VOTES),  # quoted
    "\n".join(VOTES[:3]) + "\n\n" + "\n".join(VOTES[3:]),  # a blank line
])
def test_the_latest_vote_of_each_participant_on_each_listed_statement_is_read(tmp_path: Path, layout: str) -> None:
    export = read_polis_export(write(tmp_path / "export", layout))
    assert [(r.participant_id, r.statement_id, r.value) for r in export.reactions] == EXPECTED
    assert export.reactions[0].created_at == datetime(2023, 11, 14, 22, 13, 20, 300000)
    assert export.participants == (1, 2, 7, 8)  # the voters and the authors, sorted
    votes = read_polis_votes(tmp_path / "export")
    assert list(zip(votes.voter.tolist(), votes.statement.tolist(), votes.value.tolist(), strict=True)) == EXPECTED
    assert votes.participants == export.participants and votes.statements == export.statements


@pytest.mark.parametrize(("line", "problem"), [
    ("1700000000600,,1,4,2", "votes.csv:8: vote 2 is not 1, -1 or 0"),
    ("1700000000600,,1,four,1", "votes.csv:8: 'four' is not an integer"),
    ("1700000000600,,1,4", "votes.csv:8: None is not an integer"),
])
def test_a_malformed_vote_is_refused_with_its_line(tmp_path: Path, line: str, problem: str) -> None:
    folder = write(tmp_path / "export", "\n".join([*VOTES, line]) + "\n")
    with pytest.raises(PolisFormatError) as raised:
        read_polis_votes(folder)
    assert str(raised.value).endswith(problem)
