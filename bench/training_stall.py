"""How long the skill model's training stalls a gevent server's loop, by where it runs.

A heartbeat greenlet asks to wake every millisecond while the model (``TextModel``: TF-IDF +
linear SVMs, as ``swarm.dispatch.inference`` trains it) is fitted on real tickets, and records
how late each wake-up is — what every connection of the process would wait. Modes:

* ``inline``: fitted in a greenlet (what a routed ticket did before issue 17 item 2);
* ``thread``: in a ``threading.Thread``, which under monkey-patching is a greenlet too;
* ``threadpool``: in gevent's pool of real OS threads (``GeventRunner.offload``, the product);
* ``process``: in a child process, the model pickled back and unpickled in the loop.

Usage::

    python bench/training_stall.py --json [--tickets 2000] [--modes inline,threadpool,process]

Reads ``it-ticket-assignment-text/input_data.csv.gz`` from ``SWARM_SHARED_DATA`` (or
``../shared/data``). Prints one JSON object: per mode the training's wall seconds and the
heartbeat's lateness (max, p99, p50 in ms, and how many wake-ups were over 10 and 50 ms).
Nothing asserts on time.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - gevent must patch before anything else is imported
import json  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import gevent.subprocess  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from swarm.skills.evaluation import read_tickets  # noqa: E402
from swarm.skills.inference import TextModel  # noqa: E402


def examples(count: int) -> tuple[list[str], list[list[str]]]:
    data = Path(os.environ.get("SWARM_SHARED_DATA") or ROOT.parent / "shared" / "data")
    rows = read_tickets(data / "it-ticket-assignment-text" / "input_data.csv.gz")[:count]
    return [text for text, _ in rows], [[group] for _, group in rows]


def fit(texts: list[str], labels: list[list[str]]) -> TextModel[str]:
    return TextModel[str]().fit(texts, labels)


def in_child(texts: list[str], labels: list[list[str]]) -> TextModel[str]:
    with tempfile.TemporaryDirectory() as tmp:
        given, trained = Path(tmp) / "in.pickle", Path(tmp) / "out.pickle"
        given.write_bytes(pickle.dumps((texts, labels)))
        gevent.subprocess.run([sys.executable, __file__, "--child", str(given), str(trained)])
        # The file was written by our own child a moment ago, in our own temporary directory.
        model: TextModel[str] = pickle.loads(trained.read_bytes())  # noqa: S301
        return model


def measure(mode: str, texts: list[str], labels: list[list[str]]) -> dict[str, Any]:
    late: list[float] = []
    stop = False

    def heartbeat() -> None:
        while not stop:
            asked = time.perf_counter()
            gevent.sleep(0.001)
            late.append((time.perf_counter() - asked - 0.001) * 1000)

    beat = gevent.spawn(heartbeat)
    gevent.sleep(0.05)
    late.clear()
    started = time.perf_counter()
    if mode == "inline":
        gevent.spawn(fit, texts, labels).join()
    elif mode == "thread":
        worker = threading.Thread(target=fit, args=(texts, labels))
        worker.start()
        worker.join()
    elif mode == "threadpool":
        gevent.get_hub().threadpool.apply(fit, (texts, labels))
    elif mode == "process":
        in_child(texts, labels)
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - started
    stop = True
    beat.join()
    ordered = sorted(late) or [0.0]
    return {
        "train_seconds": round(seconds, 2),
        "beats": len(late),
        "late_max_ms": round(ordered[-1], 1),
        "late_p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 1),
        "late_p50_ms": round(ordered[len(ordered) // 2], 2),
        "over_10ms": sum(1 for x in late if x > 10),
        "over_50ms": sum(1 for x in late if x > 50),
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        # Written by the parent process for this child only (see in_child).
        texts, labels = pickle.loads(Path(sys.argv[2]).read_bytes())  # noqa: S301
        Path(sys.argv[3]).write_bytes(pickle.dumps(fit(texts, labels)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--modes", default="inline,thread,threadpool,process")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval in seconds (Python's default 0.005): how long a thread "
        "holding the GIL keeps the loop waiting",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    texts, labels = examples(args.tickets)
    result: dict[str, Any] = {
        "tickets": len(texts),
        "labels": len({label for [label] in labels}),
        "load": os.getloadavg(),
        "switch_interval": sys.getswitchinterval(),
        "modes": {},
    }
    for mode in args.modes.split(","):
        print(f"{mode}…", file=sys.stderr)
        result["modes"][mode] = measure(mode, texts, labels)
    if args.json:
        print(json.dumps(result))
    else:
        for mode, figures in result["modes"].items():
            print(mode, figures)


if __name__ == "__main__":
    main()
