"""What the OpenAPI document says that no single view's decorators can: the answers the app's
shared plumbing gives to every operation it applies to.

Each view documents its own refusals (``@api.doc(responses=...)``) and its body and query
(``@api.input``). Some answers come from code that runs before any view, the same for all:
``authenticated`` (401), the JSON body check in ``app.py`` (400, 413) and the cookie check in
``api/auth.py`` (403, 415). They are written into the document here, from the same facts that
code acts on, so that a new view is described truthfully without repeating them.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

ERROR_REF = {"$ref": "#/components/schemas/HTTPError"}
CHANGES = {"post", "put", "patch", "delete"}
CREDENTIALS = [{"BearerToken": []}, {"SessionCookie": []}]

#: The attribute ``authenticated`` sets on a view: it answers 401 to an anonymous caller.
SIGNED_IN_ONLY = "signed_in_only"

SHARED = {
    "401": "Not signed in, or the API token is unknown or revoked",
    "400": "The body is not valid JSON (or has a lone surrogate or a NUL, or is nested over "
    "64 levels)",
    "413": "The body is over 1 MB",
    "403": "Refused (with a session cookie: a change from another origin is refused)",
    "415": "With a session cookie: a body that is not JSON",
}


def openapi_path(rule: str) -> str:
    """``/tickets/<id:ticket_id>`` → ``/tickets/{ticket_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def describe_shared_answers(app: Flask, spec: dict[str, Any]) -> None:
    """Add to every API operation the answers of the shared plumbing, its security, and
    whether its body is required (webargs reads a missing body as ``{}``, so it is required
    exactly when the body's schema has required fields)."""
    paths = spec.get("paths", {})
    schemas = spec.get("components", {}).get("schemas", {})
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods or ()):
            operation = paths.get(openapi_path(rule.rule), {}).get(method.lower())
            if operation is None:
                continue
            signed_in = getattr(view, SIGNED_IN_ONLY, False)
            operation["security"] = CREDENTIALS if signed_in else []
            codes = ["401"] if signed_in else []
            if method.lower() in CHANGES:
                codes += ["400", "413", "403", "415"]
            for code in codes:
                operation["responses"].setdefault(
                    code, {"description": SHARED[code], "content": _error_content()}
                )
            body = operation.get("requestBody")
            if body is not None:
                schema = body["content"]["application/json"]["schema"]
                name = schema.get("$ref", "").rsplit("/", 1)[-1]
                body["required"] = bool(schemas.get(name, schema).get("required"))


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": dict(ERROR_REF)}}
