"""How the ticket page's timeline words a helper's arrival and departure."""

from __future__ import annotations

import pytest

from swarm.models import TicketEvent
from swarm.web.filters import describe

PEOPLE = {7: "Hugo Helper", 9: "Olga Owner"}


@pytest.mark.parametrize(
    ("kind", "actor", "data", "text"),
    [
        ("helper_joined", 7, {"agent_id": 7}, "joined the swarm"),
        ("helper_joined", 9, {"agent_id": 7}, "— Hugo Helper joined the swarm"),
        ("helper_joined", 9, {"agent_id": 9, "was_owner": True}, "stays in the swarm as a helper"),
        ("helper_left", 7, {"agent_id": 7, "seconds": 60}, "left the swarm"),
        ("helper_left", 7, {"agent_id": 7, "lost": True}, "left the swarm (connection lost)"),
        ("helper_left", 7, {"agent_id": 7, "became_owner": True}, "now owns it instead of helping"),
    ],
)
def test_a_helpers_moves_read_as_a_sentence_after_the_actors_name(kind, actor, data, text):
    event = TicketEvent(type=kind, actor_id=actor, data=data)
    assert str(describe(event, PEOPLE)) == text


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"score": 5}, "rated the help 5 of 5 (Great)"),
        ({"score": 2, "comment": "Slow <b>"}, "rated the help 2 of 5 (Poor): “Slow &lt;b&gt;”"),
    ],
)
def test_a_rating_reads_as_a_score_in_words_with_the_comment_escaped(data, text):
    event = TicketEvent(type="satisfaction_rated", actor_id=3, data=data)
    assert str(describe(event, PEOPLE)) == text
