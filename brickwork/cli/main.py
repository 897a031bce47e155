"""``brickwork <command>``: argument parsing and dispatch."""

from __future__ import annotations

import argparse
import sys
import traceback

EXIT_CODES = """exit status:
  0  success
  1  internal error (a bug: a traceback is printed; please report it)
  2  usage or input error (bad arguments, a missing/unreadable/corrupt file, a CSV that does not fit the
     model, an --output that would overwrite something): a one-line 'error: ...' on stderr, no traceback
"""

PREDICT_EPILOG = """Every input of the model must be supplied: a model with a sequence input refuses to score
without --sequences. --output is written atomically, never replaces the model or an input file, and
replaces another existing file only with --force. European CSVs: --sep ';' --decimal ','.

""" + EXIT_CODES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="brickwork", description="brickwork: deep learning on NumPy.",
                                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    predict = sub.add_parser("predict", help="score a CSV with a model saved by a study", epilog=PREDICT_EPILOG,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    predict.add_argument("--model", required=True,
                         help="the saved model file (.brick, .keras, or .onnx from brickwork.export.to_onnx)")
    predict.add_argument("--input", required=True, help="CSV of rows to score")
    predict.add_argument("--output", required=True, help="CSV to write (atomically); must not exist unless --force")
    predict.add_argument("--sequences", default=None,
                         help="CSV of the related monthly table (required when the model has a sequence input)")
    predict.add_argument("--force", action="store_true",
                         help="replace an existing --output file (never the model or an input file)")
    predict.add_argument("--encoding", default="utf-8",
                         help="text encoding of the CSVs (default: utf-8; e.g. latin-1, cp1252)")
    predict.add_argument("--sep", default=",", help="field separator of the CSVs (default: ','; e.g. ';')")
    predict.add_argument("--decimal", default=".", help="decimal mark of the CSVs (default: '.'; e.g. ',')")
    predict.add_argument("--batch-size", type=int, default=1024, help="rows per model call (default: 1024)")
    predict.add_argument("--reasons", type=int, default=0, metavar="N",
                         help="also write each row's N reason codes (the features pushing the score most toward "
                              "default, by integrated gradients): columns reason_1..reason_N and reason_k_value")
    return parser


def _run_predict(args: argparse.Namespace) -> int:
    from brickwork.cli.predict import run_predict

    if args.batch_size <= 0:
        raise ValueError(f"--batch-size must be a positive integer; got {args.batch_size}.")
    if args.reasons < 0:
        raise ValueError(f"--reasons must be a non-negative integer (0: no reason codes); got {args.reasons}.")
    for option in ("sep", "decimal"):
        if not getattr(args, option):
            raise ValueError(f"--{option} must not be empty.")
    return run_predict(args.model, args.input, args.output, args.sequences, batch_size=args.batch_size,
                       force=args.force, encoding=args.encoding, sep=args.sep, decimal=args.decimal,
                       reasons=args.reasons)


def main(argv: list[str] | None = None) -> int:
    """Run ``brickwork`` with ``argv`` (default ``sys.argv[1:]``); the exit status (see ``EXIT_CODES``).

    A user error prints ``brickwork COMMAND: error: ...`` and returns 2; an unexpected exception prints
    its traceback and returns 1; argparse's own usage errors exit with 2 (``SystemExit``).
    """
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print(f"brickwork {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - the last resort: a bug, shown in full
        traceback.print_exc()
        print(f"brickwork {args.command}: internal error (the traceback above is a bug in brickwork; please "
              "report it)", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
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
        print(f"report: {report.out}/report.md and {report.out}/report.html")
        return 0
    if args.command == "predict":
        try:
            return _run_predict(args)
        except (ValueError, OSError) as err:  # PredictError, schema errors, ModelFileError, file errors
            print(f"brickwork predict: error: {err}", file=sys.stderr)
            return 2
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
