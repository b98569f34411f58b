"""User administration (admins only): list, create, change role, deactivate."""

from __future__ import annotations

from typing import Any

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
