"""Automation rules at work: stored and edited by admins (:mod:`.service`), run after the
transaction that wrote an event commits (:mod:`.runner`). Which rules fire and what they do
is decided by the pure engine, ``swarm/rules`` (docs/rules.md)."""
