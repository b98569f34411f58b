"""Server-rendered pages (Jinja templates, no build step)."""

from flask import Blueprint

web = Blueprint("web", __name__)

# Importing the view modules registers their routes on ``web``.
from swarm.web import (  # noqa: E402, F401
    account_views,
    admin_views,
    dashboard_pages,
    filters,
    knowledge_pages,
    notification_pages,
    password_pages,
    portal_pages,
    rule_pages,
    simulation_pages,
    skill_pages,
    ticket_pages,
    tier_pages,
    webhook_pages,
    work_pages,
)
