"""Tier 0: the knowledge base — articles, their rendering, search, and the service that writes
them. Takes a ``Session`` and a clock; never imports Flask."""
