"""Preprocessing layers (Keras 3 names): their state is learned by ``adapt`` and saved with the model,
so a model file carries its own normalisation, category vocabularies, bins and imputation."""

from brickwork.layers.preprocessing.discretization import Discretization
from brickwork.layers.preprocessing.encoding import CategoryEncoding
from brickwork.layers.preprocessing.imputation import Imputation
from brickwork.layers.preprocessing.lookup import IntegerLookup, StringLookup
from brickwork.layers.preprocessing.normalization import Normalization
from brickwork.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "Discretization", "Imputation", "IntegerLookup", "Normalization", "StringLookup",
           "TextVectorization"]
