"""Routing quality on real tickets: print the figures of ``evaluate_routing`` as JSON.

    python bench/eval_routing.py --json \
        --dataset ../shared/data/it-ticket-assignment-text/input_data.csv.gz

Trains on the first 80 % of rows in file order and tests on the rest; takes about 20 s on two
cores (the product model and the TF-IDF + logistic-regression baseline).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Run as a script from a checkout: make the repository root importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swarm.skills.evaluation import evaluate_routing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate routing on labelled tickets.")
    parser.add_argument("--dataset", required=True, type=Path, help="CSV (or .csv.gz) of tickets")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args(argv)
    print(f"[eval] training and testing on {args.dataset}", file=sys.stderr, flush=True)
    figures = evaluate_routing(args.dataset)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>28}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
