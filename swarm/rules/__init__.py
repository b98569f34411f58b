"""Automation rules: when an event of a type happens and conditions on the ticket hold, do
actions. This package is pure (no Flask, no database): :mod:`swarm.rules.spec` reads and checks
a rule's definition, :mod:`swarm.rules.engine` decides which rules fire on an event and what
they would do. Carrying the actions out is ``swarm/automation`` (docs/rules.md)."""
