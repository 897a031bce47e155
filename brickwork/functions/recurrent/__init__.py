"""Whole-sequence recurrent primitives: one autograd node per layer and sequence,
with a hand-written backpropagation through time."""

from brickwork.functions.recurrent.gru import GRUSequence, gru_sequence
from brickwork.functions.recurrent.lstm import LSTMSequence, lstm_sequence
from brickwork.functions.recurrent.simple_rnn import SimpleRNNSequence, simple_rnn_sequence

__all__ = ["GRUSequence", "LSTMSequence", "SimpleRNNSequence", "gru_sequence", "lstm_sequence", "simple_rnn_sequence"]
