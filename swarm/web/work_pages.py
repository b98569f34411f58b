"""My work (where staff land after sign-in) and the inbox, with the count in the nav."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from swarm.runtime import inbox_service, room_service
from swarm.tickets.errors import DomainError
from swarm.web import web
from swarm.web.forms import current
from swarm.web.i18n import translate


@web.app_context_processor
def inbox_badge() -> dict[str, Any]:
    """``inbox_count()`` for the nav; asked only by pages that show a staff member's nav."""

    def count() -> int:
        if not current_user.is_authenticated or not current().is_staff:
            return 0
        return inbox_service().inbox(current()).count

    return {"inbox_count": count}


@web.get("/my-work")
@login_required
def my_work() -> Any:
    user = current()
    if not user.is_staff:
        return redirect(url_for("web.tickets"))
    return render_template("work/my_work.html", work=inbox_service().my_work(user))


@web.get("/inbox")
@login_required
def inbox() -> Any:
    return render_template("work/inbox.html", inbox=inbox_service().inbox(current()))


@web.post("/inbox/invitations/<id:invitation_id>")
@login_required
def respond_invitation(invitation_id: int) -> Any:
    """Accept (and go to the ticket) or decline an invitation, as the socket event does."""
    accept = request.form.get("answer") == "accept"
    back = request.form.get("back") == "my_work"
    try:
        invitation = room_service().respond(
            current(), invitation_id, accept, request.form.get("reason") or None
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        return redirect(url_for("web.my_work" if back else "web.inbox"))
    if accept:
        flash(_("You joined the swarm."), "info")
        return redirect(url_for("web.ticket", ticket_id=invitation.ticket_id))
    flash(_("Invitation declined."), "info")
    return redirect(url_for("web.my_work" if back else "web.inbox"))


@web.post("/inbox/offers/<id:ticket_id>/<id:agent_id>")
@login_required
def answer_offer(ticket_id: int, agent_id: int) -> Any:
    """Let an agent who offered help into the swarm, or say no, thanks — as the room's
    ``add_helper`` and ``decline_offer`` socket events do."""
    answer = request.form.get("answer")
    back = request.form.get("back") == "my_work"
    if answer not in ("accept", "decline"):
        flash(_("Choose to add them to the swarm or to say no, thanks."), "error")
        return redirect(url_for("web.my_work" if back else "web.inbox"))
    try:
        if answer == "accept":
            room_service().add_helper(current(), ticket_id, agent_id)
        else:
            room_service().decline_offer(
                current(), ticket_id, agent_id, request.form.get("note") or None
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        return redirect(url_for("web.my_work" if back else "web.inbox"))
    flash(_("Added to the swarm.") if answer == "accept" else _("Offer declined."), "info")
    return redirect(url_for("web.my_work" if back else "web.inbox"))
