"""The requester's "How did we do?": one answer per resolution, from the requester only, with
nothing stored or published when it is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from swarm.models import TicketEvent
from swarm.tickets.errors import Forbidden, IllegalTransition, Invalid, NotFound
from tests.builders import make_agent, make_manager, make_ticket, make_user


def ratings(session, ticket_id):
    query = select(TicketEvent.data).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.type == "satisfaction_rated"
    )
    return list(session.scalars(query.order_by(TicketEvent.id)))


@pytest.fixture
def people(session, clock):
    return make_user(session, clock, name="Rita"), make_agent(session, clock, name="Ada")


@pytest.fixture
def resolved(tickets, people, notifier):
    requester, agent = people
    ticket = make_ticket(tickets, requester)
    tickets.claim(agent, ticket.id)
    tickets.resolve(agent, ticket.id, "Replaced the dock's cable.")
    notifier.published.clear()
    return ticket


def test_the_requester_rates_a_resolved_ticket_and_the_event_is_published(
    session, clock, tickets, notifier, people, resolved
):
    requester, _ = people
    clock.advance(minutes=30)

    event = tickets.rate_ticket(requester, resolved.id, 4, "  Quick, thanks.  ")

    assert ratings(session, resolved.id) == [{"score": 4, "comment": "Quick, thanks."}]
    [published] = notifier.published
    assert published == {
        "id": event.id,
        "type": "satisfaction_rated",
        "ticket_id": resolved.id,
        "at": clock.now().isoformat(),
        "actor": {"id": requester.id, "name": "Rita"},
        "data": {"score": 4, "comment": "Quick, thanks."},
        "mode": "swarm",
        "tier": None,
    }


def test_a_rating_without_a_comment_stores_only_the_score(session, tickets, people, resolved):
    tickets.rate_ticket(people[0], resolved.id, 5, "   ")
    assert ratings(session, resolved.id) == [{"score": 5}]


def test_a_closed_ticket_can_be_rated(session, tickets, people, resolved):
    requester, _ = people
    tickets.close(requester, resolved.id)
    tickets.rate_ticket(requester, resolved.id, 3)
    assert ratings(session, resolved.id) == [{"score": 3}]


@pytest.mark.parametrize("make", [make_agent, make_manager])
def test_staff_cannot_rate_for_the_requester(session, clock, tickets, notifier, resolved, make):
    with pytest.raises(Forbidden, match="Only the requester can rate"):
        tickets.rate_ticket(make(session, clock), resolved.id, 5)
    assert ratings(session, resolved.id) == [] and notifier.published == []


def test_another_requester_cannot_learn_the_ticket_exists(session, clock, tickets, resolved):
    with pytest.raises(NotFound, match=f"There is no ticket {resolved.id}"):
        tickets.rate_ticket(make_user(session, clock), resolved.id, 5)
    with pytest.raises(NotFound):
        tickets.satisfaction(make_user(session, clock), resolved.id)


@pytest.mark.parametrize("stage", ["new", "open", "reopened"])
def test_only_a_resolved_or_closed_ticket_can_be_rated(session, tickets, notifier, people, stage):
    requester, agent = people
    ticket = make_ticket(tickets, requester)
    if stage != "new":
        tickets.claim(agent, ticket.id)
    if stage == "reopened":
        tickets.resolve(agent, ticket.id, "Fixed.")
        tickets.reopen(requester, ticket.id, "Back again")
    notifier.published.clear()

    with pytest.raises(IllegalTransition, match="you can rate it once it is resolved"):
        tickets.rate_ticket(requester, ticket.id, 2)

    assert ratings(session, ticket.id) == [] and notifier.published == []


def test_a_second_rating_of_the_same_resolution_is_refused(
    session, tickets, notifier, people, resolved
):
    requester, _ = people
    tickets.rate_ticket(requester, resolved.id, 2, "Slow.")
    tickets.close(requester, resolved.id)
    notifier.published.clear()

    with pytest.raises(IllegalTransition, match=r"already rated ticket \d+ \(2 of 5\)"):
        tickets.rate_ticket(requester, resolved.id, 5)

    assert ratings(session, resolved.id) == [{"score": 2, "comment": "Slow."}]
    assert notifier.published == []


def test_after_a_reopen_and_a_new_resolution_the_requester_rates_again(
    session, tickets, people, resolved
):
    requester, agent = people
    tickets.rate_ticket(requester, resolved.id, 2, "It came back.")
    tickets.reopen(requester, resolved.id, "Still drops")
    assert tickets.satisfaction(requester, resolved.id).rating is None
    tickets.resolve(agent, resolved.id, "Swapped the dock.")

    state = tickets.satisfaction(requester, resolved.id)
    assert state.can_rate and state.rating is None
    tickets.rate_ticket(requester, resolved.id, 5)

    assert ratings(session, resolved.id) == [{"score": 2, "comment": "It came back."}, {"score": 5}]
    assert tickets.satisfaction(requester, resolved.id).rating.data == {"score": 5}


@pytest.mark.parametrize(
    ("score", "comment", "field"),
    [
        (0, None, "score"),
        (6, None, "score"),
        (-1, None, "score"),
        (True, None, "score"),
        (4.0, None, "score"),
        ("4", None, "score"),
        (None, None, "score"),
        (4, "x" * 2001, "comment"),
        (4, 42, "comment"),
    ],
)
def test_bad_scores_and_comments_are_refused_and_nothing_is_stored(
    session, tickets, notifier, people, resolved, score, comment, field
):
    with pytest.raises(Invalid) as refused:
        tickets.rate_ticket(people[0], resolved.id, score, comment)
    assert field in (refused.value.fields or {})
    assert ratings(session, resolved.id) == [] and notifier.published == []


def test_a_comment_of_2000_characters_after_stripping_is_accepted(
    session, tickets, people, resolved
):
    tickets.rate_ticket(people[0], resolved.id, 1, " " + "y" * 2000 + "\n")
    assert ratings(session, resolved.id)[0]["comment"] == "y" * 2000


def test_the_state_tells_each_viewer_what_they_may_do(session, clock, tickets, people, resolved):
    requester, agent = people
    before = tickets.satisfaction(requester, resolved.id)
    assert (before.rating, before.can_rate, before.why_not) == (None, True, None)

    tickets.rate_ticket(requester, resolved.id, 4, "Good.")

    mine = tickets.satisfaction(requester, resolved.id)
    assert mine.rating.data == {"score": 4, "comment": "Good."} and not mine.can_rate
    assert "already rated" in mine.why_not
    staff = tickets.satisfaction(agent, resolved.id)
    assert staff.rating.data == {"score": 4, "comment": "Good."}
    assert not staff.can_rate and "Only the requester" in staff.why_not
