"""User administration (admins only): list, create, change role, deactivate, send a password
reset link."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Integer, String

from swarm.accounts import reset
from swarm.accounts import service as accounts
from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import AdminUserOut, UserIn, UserList, UserPatch, UserQuery
from swarm.realtime import access
from swarm.runtime import db_session, runtime

ADMIN_ERRORS = {403: "Admins only", 404: "No such user", 409: "Last active admin"}

# APIFlask names a schema when it first meets it as a view's output; meeting it first nested in
# another schema (UserList) registers it twice. So the views returning AdminUserOut come first.


@api.post("/users")
@api.input(UserIn, arg_name="data")
@api.output(AdminUserOut, status_code=201)
@api.doc(summary="Add a user (admins only)", responses=ADMIN_ERRORS)
@authenticated
def create_user(data: dict[str, Any]) -> Any:
    accounts.require_admin(caller())
    session = db_session()
    user = accounts.create_user(session, runtime().clock, **data, actor=caller())
    session.commit()
    return user


@api.get("/users")
@api.input(UserQuery, location="query", arg_name="query")
@api.output(UserList)
@api.doc(summary="All users, by role and name (admins only)", responses=ADMIN_ERRORS)
@authenticated
def list_users(query: dict[str, Any]) -> Any:
    return {"items": accounts.list_users(db_session(), caller(), query.get("role"))}


@api.patch("/users/<id:user_id>")
@api.input(UserPatch, arg_name="data")
@api.output(AdminUserOut)
@api.doc(
    summary="Change a user's name, role, activity or profile (admins only)", responses=ADMIN_ERRORS
)
@authenticated
def update_user(user_id: int, data: dict[str, Any]) -> Any:
    return accounts.update_user(
        db_session(), runtime().clock, caller(), user_id, data, access.end_person
    )


class ResetSentOut(Schema):
    user_id = Integer(required=True)
    email = String(required=True, metadata={"description": "Where the link is on its way to"})


@api.post("/users/<id:user_id>/password-reset")
@api.output(ResetSentOut, status_code=202)
@api.doc(
    summary="Mail a user a link to choose a new password (admins only)",
    description=(
        'The link "Forgot your password?" sends, queued for the mail worker: it works once, '
        "for SWARM_PASSWORD_RESET_MINUTES. Audited as `password_reset_requested`, `via: admin`. "
        "409 for a deactivated account or a vendor's guest, and when this Swarm sends no mail "
        "(SWARM_SMTP_URL, SWARM_SUPPORT_ADDRESS and SWARM_PUBLIC_URL must all be set)."
    ),
    responses={
        403: "Admins only",
        404: "No such user",
        409: "Deactivated, a guest, or mail is off",
    },
)
@authenticated
def send_reset_link(user_id: int) -> Any:
    config = runtime().config
    mail_on = reset.mail_available(config.smtp_url, config.support_address, config.public_url)
    user = reset.send_reset_link(db_session(), runtime().clock, caller(), user_id, mail_on=mail_on)
    return {"user_id": user.id, "email": user.email}
