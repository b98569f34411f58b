"""Room names, made by functions so that no string literal for a room is scattered around."""

from __future__ import annotations


def ticket_room(ticket_id: int) -> str:
    """``ticket_room(7) == "ticket:7"``: everyone in ticket 7's swarm room."""
    return f"ticket:{ticket_id}"


def user_room(user_id: int) -> str:
    """``user_room(5) == "user:5"``: every connection of user 5, wherever they are in the app."""
    return f"user:{user_id}"


def queue_room(tier: int) -> str:
    """``queue_room(1) == "queue:1"``: everyone looking at Tier 1's queue."""
    return f"queue:{tier}"


def staff_room(ticket_id: int) -> str:
    """``staff_room(7) == "ticket:7:staff"``: the agents in ticket 7's room, who alone hear its
    internal notes (the requester may be in the ticket room too)."""
    return f"ticket:{ticket_id}:staff"
