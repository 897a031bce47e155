"""Text: vectorization (Tokenizer, pad_sequences) and word vectors (Word2Vec, KeyedVectors)."""

from brickwork.text.tokenizer import Tokenizer, pad_sequences, text_to_word_sequence, tokenizer_from_json
from brickwork.text.word2vec import KeyedVectors, Word2Vec
from brickwork.utils import to_categorical

__all__ = ["KeyedVectors", "Tokenizer", "Word2Vec", "pad_sequences", "text_to_word_sequence", "to_categorical",
           "tokenizer_from_json"]
