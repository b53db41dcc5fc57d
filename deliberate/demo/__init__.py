"""The demo federation a newcomer sees: Zacatecan hometown clubs in Southern California.

- ``content``: what the demo is made of (clubs, names, demands, how its opinion camps lean);
- ``federation``: ``seed_demo()``, the federation, its clubs, members and board (``deliberate seed-demo``);
- ``consultation``: the demo consultation, collecting, with demands and reactions;
- ``ballots``: the demo consultation opened for voting (``deliberate demo-vote``), and members who vote as their
  reactions lean (``deliberate demo-ballots``);
- ``assembly``: Club Jerez's assemblies, a demand raised at one and twelve paper ballots cast at another;
- ``cycle``: a whole consultation from demands to a published, followed-up agenda (``deliberate demo-cycle``).

Everything a service can write is written through it, as the board and the members would.
"""

from __future__ import annotations

from deliberate.demo.ballots import cast_demo_ballots, demo_ballot, open_demo_vote
from deliberate.demo.content import (
    AGREEMENT,
    CAMPS,
    CLUB_CAMPS,
    CLUBS,
    CONSULTATION_TITLE_EN,
    CONSULTATION_TITLE_ES,
    DEMANDS,
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    FEDERATION_SLUG,
)
from deliberate.demo.cycle import run_demo_cycle
from deliberate.demo.federation import DemoResult, seed_demo

__all__ = [
    "AGREEMENT", "CAMPS", "CLUBS", "CLUB_CAMPS", "CONSULTATION_TITLE_EN", "CONSULTATION_TITLE_ES", "DEMANDS",
    "DEMO_PASSWORD", "EMAIL_DOMAIN", "FEDERATION_SLUG", "DemoResult", "cast_demo_ballots", "demo_ballot",
    "open_demo_vote", "run_demo_cycle", "seed_demo",
]
