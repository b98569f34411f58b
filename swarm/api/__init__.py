"""The REST API under /api/v1: thin views over the domain services, described by OpenAPI."""

from apiflask import APIBlueprint

api = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="Swarm")

# Importing the view modules registers their routes on ``api``.
from swarm.api import (  # noqa: E402, F401
    attachment_views,
    audit_views,
    auth_views,
    guest_views,
    inbox_views,
    knowledge_views,
    metrics_views,
    notification_views,
    portal_views,
    rule_views,
    simulation_views,
    skill_views,
    ticket_views,
    tier_views,
    user_views,
    webhook_views,
)
from swarm.api.auth import check_cookie_request  # noqa: E402

api.before_request(check_cookie_request)
