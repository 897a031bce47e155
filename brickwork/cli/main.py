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
    study = sub.add_parser("study", help="the course's case studies: list them, or run one into a report folder")
    study_sub = study.add_subparsers(dest="study_command", required=True)
    study_sub.add_parser("list", help="list the studies")
    run = study_sub.add_parser("run", help="run a study and write its report folder")
    run.add_argument("name", help="study name (see 'brickwork study list')")
    run.add_argument("--data", default=None, help="data folder or file (default: the shipped/synthetic data)")
    run.add_argument("--out", default=None, help="report folder (default: ./brickwork-study-NAME)")
    run.add_argument("--quick", action="store_true", help="a smaller, faster run")
    predict = sub.add_parser("predict", help="score a CSV with a model saved by a study")
    predict.add_argument("--model", required=True, help="the saved model file (model.bw)")
    predict.add_argument("--input", required=True, help="CSV of rows to score")
    predict.add_argument("--output", required=True, help="CSV to write (atomically)")
    predict.add_argument("--sequences", default=None, help="CSV of the related monthly table, if the model uses one")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from brickwork.cli.demo import run_demo

        return run_demo(out=args.out, epochs=args.epochs, seed=args.seed, verbose=args.verbose)
    if args.command == "study":
        from brickwork.studies import STUDIES, run_study

        if args.study_command == "list":
            for name, (_, about) in STUDIES.items():
                print(f"{name:14s} {about}")
            return 0
        try:
            report = run_study(args.name, out=args.out or f"brickwork-study-{args.name}", data=args.data,
                               quick=args.quick)
        except (ValueError, FileNotFoundError, ImportError) as err:
            print(f"brickwork study: {err}", file=sys.stderr)
            return 2
        print(f"report: {report.out}/report.md")
        return 0
    if args.command == "predict":
        from brickwork.cli.predict import run_predict

        try:
            return run_predict(args.model, args.input, args.output, args.sequences)
        except (ValueError, FileNotFoundError) as err:
            print(f"brickwork predict: {err}", file=sys.stderr)
            return 2
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
