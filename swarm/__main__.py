"""``python -m swarm …`` and the installed ``swarm`` command: see swarm/cli.py.

``serve`` runs under gevent, which must patch the standard library before anything else is
imported (sockets, threads, the database drivers' waits), so that happens here, first. The
``swarm`` console script (pyproject.toml) calls ``run`` below; importing this module from it
imports nothing but ``sys``, so the patching still comes first.
"""

import sys


def run() -> None:
    if sys.argv[1:2] == ["serve"] and "--help" not in sys.argv:
        import gevent
        from gevent import monkey

        # Every socket event is handled in a greenlet of its own; by default gevent records the
        # spawning stack of each (23 frame objects apiece), which cost CPU at every spawn and
        # made the largest share of what the garbage collector scans (docs/realtime-server.md).
        gevent.config.track_greenlet_tree = False
        monkey.patch_all()

    from swarm.cli import main  # imported after the monkey-patching above, on purpose

    main()


if __name__ == "__main__":
    run()
