"""``python -m swarm …``: see swarm/cli.py.

``serve`` runs under gevent, which must patch the standard library before anything else is
imported (sockets, threads, the database drivers' waits), so that happens here, first.
"""

import sys

if sys.argv[1:2] == ["serve"] and "--help" not in sys.argv:
    from gevent import monkey

    monkey.patch_all()

from swarm.cli import main  # imported after the monkey-patching above, on purpose

main()
