"""word2vec training speed: brickwork words/s ÷ gensim words/s on the same corpus and settings.

Corpus: Debian's fortunes plus gensim's Lee corpus (~470k words); vector_size 100,
window 5, min_count 5, sample 1e-3, 5 epochs. Both models get their vocabulary first
(not timed); then ``train`` is timed, as gensim's own words/s counts training only.
gensim runs with ``workers`` threads; brickwork with the same number of worker threads
(Hogwild, see ``Word2Vec.train``); one BLAS thread each (threadpoolctl). Fresh models
every repeat, the two libraries alternating; medians. Besides the wall-clock words/s
the table gives the ratio of CPU seconds (all threads): on a machine shared with other
jobs it moves less than the wall clock.

With the ``fast`` extra (numba) brickwork trains pair by pair in compiled loops
(``brickwork.kernels.word2vec_kernels``); ``--kernels off`` runs the vectorised NumPy trainer,
as without the extra.

Usage: python benchmarks/bench_word2vec.py [--repeats 3] [--kernels on|off] [--workers 1,2]
       [--epochs 5] [--sentences N] [--configs sg-ns,cbow-ns,cbow-hs,sg-hs]
       (``--sentences``/``--epochs``: a smaller run, to try the script)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import add_kernels_option, apply_kernels_option, machine, report  # noqa: E402

CONFIGS = {"sg-ns": ("skip-gram + negative sampling", dict(sg=1, hs=0, negative=5)),
           "cbow-ns": ("CBOW + negative sampling", dict(sg=0, hs=0, negative=5)),
           "cbow-hs": ("CBOW + hierarchical softmax", dict(sg=0, hs=1, negative=0)),
           "sg-hs": ("skip-gram + hierarchical softmax", dict(sg=1, hs=1, negative=0))}


def _timed_train(model, corpus, epochs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process) of one ``train`` call."""
    wall, cpu = time.perf_counter(), time.process_time()
    model.train(corpus, total_examples=len(corpus), epochs=epochs)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--sentences", type=int, default=0, help="use only the first N sentences (0: all)")
    parser.add_argument("--configs", default="sg-ns,cbow-ns,cbow-hs,sg-hs", help=f"any of {','.join(CONFIGS)}")
    add_kernels_option(parser)
    args = parser.parse_args()
    apply_kernels_option(args.kernels)
    import gensim
    from gensim.models import Word2Vec as GensimWord2Vec
    from threadpoolctl import threadpool_limits

    from brickwork.datasets.corpora import fortunes_sentences, lee_sentences
    from brickwork.text import Word2Vec

    corpus = fortunes_sentences() + lee_sentences()
    if args.sentences:
        corpus = corpus[:args.sentences]
    words = sum(map(len, corpus)) * args.epochs
    print(f"machine: {machine()}; gensim {gensim.__version__}; corpus {len(corpus)} sentences, "
          f"{words // args.epochs:,} words; {args.epochs} epochs; load average {os.getloadavg()[0]:.1f}")
    common = dict(vector_size=100, window=5, min_count=5, sample=1e-3, seed=1)
    for sg in (0, 1):                         # compile (or load) the kernels before timing
        Word2Vec(corpus[:200], **dict(common, min_count=1), sg=sg, hs=1, negative=5, epochs=1)
    rows = []
    for key in args.configs.split(","):
        label, settings = CONFIGS[key]
        for workers in (int(w) for w in args.workers.split(",")):
            times: dict[str, list[tuple[float, float]]] = {"brickwork": [], "gensim": []}
            with threadpool_limits(1):        # `workers` training threads, one BLAS thread each
                for _ in range(args.repeats):
                    for name, cls in (("gensim", GensimWord2Vec), ("brickwork", Word2Vec)):
                        model = cls(workers=workers, **common, **settings)
                        model.build_vocab(corpus)
                        times[name].append(_timed_train(model, corpus, args.epochs))
            wall = {name: statistics.median(t[0] for t in ts) for name, ts in times.items()}
            cpu = {name: statistics.median(t[1] for t in ts) for name, ts in times.items()}
            b, g = words / wall["brickwork"], words / wall["gensim"]
            rows.append((label, workers, b, g, b / g, cpu["gensim"] / cpu["brickwork"]))
            report(f"word2vec {label}", workers, b, g, "gensim", "words/s")
    print("\n| configuration | workers | brickwork words/s | gensim words/s | ratio (wall) | ratio (CPU s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, workers, b, g, ratio, cpu_ratio in rows:
        print(f"| {label} | {workers} | {b:,.0f} | {g:,.0f} | {ratio:.2f} | {cpu_ratio:.2f} |")


if __name__ == "__main__":
    main()
