"""``Word2Vec``: skip-gram and CBOW with negative sampling or hierarchical softmax, gensim 4's API."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain, repeat
from typing import Any

import numpy as np

from brickwork.functions._util import add_rows
from brickwork.text.word2vec.kernels import hierarchical_softmax, negative_sampling
from brickwork.text.word2vec.keyed_vectors import KeyedVectors
from brickwork.text.word2vec.vocab import HuffmanTree, count_words, keep_probabilities, unigram_table

REPORT_EVERY = 5.0   # seconds between progress lines within an epoch (verbose=1)


class Word2Vec:
    """Learn word vectors from a corpus (Mikolov et al. 2013), with gensim 4's names and defaults.

    Args:
        sentences: An iterable of token lists (re-iterable: it is read once for the
            vocabulary and once per epoch, so it can stream from disk).
        vector_size: Dimensionality of the vectors.
        window: Maximum distance between the current and a context word; with
            ``shrink_windows`` each position uses a window drawn uniformly from 1..window.
        min_count, max_vocab_size, max_final_vocab: Vocabulary limits.
        sample: Down-sampling threshold of frequent words (see :func:`keep_probabilities`).
        sg: 1 for skip-gram (predict the context from the word), 0 for CBOW
            (predict the word from its context, ``cbow_mean`` 1 = mean, 0 = sum).
        hs: 1 for hierarchical softmax over a Huffman tree.
        negative: Number of negative samples (0 = none), ``ns_exponent`` of the unigram table.
        alpha, min_alpha: Learning rate, decayed linearly over all epochs.
        epochs, seed: As gensim.
        workers: Threads training chunks at once (at most one per core; see :meth:`train`). The
            default is 1, not gensim's 3: one worker is reproducible for a seed, and two lost about
            0.02 WS-353 Spearman against one in our measurements (docs/text.md).
        batch_pairs: brickwork's mini-batch of training pairs updated together.
        shared_negatives: negatives drawn per mini-batch and shared by its pairs (weighted ``negative / S``);
            ``None``: every pair draws its own ``negative`` (gensim's estimator, ~3x slower). On
            WS-353 the shared draw scores higher than gensim, the per-pair draw the same as gensim
            (docs/text.md).
        max_row_updates: a word updated more than this many times in one mini-batch gets the sum of
            its updates scaled down to this many (``None``: plain sum). ``"auto"``: 8 for skip-gram,
            24 for CBOW, where one occurrence of a context word already counts once per centre whose
            window covers it (docs/text.md has the measurements). Hierarchical softmax's inner nodes
            are never capped.
        compute_loss: Keep ``running_training_loss``.

    ``model.wv`` is the :class:`KeyedVectors` of the input vectors.
    """

    def __init__(self, sentences: Iterable[list[str]] | None = None, vector_size: int = 100, alpha: float = 0.025,
                 window: int = 5, min_count: int = 5, max_vocab_size: int | None = None, sample: float = 1e-3,
                 seed: int = 1, workers: int = 1, min_alpha: float = 0.0001, sg: int = 0, hs: int = 0,
                 negative: int = 5, ns_exponent: float = 0.75, cbow_mean: int = 1, epochs: int = 5,
                 shrink_windows: bool = True, max_final_vocab: int | None = None, batch_words: int = 10000,
                 batch_pairs: int = 1024, shared_negatives: int | None = 32,
                 max_row_updates: float | str | None = "auto", compute_loss: bool = False,
                 verbose: int = 0, callbacks: Any = ()) -> None:
        if not hs and not negative:
            raise ValueError("Word2Vec needs hs=1 or negative > 0 (otherwise nothing is trained).")
        self.vector_size, self.alpha, self.window, self.min_count = vector_size, alpha, window, min_count
        self.max_vocab_size, self.sample, self.seed, self.workers = max_vocab_size, sample, seed, workers
        self.min_alpha, self.sg, self.hs, self.negative = min_alpha, sg, hs, negative
        self.ns_exponent, self.cbow_mean, self.epochs = ns_exponent, cbow_mean, epochs
        self.shrink_windows, self.max_final_vocab, self.batch_words = shrink_windows, max_final_vocab, batch_words
        self.batch_pairs = batch_pairs
        self.shared_negatives = None if shared_negatives is None else max(shared_negatives, negative)
        self.max_row_updates = (8.0 if sg else 24.0) if max_row_updates == "auto" else max_row_updates
        self.compute_loss, self.verbose = compute_loss, verbose
        self.running_training_loss = 0.0
        self._loss_lock = threading.Lock()
        self.wv = KeyedVectors(vector_size)
        self.corpus_count = self.corpus_total_words = 0
        self.words_per_second: float | None = None
        if sentences is not None:
            self.build_vocab(sentences)
            self.train(sentences, total_examples=self.corpus_count, epochs=self.epochs)

    # -------------------------------------------------------------- vocab
    def build_vocab(self, corpus_iterable: Iterable[list[str]]) -> None:
        """Count the words, apply ``min_count``/``max_final_vocab``, sort by frequency, and prepare
        subsampling, the negative-sampling table, the Huffman tree and the weights."""
        counts, total, n = count_words(corpus_iterable, self.max_vocab_size)
        # most frequent first; equal counts in reverse order of first occurrence, exactly gensim 4's
        # order (it also decides how the Huffman tree breaks ties, see HuffmanTree.build)
        seen = [(c, i, w) for i, (w, c) in enumerate(counts.items()) if c >= self.min_count]
        kept = [(c, w) for c, _, w in sorted(seen, key=lambda ciw: (-ciw[0], -ciw[1]))]
        if self.max_final_vocab:
            kept = kept[:self.max_final_vocab]
        if not kept:
            raise ValueError(f"No word occurs at least min_count={self.min_count} times in the corpus.")
        self.corpus_count, self.corpus_total_words = n, total
        wv = KeyedVectors(self.vector_size, 0)
        wv.index_to_key = [w for _, w in kept]
        wv.key_to_index = {w: i for i, w in enumerate(wv.index_to_key)}
        wv.counts = np.array([c for c, _ in kept], np.int64)
        rng = np.random.default_rng(self.seed)
        v = len(kept)  # gensim 4's initialisation: uniform in [-1/d, 1/d) (the C tool used [-0.5/d, 0.5/d))
        wv.vectors = ((2.0 * rng.random((v, self.vector_size)) - 1.0) / self.vector_size).astype(np.float32)
        self.wv = wv
        # training draws (subsampling, windows, negatives) from a stream of their own, carried across
        # train() calls: reusing the initialisation's stream would tie which words are dropped to their
        # initial vectors
        self._train_rng = np.random.default_rng(None if self.seed is None else (self.seed, 1))
        self.keep_probability = keep_probabilities(wv.counts.astype(np.float64), self.sample)
        self.syn1neg = np.zeros((v, self.vector_size), np.float32) if self.negative else None
        self.cum_table = unigram_table(wv.counts, self.ns_exponent) if self.negative else None
        if self.hs:
            self.huffman = HuffmanTree.build(wv.counts)
            self.hs_points, self.hs_codes, self.hs_mask = self.huffman.padded()
            self.syn1 = np.zeros((max(v - 1, 1), self.vector_size), np.float32)

    # -------------------------------------------------------------- train
    def _chunks(self, corpus: Iterable[list[str]]) -> Iterator[tuple[list[list[str]], int]]:
        """Sentences in chunks of at least ``batch_words`` words, each with its raw word count."""
        chunk, size = [], 0
        for sentence in corpus:
            chunk.append(sentence)
            size += len(sentence)
            if size >= self.batch_words:
                yield chunk, size
                chunk, size = [], 0
        if chunk:
            yield chunk, size

    def _positions(self, chunk: list[list[str]], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Word indices after subsampling and their sentence ids (unknown words dropped)."""
        lengths = np.fromiter(map(len, chunk), np.int64, len(chunk))
        # one C-level pass over the chunk's tokens: a dictionary lookup each, -1 for a word not in the vocabulary
        ids = np.fromiter(map(self.wv.key_to_index.get, chain.from_iterable(chunk), repeat(-1)), np.int64,
                          int(lengths.sum()))
        known = ids >= 0
        words, sent_ids = ids[known], np.repeat(np.arange(len(chunk), dtype=np.int64), lengths)[known]
        if len(words):
            keep = rng.random(len(words)) < self.keep_probability[words]
            words, sent_ids = words[keep], sent_ids[keep]
        return words, sent_ids

    def _windows(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Effective window per position: ``window - b`` with ``b`` uniform in 0..window-1 (word2vec's shrinking)."""
        if not self.shrink_windows:
            return np.full(n, self.window)
        return self.window - rng.integers(0, self.window, n)

    def _sg_pairs(self, words: np.ndarray, sent: np.ndarray, eff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(input = context word, output = centre word) pairs, ordered by centre position."""
        centers, contexts = [], []
        n = len(words)
        for k in range(1, self.window + 1):
            i = np.arange(n - k)
            same = sent[i] == sent[i + k]
            right = same & (k <= eff[i])          # centre i, context i + k
            left = same & (k <= eff[i + k])       # centre i + k, context i
            centers += [i[right], i[left] + k]
            contexts += [i[right] + k, i[left]]
        c, x = np.concatenate(centers), np.concatenate(contexts)
        order = np.argsort(c, kind="stable")
        return words[x[order]], words[c[order]]

    def _cbow_contexts(self, words: np.ndarray, sent: np.ndarray, eff: np.ndarray) -> tuple[np.ndarray, ...]:
        """Padded context matrix ``(centres, 2·window)``, its mask, and the centre words."""
        n, w = len(words), self.window
        offsets = np.r_[np.arange(-w, 0), np.arange(1, w + 1)]
        pos = np.arange(n)[:, None] + offsets[None, :]
        valid = (pos >= 0) & (pos < n)
        pos_c = np.clip(pos, 0, max(n - 1, 0))
        valid &= (sent[pos_c] == sent[:, None]) & (np.abs(offsets)[None, :] <= eff[:, None])
        has = valid.any(axis=1)
        return words[pos_c[has]], valid[has].astype(np.float32), words[has]

    def _update(self, v: np.ndarray, out: np.ndarray, lr: float, rng: np.random.Generator) -> np.ndarray:
        grad = np.zeros_like(v)
        loss = 0.0
        if self.hs:
            g, part = hierarchical_softmax(v, out, self.syn1, self.hs_points, self.hs_codes, self.hs_mask, lr,
                                           self.compute_loss)
            grad += g
            loss += part
        if self.negative:
            g, part = negative_sampling(v, out, self.syn1neg, self.cum_table, self.negative, self.shared_negatives,
                                        lr, rng, self.compute_loss, self.max_row_updates)
            grad += g
            loss += part
        if self.compute_loss:
            with self._loss_lock:                 # worker threads share the running total
                self.running_training_loss += loss
        return grad

    def _train_chunk(self, chunk: list[list[str]], lr: float, rng: np.random.Generator) -> int:
        """Train on one chunk of sentences at learning rate ``lr``; returns its effective word count."""
        if getattr(self, "_compiled", False):     # brickwork[fast]: per-pair loops (brickwork.kernels)
            return self._train_chunk_compiled(chunk, lr, rng)
        words, sent = self._positions(chunk, rng)
        if len(words) < 2:
            return len(words)
        syn0 = self.wv.vectors
        eff = self._windows(len(words), rng)
        if self.sg:
            inputs, outputs = self._sg_pairs(words, sent, eff)
            for b in range(0, len(inputs), self.batch_pairs):
                inp, out = inputs[b:b + self.batch_pairs], outputs[b:b + self.batch_pairs]
                add_rows(syn0, inp, self._update(syn0[inp], out, lr, rng), self.max_row_updates)
        else:
            ctx, mask, centres = self._cbow_contexts(words, sent, eff)
            for b in range(0, len(centres), self.batch_pairs):
                c, m, o = ctx[b:b + self.batch_pairs], mask[b:b + self.batch_pairs], centres[b:b + self.batch_pairs]
                count = m.sum(axis=1, keepdims=True)
                v = np.einsum("bw,bwd->bd", m, syn0[c])
                if self.cbow_mean:
                    v /= count
                grad = self._update(v.astype(np.float32), o, lr, rng)
                if not self.cbow_mean:
                    grad /= count
                rows, slot = np.nonzero(m)            # padding slots are no updates (nor count for the cap)
                add_rows(syn0, c[rows, slot], grad[rows], self.max_row_updates)
        return len(words)

    def _train_chunk_compiled(self, chunk: list[list[str]], lr: float, rng: np.random.Generator) -> int:
        """One chunk through :func:`brickwork.kernels.word2vec_kernels.train_tokens`: only the vocabulary lookup
        runs here (under the GIL); subsampling, the windows and every pair's step (its own ``negative`` draws,
        as gensim) run in one compiled call that releases the GIL, so worker threads overlap. ``batch_pairs``,
        ``shared_negatives`` and ``max_row_updates`` are the NumPy trainer's mini-batch settings and do not
        apply. Returns the chunk's effective word count."""
        from brickwork.kernels.word2vec_kernels import train_tokens

        lengths = np.fromiter(map(len, chunk), np.int64, len(chunk))
        ids = np.fromiter(map(self.wv.key_to_index.get, chain.from_iterable(chunk), repeat(-1)), np.int64,
                          int(lengths.sum()))
        kept, loss = train_tokens(ids, lengths, self.keep_probability, self.window, self.shrink_windows,
                                  self.wv.vectors, lr, int(rng.integers(1, 2 ** 63)), self._tables, sg=bool(self.sg),
                                  cbow_mean=bool(self.cbow_mean), negative=self.negative, hs=bool(self.hs),
                                  compute_loss=self.compute_loss)
        if self.compute_loss:
            with self._loss_lock:
                self.running_training_loss += loss
        return kept

    def _kernel_tables(self) -> Any:
        """The compiled trainer's :class:`~brickwork.kernels.word2vec_kernels.Tables`, built from the current
        ``syn1neg``/``cum_table`` and Huffman arrays (once per :meth:`train` call)."""
        from brickwork.kernels.word2vec_kernels import prepare

        neg = dict(syn1neg=self.syn1neg, cum_table=self.cum_table) if self.negative else {}
        hs = dict(syn1=self.syn1, points=self.hs_points, codes=self.hs_codes, path_mask=self.hs_mask) if self.hs \
            else {}
        return prepare(self.vector_size, **neg, **hs)

    def train(self, corpus_iterable: Iterable[list[str]], total_examples: int | None = None,
              total_words: int | None = None, epochs: int | None = None, start_alpha: float | None = None,
              end_alpha: float | None = None, compute_loss: bool | None = None, **kwargs: Any) -> tuple[int, int]:
        """Train over ``epochs`` passes; returns ``(effective words, raw words)`` like gensim.

        With ``workers > 1`` the chunks are trained by that many threads (at most one per CPU core) at
        once, all updating the same weights without locks (Hogwild, as gensim's workers): NumPy
        releases the GIL inside its array operations, so the threads overlap; give each one BLAS
        thread (``OPENBLAS_NUM_THREADS=1``). As with gensim, only ``workers=1`` is reproducible for a
        seed.
        """
        if not len(self.wv):
            raise RuntimeError("Call build_vocab() before train().")
        epochs = epochs or self.epochs
        alpha, min_alpha = start_alpha or self.alpha, end_alpha or self.min_alpha
        if compute_loss is not None:
            self.compute_loss = compute_loss
        self.running_training_loss = 0.0
        from brickwork import kernels

        self._compiled = kernels.enabled("word2vec")       # decided once per call: worker threads read it
        if self._compiled:
            self._tables = self._kernel_tables()
        total = (total_words or self.corpus_total_words) * epochs
        done = effective = 0
        start = time.perf_counter()
        threads = min(self.workers, os.cpu_count() or 1)
        pool = ThreadPoolExecutor(threads) if threads > 1 else None
        pending: deque[Future] = deque()
        lr = alpha
        last_report = start
        try:
            for epoch in range(epochs):
                for chunk, raw in self._chunks(corpus_iterable):
                    lr = max(min_alpha, alpha - (alpha - min_alpha) * done / max(total, 1))
                    done += raw
                    if self.verbose and time.perf_counter() - last_report >= REPORT_EVERY:
                        last_report = time.perf_counter()
                        self._report_progress(epoch, epochs, done, total, last_report - start, lr)
                    if pool is None:
                        effective += self._train_chunk(chunk, lr, self._train_rng)
                        continue
                    rng = np.random.default_rng(self._train_rng.integers(2 ** 63))   # one stream per chunk
                    pending.append(pool.submit(self._train_chunk, chunk, lr, rng))
                    while len(pending) > 2 * threads:                         # bounded: the corpus streams
                        effective += pending.popleft().result()
                if self.verbose:
                    rate = done / max(time.perf_counter() - start, 1e-9)
                    print(f"epoch {epoch + 1}/{epochs}: {rate:,.0f} words/s, lr {lr:.5f}", file=sys.stderr,
                          flush=True)
            while pending:
                effective += pending.popleft().result()
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self.words_per_second = done / max(time.perf_counter() - start, 1e-9)
        self.wv.fill_norms(force=True)
        return effective, done

    def _report_progress(self, epoch: int, epochs: int, done: int, total: int, elapsed: float, lr: float) -> None:
        """One line on stderr: words so far, words/s, the time left (training longer than REPORT_EVERY seconds)."""
        from brickwork.callbacks.progbar import format_eta

        print(f"epoch {epoch + 1}/{epochs}: {done / max(total, 1):.0%} of {total:,} words, "
              f"{done / max(elapsed, 1e-9):,.0f} words/s, ETA {format_eta(elapsed, done, total)}, lr {lr:.5f}",
              file=sys.stderr, flush=True)

    def get_latest_training_loss(self) -> float:
        """The loss summed over the last :meth:`train` call (with ``compute_loss=True``), as gensim."""
        return self.running_training_loss

    def save(self, fname: Any) -> None:
        """Save the vectors in word2vec's binary format (no pickle)."""
        self.wv.save_word2vec_format(fname, binary=True)
