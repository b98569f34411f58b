"""Where background work runs: beside the request path, never on it.

A :class:`Runner` starts a job concurrently (``start``) and, from inside such a job, runs a
CPU-bound function where it cannot stall the serving loop (``offload``). Under gevent a
``threading.Thread`` is a greenlet: CPU work in it would hold the one OS thread that serves
every connection, so :class:`GeventRunner` hands that part to gevent's thread pool of real OS
threads, while the job's database reads stay in a greenlet, waiting cooperatively like any
request's. What that frees, measured, is in ``bench/training_stall.py`` and docs/matching.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Runner(Protocol):
    #: False when ``start`` runs the job in the caller, which may then share the caller's
    #: database session; a concurrent job must open its own.
    concurrent: bool

    def start(self, job: Callable[[], None]) -> None:
        """Run ``job`` concurrently with the caller (or, for :class:`InlineRunner`, now)."""

    def offload(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn(*args)`` off the serving loop and wait for its result."""


class InlineRunner:
    """Everything now, in the caller: for scripts and tests that want the result at once."""

    concurrent = False

    def start(self, job: Callable[[], None]) -> None:
        job()

    def offload(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)


class ThreadRunner:
    """A daemon OS thread per job (without gevent); the job itself is already off the loop."""

    concurrent = True

    def start(self, job: Callable[[], None]) -> None:
        threading.Thread(target=job, name="swarm-background", daemon=True).start()

    def offload(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)


class GeventRunner:
    """A greenlet per job; its CPU-bound part in gevent's pool of real OS threads."""

    concurrent = True

    def start(self, job: Callable[[], None]) -> None:
        import gevent

        gevent.spawn(job)

    def offload(self, fn: Callable[..., T], *args: Any) -> T:
        import gevent

        result: T = gevent.get_hub().threadpool.apply(fn, args)
        return result


def background_runner() -> Runner:
    """The runner for this process: gevent's when the standard library is patched."""
    try:
        from gevent import monkey
    except ImportError:  # gevent is only needed by `serve`
        return ThreadRunner()
    return GeventRunner() if monkey.is_module_patched("threading") else ThreadRunner()
