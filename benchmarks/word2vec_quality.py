"""word2vec quality: brickwork next to gensim 4 on the same corpus and settings, over several seeds.

The four configurations of ``bench_word2vec.py`` (skip-gram / CBOW × negative sampling / hierarchical
softmax), Debian's fortunes + gensim's Lee corpus, vector_size 100, window 5, min_count 5, sample 1e-3,
5 epochs. Scores: Spearman correlation with WordSim-353 and accuracy on Google's analogy questions
(gensim's test files, on the pairs/questions the vocabulary covers). brickwork runs its default trainer
(the compiled one with the ``fast`` extra; ``--kernels off`` the NumPy one).

Usage: python benchmarks/word2vec_quality.py [--seeds 3] [--workers 1] [--kernels on|off] [--configs ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import add_kernels_option, apply_kernels_option  # noqa: E402
from bench_word2vec import CONFIGS  # noqa: E402


def scores(wv, test_file) -> tuple[float, float]:
    """(WS-353 Spearman, analogy accuracy) of the vectors ``wv`` (brickwork's or gensim's KeyedVectors)."""
    spearman = wv.evaluate_word_pairs(test_file("wordsim353.tsv"))[1][0]
    analogy = wv.evaluate_word_analogies(test_file("questions-words.txt"))[0]
    return float(spearman), float(analogy)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"any of {','.join(CONFIGS)}")
    add_kernels_option(parser)
    args = parser.parse_args()
    apply_kernels_option(args.kernels)
    from gensim.models import Word2Vec as GensimWord2Vec

    from brickwork import kernels
    from brickwork.datasets.corpora import fortunes_sentences, gensim_test_file, lee_sentences
    from brickwork.text import Word2Vec

    corpus = fortunes_sentences() + lee_sentences()
    common = dict(vector_size=100, window=5, min_count=5, sample=1e-3, epochs=args.epochs, workers=args.workers)
    print(f"corpus {len(corpus)} sentences, {sum(map(len, corpus)):,} words; {args.epochs} epochs; "
          f"workers {args.workers}; seeds 1..{args.seeds}; brickwork kernels {'on' if kernels.enabled() else 'off'}")
    rows = []
    for key in args.configs.split(","):
        label, settings = CONFIGS[key]
        runs: dict[str, list[tuple[float, float]]] = {"brickwork": [], "gensim": []}
        for seed in range(1, args.seeds + 1):
            for name, cls in (("brickwork", Word2Vec), ("gensim", GensimWord2Vec)):
                model = cls(corpus, seed=seed, **common, **settings)
                runs[name].append(scores(model.wv, gensim_test_file))
        rows.append((label, runs))
        b, g = runs["brickwork"], runs["gensim"]
        print(f"{label}: WS-353 {[round(r[0], 3) for r in b]} vs gensim {[round(r[0], 3) for r in g]}; "
              f"analogies {[round(100 * r[1], 2) for r in b]}% vs {[round(100 * r[1], 2) for r in g]}%", flush=True)
    print(f"\n| configuration | WS-353 Spearman brickwork / gensim (mean of {args.seeds}) | "
          "analogy accuracy brickwork / gensim |")
    print("|---|---|---|")
    for label, runs in rows:
        mean = {name: (statistics.mean(r[0] for r in rs), statistics.mean(r[1] for r in rs))
                for name, rs in runs.items()}
        print(f"| {label} | {mean['brickwork'][0]:.3f} / {mean['gensim'][0]:.3f} | "
              f"{100 * mean['brickwork'][1]:.2f}% / {100 * mean['gensim'][1]:.2f}% |")


if __name__ == "__main__":
    main()
