"""People and credentials: users, password hashes, API tokens."""
