"""The REST API under /api/v1: thin views over the domain services, described by OpenAPI."""

from apiflask import APIBlueprint

api = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="Swarm")

# Importing the view modules registers their routes on ``api``.
from swarm.api import auth_views, skill_views, ticket_views, user_views  # noqa: E402, F401
from swarm.api.auth import check_cookie_request  # noqa: E402

api.before_request(check_cookie_request)
