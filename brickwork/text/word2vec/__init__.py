"""word2vec from first principles: vocabulary, Huffman tree, negative sampling, vectorised training."""

from brickwork.text.word2vec.bricks import skipgram_model, skipgrams, vectors_from_model
from brickwork.text.word2vec.keyed_vectors import KeyedVectors
from brickwork.text.word2vec.model import Word2Vec
from brickwork.text.word2vec.vocab import HuffmanTree, count_words, keep_probabilities, unigram_table

__all__ = ["HuffmanTree", "KeyedVectors", "Word2Vec", "count_words", "keep_probabilities", "skipgram_model",
           "skipgrams", "unigram_table", "vectors_from_model"]
