"""word2vec training speed: brickwork words/s ÷ gensim words/s on the same corpus and settings.

Corpus: Debian's fortunes plus gensim's Lee corpus (~470k words); vector_size 100,
window 5, min_count 5, sample 1e-3, 5 negatives, 5 epochs. gensim runs with
``workers`` threads; brickwork with the same number of worker threads (Hogwild,
see ``Word2Vec.train``), each with one BLAS thread (threadpoolctl). Alternating
runs, medians.

With the ``fast`` extra (numba) brickwork trains pair by pair in compiled loops
(``brickwork.kernels.word2vec_kernels``); ``--kernels off`` runs the vectorised NumPy trainer,
as without the extra.

Usage: python benchmarks/bench_word2vec.py [--repeats 3] [--kernels on|off] [--workers 1,2]
       [--epochs 5] [--sentences N] (``--sentences``/``--epochs``: a smaller run, to try the script)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import add_kernels_option, apply_kernels_option, machine, report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--sentences", type=int, default=0, help="use only the first N sentences (0: all)")
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
    words = sum(map(len, corpus))
    print(f"machine: {machine()}; gensim {gensim.__version__}; corpus {len(corpus)} sentences, {words:,} words")
    common = dict(vector_size=100, window=5, min_count=5, sample=1e-3, epochs=args.epochs, seed=1)
    for label, settings in (("skip-gram + negative sampling", dict(sg=1, hs=0, negative=5)),
                            ("CBOW + negative sampling", dict(sg=0, hs=0, negative=5)),
                            ("CBOW + hierarchical softmax", dict(sg=0, hs=1, negative=0))):
        for workers in (int(w) for w in args.workers.split(",")):
            rates: dict[str, list[float]] = {"brickwork": [], "gensim": []}
            for _ in range(args.repeats):
                start = time.perf_counter()
                GensimWord2Vec(corpus, workers=workers, **common, **settings)
                rates["gensim"].append(words * args.epochs / (time.perf_counter() - start))
                with threadpool_limits(1):        # `workers` training threads, one BLAS thread each
                    start = time.perf_counter()
                    Word2Vec(corpus, workers=workers, **common, **settings)
                    rates["brickwork"].append(words * args.epochs / (time.perf_counter() - start))
            b, g = statistics.median(rates["brickwork"]), statistics.median(rates["gensim"])
            print(f"{label}, {workers} worker(s): brickwork {b:,.0f} words/s, gensim {g:,.0f} words/s, "
                  f"ratio {b / g:.2f}")
            report(f"word2vec {label}", workers, b, g, "gensim", "words/s")


if __name__ == "__main__":
    main()
