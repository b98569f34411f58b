"""The live driver of the routing policies: builds their views from the database, calls them,
and applies their decisions through the ticket service. The simulator is the other driver."""
