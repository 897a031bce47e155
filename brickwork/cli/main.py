"""``brickwork <command>``: argument parsing and dispatch."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="brickwork", description="brickwork: deep learning on NumPy.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train an MLP on the handwritten digits and write a report folder")
    demo.add_argument("--out", default="brickwork-demo", help="output folder (default: ./brickwork-demo)")
    demo.add_argument("--epochs", type=int, default=40, help="training epochs (default: 40)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--verbose", type=int, default=None, choices=[0, 1, 2],
                      help="Keras-style progress: 0 silent, 1 bar, 2 one line per epoch")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from brickwork.cli.demo import run_demo

        return run_demo(out=args.out, epochs=args.epochs, seed=args.seed, verbose=args.verbose)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
