"""Room names, made by functions so that no string literal for a room is scattered around.

A ticket has one room per audience (``swarm.events.Audience``), and each connection joins the
one its person belongs to: every event is shaped once per audience and sent to that room, so a
requester's connection never receives what only staff may see.
"""

from __future__ import annotations

from swarm.events import Audience


def audience_room(ticket_id: int, audience: Audience) -> str:
    """``audience_room(7, Audience.STAFF) == "ticket:7:staff"``."""
    return f"ticket:{ticket_id}:{audience.value}"


def staff_room(ticket_id: int) -> str:
    """``staff_room(7) == "ticket:7:staff"``: staff with ticket 7 open; they hear everything."""
    return audience_room(ticket_id, Audience.STAFF)


def requester_room(ticket_id: int) -> str:
    """``requester_room(7) == "ticket:7:requester"``: the requester's connections to ticket 7,
    which hear its public conversation and timeline, never the swarm."""
    return audience_room(ticket_id, Audience.REQUESTER)


def guest_room(ticket_id: int) -> str:
    """``guest_room(7) == "ticket:7:guest"``: guests invited to ticket 7's swarm room."""
    return audience_room(ticket_id, Audience.GUEST)


def user_room(user_id: int) -> str:
    """``user_room(5) == "user:5"``: every connection of user 5, wherever they are in the app."""
    return f"user:{user_id}"


def queue_room(tier: int) -> str:
    """``queue_room(1) == "queue:1"``: everyone looking at Tier 1's queue."""
    return f"queue:{tier}"


def dashboard_room() -> str:
    """``dashboard_room() == "dashboard"``: managers and admins with the dashboard open, told
    when the live data changed so that they re-read the metrics."""
    return "dashboard"


#: Rooms whose closing ends their members' connections, on every process (realtime/queue.py).
ENDS = "ends:"


def ends_session_room(session_hash: str) -> str:
    """``ends_session_room("ab12") == "ends:session:ab12"``: the connections opened with one
    browser session (named by its key's hash), ended with it."""
    return f"{ENDS}session:{session_hash}"


def ends_token_room(token_id: int) -> str:
    """``ends_token_room(3) == "ends:token:3"``: the connections opened with API token 3."""
    return f"{ENDS}token:{token_id}"


def ends_person_room(user_id: int) -> str:
    """``ends_person_room(5) == "ends:person:5"``: every connection of user 5, ended when their
    role changes or their account is deactivated."""
    return f"{ENDS}person:{user_id}"
