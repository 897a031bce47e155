"""brickwork's Word2Vec next to gensim's on the same corpus and settings, 3 seeds each.

Corpus: Debian's fortunes + gensim's Lee corpus (~470k words). Scores: Spearman
correlation with WordSim-353 (on the pairs both vocabularies cover) and accuracy
on Google's analogy questions (restricted to the covered questions), both from
gensim's test data; also the vectors saved by each are loaded by the other.

Run: python examples/word2vec_vs_gensim.py [--seeds 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import numpy as np

from brickwork.datasets.corpora import FORTUNES, fortunes_sentences, gensim_test_file, lee_sentences
from brickwork.text import KeyedVectors, Word2Vec

SETTINGS = {"skip-gram + negative sampling": dict(sg=1, hs=0, negative=5),
            "CBOW + hierarchical softmax": dict(sg=0, hs=1, negative=0),
            # brickwork's default shares each mini-batch's negatives; None draws them per pair, as gensim
            "skip-gram + negative sampling, per-pair negatives": dict(sg=1, hs=0, negative=5,
                                                                      shared_negatives=None)}
OURS_ONLY = {"shared_negatives"}


def scores(wv) -> tuple[float, float]:
    spearman = wv.evaluate_word_pairs(gensim_test_file("wordsim353.tsv"))[1][0]
    analogy = wv.evaluate_word_analogies(gensim_test_file("questions-words.txt"))[0]
    return float(spearman), float(analogy)


def main(seeds: int = 3, epochs: int = 5) -> dict:
    from gensim.models import KeyedVectors as GensimKeyedVectors
    from gensim.models import Word2Vec as GensimWord2Vec

    corpus = fortunes_sentences() + lee_sentences()
    print(f"Data: Debian's fortunes (brickwork.datasets.corpora.fortunes_sentences, from {FORTUNES}) + gensim's Lee "
          f"corpus (lee_sentences, from gensim's test data): {len(corpus):,} sentences, "
          f"{sum(map(len, corpus)):,} words", flush=True)
    common = dict(vector_size=100, window=5, min_count=5, sample=1e-3, epochs=epochs)
    result = {}
    for label, settings in SETTINGS.items():
        runs = {"brickwork": [], "gensim": []}
        for seed in range(1, seeds + 1):
            ours = Word2Vec(corpus, seed=seed, **common, **settings)
            gensim_settings = {k: v for k, v in settings.items() if k not in OURS_ONLY}
            theirs = GensimWord2Vec(corpus, seed=seed, workers=1, **common, **gensim_settings)
            runs["brickwork"].append(scores(ours.wv))
            runs["gensim"].append(scores(theirs.wv))
        with tempfile.TemporaryDirectory() as tmp:  # vectors move both ways
            ours.wv.save_word2vec_format(os.path.join(tmp, "b.bin"), binary=True)
            theirs.wv.save_word2vec_format(os.path.join(tmp, "g.bin"), binary=True)
            assert GensimKeyedVectors.load_word2vec_format(os.path.join(tmp, "b.bin"), binary=True).vectors.shape \
                == ours.wv.vectors.shape
            assert KeyedVectors.load_word2vec_format(os.path.join(tmp, "g.bin"), binary=True).vectors.shape \
                == theirs.wv.vectors.shape
        summary = {name: {"wordsim353_spearman": float(np.mean([r[0] for r in rs])),
                          "analogy_accuracy": float(np.mean([r[1] for r in rs])), "runs": rs}
                   for name, rs in runs.items()}
        result[label] = summary
        b, g = summary["brickwork"], summary["gensim"]
        print(f"{label}: WS-353 Spearman brickwork {b['wordsim353_spearman']:.3f} vs gensim "
              f"{g['wordsim353_spearman']:.3f}; analogies {100 * b['analogy_accuracy']:.2f}% vs "
              f"{100 * g['analogy_accuracy']:.2f}% (mean of {seeds} seeds)")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    out = main(args.seeds)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(out, handle, indent=2)
