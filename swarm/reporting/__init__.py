"""Reports read from the database: the manager's tiered-versus-swarm comparison (the SQL and
statistics live in the pure ``swarm.metrics``)."""
