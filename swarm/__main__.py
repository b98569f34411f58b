"""``python -m swarm …``: see swarm/cli.py."""

from swarm.cli import main

main()
