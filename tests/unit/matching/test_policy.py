from datetime import timedelta

from swarm.matching.policy import OFFER_DEADLINE, RETRY_DEADLINE, SwarmPolicy, SwarmSettings
from swarm.routing import (
    Assign,
    ClearDeadline,
    Offer,
    Queue,
    RoutingPolicy,
    SetDeadline,
    SuggestHelpers,
)
from tests.unit.matching.matching_builders import DNS, EXCEL, PRINTING, VPN


def test_swarm_policy_is_a_routing_policy():
    policy: RoutingPolicy = SwarmPolicy()
    assert callable(policy.on_opened)


def test_new_ticket_is_assigned_to_the_best_owner_with_helpers(
    make_agent, make_org, make_ticket, now
):
    org = make_org(make_agent(1, {VPN: 5}, name="Ada"), make_agent(2, {DNS: 4}, name="Bob"))
    decisions = SwarmPolicy().on_opened(make_ticket({VPN: 2, DNS: 1}), org, now)
    assert [type(d) for d in decisions] == [Assign, SuggestHelpers]
    assign, helpers = decisions
    assert assign.agent_id == 1
    assert "knows VPN (5/5)" in assign.why
    assert helpers.agent_ids == (2,)
    assert "covers DNS" in helpers.why


def test_ticket_without_inferable_skill_goes_to_triage_with_a_reason(
    make_agent, make_org, make_ticket, now
):
    org = make_org(make_agent(1, {VPN: 5}))
    (decision,) = SwarmPolicy().on_opened(make_ticket({}), org, now)
    assert decision == Queue(None, "no required skill is known for this ticket: triage it")


def test_ticket_with_unknown_skill_goes_to_triage_not_an_exception(
    make_agent, make_org, make_ticket, now
):
    (decision,) = SwarmPolicy().on_opened(make_ticket({404: 1}), make_org(make_agent(1)), now)
    assert isinstance(decision, Queue)
    assert decision.tier is None
    assert "unknown skill id(s) 404" in decision.why


def test_empty_organisation_queues_and_retries(make_org, make_ticket, now):
    queue, retry = SwarmPolicy().on_opened(make_ticket({VPN: 1}), make_org(), now)
    assert isinstance(queue, Queue)
    assert retry == SetDeadline(RETRY_DEADLINE, now + timedelta(minutes=15))


def test_everyone_at_capacity_names_the_best_candidate_and_retries(
    make_agent, make_org, make_ticket, now
):
    org = make_org(make_agent(1, {VPN: 5}, load=5, name="Ada"), make_agent(2, {VPN: 2}, load=9))
    queue, retry = SwarmPolicy().on_opened(make_ticket({VPN: 1}), org, now)
    assert isinstance(queue, Queue)
    assert "best candidate: Ada (over capacity)" in queue.why
    assert retry.kind == RETRY_DEADLINE


def test_nobody_knowing_anything_close_goes_to_triage(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {EXCEL: 5}))
    (queue,) = SwarmPolicy().on_opened(make_ticket({PRINTING: 1}), org, now)
    assert queue == Queue(None, "nobody available knows Printing or anything close: triage it")


def test_offer_mode_offers_the_top_three_then_assigns_the_best(
    make_agent, make_org, make_ticket, now
):
    org = make_org(*(make_agent(i, {VPN: 6 - i}) for i in range(1, 6)))
    policy = SwarmPolicy(SwarmSettings(offer=True))
    offer, deadline = policy.on_opened(make_ticket({VPN: 1}), org, now)
    assert isinstance(offer, Offer)
    assert offer.agent_ids == (1, 2, 3)
    assert deadline == SetDeadline(OFFER_DEADLINE, now + timedelta(minutes=10))

    later = now + timedelta(minutes=10)
    expired = make_ticket({VPN: 1}, deadlines={OFFER_DEADLINE: later})
    decisions = policy.on_deadline(expired, org, later)
    assert decisions[:2] == [ClearDeadline(OFFER_DEADLINE), Assign(1, decisions[1].why)]


def test_p1_is_assigned_even_in_offer_mode(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}), make_agent(2, {VPN: 4}))
    decisions = SwarmPolicy(SwarmSettings(offer=True)).on_opened(
        make_ticket({VPN: 1}, priority="P1"), org, now
    )
    assert isinstance(decisions[0], Assign)


def test_deadline_after_someone_took_the_ticket_only_clears_it(
    make_agent, make_org, make_ticket, now
):
    org = make_org(make_agent(1, {VPN: 5}))
    ticket = make_ticket({VPN: 1}, owner_id=1, deadlines={OFFER_DEADLINE: now})
    assert SwarmPolicy().on_deadline(ticket, org, now) == [ClearDeadline(OFFER_DEADLINE)]


def test_deadline_not_yet_due_or_not_ours_does_nothing(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}))
    ticket = make_ticket(
        {VPN: 1}, deadlines={RETRY_DEADLINE: now + timedelta(minutes=1), "tier_limit": now}
    )
    assert SwarmPolicy().on_deadline(ticket, org, now) == []


def test_released_ticket_goes_to_someone_else(make_agent, make_org, make_ticket, now):
    org = make_org(make_agent(1, {VPN: 5}), make_agent(2, {VPN: 3}))
    ticket = make_ticket({VPN: 1}, owner_id=1, excluded_agents=frozenset({1}))
    decisions = SwarmPolicy().on_released(ticket, org, now)
    assert decisions[0] == Assign(2, decisions[0].why)
