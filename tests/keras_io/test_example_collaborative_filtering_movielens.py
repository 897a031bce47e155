# ruff: noqa: UP032  (the example's str.format calls, kept verbatim)
"""keras-io ``examples/structured_data/collaborative_filtering_movielens.py`` (keras-team/keras-io at
commit 13dcc614a61b, the tf.keras revision, with the Keras 3 spellings: ``keras.ops.sigmoid`` for
``tf.nn.sigmoid``, ``Adam(learning_rate=)`` for ``Adam(lr=)``, ``keras.losses`` for ``tf.keras.losses``),
run on brickwork.

Edits, each marked ``# brickwork:``: the imports; ``keras.utils.get_file`` + unzip of
ml-latest-small is replaced by an offline ``ml-latest-small/ratings.csv`` / ``movies.csv`` with
MovieLens's columns (120 users, 300 movies, 6,000 ratings; see guide_data.py); epochs 5 -> 2; the
recommendation step uses the encoded user id and maps top positions back through ``movies_not_watched``
(the example indexes with the raw user id and the argsort positions);
plots on the Agg backend.
"""

from pathlib import Path

import guide_data
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import brickwork as keras  # brickwork: was `import keras`
from brickwork import (
    layers,  # brickwork: was `from keras import layers`
    ops,  # brickwork: was `from keras import ops`
)


@pytest.mark.slow
def test_collaborative_filtering_movielens(tmp_path):
    # brickwork: was keras.utils.get_file("ml-latest-small.zip", ...) and ZipFile(...).extractall(...)
    movielens_dir = Path(guide_data.write_movielens_like(str(tmp_path)))

    ratings_file = movielens_dir / "ratings.csv"
    df = pd.read_csv(ratings_file)

    user_ids = df["userId"].unique().tolist()
    user2user_encoded = {x: i for i, x in enumerate(user_ids)}
    userencoded2user = {i: x for i, x in enumerate(user_ids)}  # noqa: F841  (as in the example)
    movie_ids = df["movieId"].unique().tolist()
    movie2movie_encoded = {x: i for i, x in enumerate(movie_ids)}
    movie_encoded2movie = {i: x for i, x in enumerate(movie_ids)}
    df["user"] = df["userId"].map(user2user_encoded)
    df["movie"] = df["movieId"].map(movie2movie_encoded)

    num_users = len(user2user_encoded)
    num_movies = len(movie_encoded2movie)
    df["rating"] = df["rating"].values.astype(np.float32)
    min_rating = min(df["rating"])
    max_rating = max(df["rating"])
    print(
        "Number of users: {}, Number of Movies: {}, Min rating: {}, Max rating: {}".format(
            num_users, num_movies, min_rating, max_rating
        )
    )

    df = df.sample(frac=1, random_state=42)
    x = df[["user", "movie"]].values
    # Normalize the targets between 0 and 1. Makes it easy to train.
    y = df["rating"].apply(lambda x: (x - min_rating) / (max_rating - min_rating)).values
    # Assuming training on 90% of the data and validating on 10%.
    train_indices = int(0.9 * df.shape[0])
    x_train, x_test, y_train, y_test = (
        x[:train_indices],
        x[train_indices:],
        y[:train_indices],
        y[train_indices:],
    )

    EMBEDDING_SIZE = 50

    class RecommenderNet(keras.Model):
        def __init__(self, num_users, num_movies, embedding_size, min_rating, max_rating, **kwargs):
            super().__init__(**kwargs)
            self.num_users = num_users
            self.num_movies = num_movies
            self.embedding_size = embedding_size
            self.min_rating = min_rating
            self.max_rating = max_rating
            self.user_embedding = layers.Embedding(
                num_users,
                embedding_size,
                embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6),
            )
            self.user_bias = layers.Embedding(num_users, 1)
            self.movie_embedding = layers.Embedding(
                num_movies,
                embedding_size,
                embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6),
            )
            self.movie_bias = layers.Embedding(num_movies, 1)

        def call(self, inputs):
            user_vector = self.user_embedding(inputs[:, 0])
            user_bias = self.user_bias(inputs[:, 0])
            movie_vector = self.movie_embedding(inputs[:, 1])
            movie_bias = self.movie_bias(inputs[:, 1])
            dot_user_movie = layers.Dot(axes=1)([user_vector, movie_vector])
            # Add all the components (including bias)
            x = dot_user_movie + user_bias + movie_bias
            # The sigmoid activation forces the rating to between 0 and 1
            x = ops.sigmoid(x)  # brickwork: was tf.nn.sigmoid(x)
            return x

    inputs = layers.Input(shape=(2,))
    model = RecommenderNet(num_users, num_movies, EMBEDDING_SIZE, min_rating, max_rating)
    outputs = model(inputs)
    assert tuple(outputs.shape) == (None, 1)
    opt = keras.optimizers.Adam(learning_rate=0.001)  # brickwork: was Adam(lr=0.001)
    model.compile(loss=keras.losses.BinaryCrossentropy(), optimizer=opt)  # brickwork: was tf.keras.losses

    history = model.fit(
        x=x_train,
        y=y_train,
        batch_size=128,
        epochs=2,  # brickwork: 5 -> 2
        verbose=1,
        validation_data=(x_test, y_test),
    )
    assert history.history["loss"][1] < history.history["loss"][0]

    plt.plot(history.history["loss"])
    plt.plot(history.history["val_loss"])
    plt.title("model loss")
    plt.ylabel("loss")
    plt.xlabel("epoch")
    plt.legend(["train", "test"], loc="upper left")
    plt.show()
    plt.close("all")

    movie_df = pd.read_csv(movielens_dir / "movies.csv")

    # Let us get an user and see the top recommendations.
    user_id = df.userId.sample(1).iloc[0]
    movies_watched_by_user = df[df.userId == user_id].movieId.values
    movies_not_watched = movie_df[~movie_df["movieId"].isin(movies_watched_by_user)]["movieId"]
    movies_not_watched = list(set(movies_not_watched).intersection(set(movie2movie_encoded.keys())))
    movies_not_watched = [[movie2movie_encoded.get(x)] for x in movies_not_watched]
    user_encoder = user2user_encoded.get(user_id)
    # brickwork: the example stacks the raw user_id and maps the argsort positions back as movie codes (its
    # own bugs: a raw id can be past the embedding table); the encoded ids are used instead
    user_movie_array = np.hstack(([[user_encoder]] * len(movies_not_watched), movies_not_watched))
    ratings = model.predict(user_movie_array).flatten()
    top_ratings_indices = ratings.argsort()[-10:][::-1]
    recommended_movie_ids = [movie_encoded2movie.get(movies_not_watched[x][0]) for x in top_ratings_indices]

    print("Here are the top 10 movie recommendations for user: {}".format(user_id))
    print("*****" * 10)
    titles = movie_df[movie_df["movieId"].isin(recommended_movie_ids)].title.values
    print("\n".join(titles))
    assert len(titles) == 10 and np.all((ratings > 0) & (ratings < 1))
