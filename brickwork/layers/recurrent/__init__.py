"""Recurrent layers: fused SimpleRNN/LSTM/GRU, cells and RNN(cell), wrappers."""

from brickwork.layers.recurrent.cells import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from brickwork.layers.recurrent.layers import GRU, LSTM, SimpleRNN
from brickwork.layers.recurrent.wrappers import Bidirectional, TimeDistributed

__all__ = ["GRU", "LSTM", "RNN", "Bidirectional", "GRUCell", "LSTMCell", "SimpleRNN", "SimpleRNNCell",
           "StackedRNNCells", "TimeDistributed"]
