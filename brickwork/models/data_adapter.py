"""One data path for ``fit`` / ``evaluate`` / ``predict``.

Whatever the user passes — NumPy arrays, lists or dicts of arrays, pandas
DataFrames, a Python generator, or a :class:`~brickwork.utils.PyDataset` /
``Sequence`` — becomes a :class:`DataAdapter` that yields batches packed as
Keras packs them: ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``. Arrays
are checked, flattened and cast once (each input to its ``Input``'s dtype when
the model declares one; integers stay integers), then shuffled and sliced per
epoch.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from brickwork.engine.device import is_device_array, to_host
from brickwork.engine.random import generator
from brickwork.engine.tensor import Tensor
from brickwork.models import data as data_utils
from brickwork.utils.tree import flatten, map_structure, pack_sequence_as

# --------------------------------------------------------------- sharding
# A hook that splits fit's training data between processes (``brickwork.distributed`` installs
# one on ``init()``). The adapter knows nothing of MPI: the hook has ``num_local(n) -> int``, the
# items each process takes per epoch (the same on every process), and ``select(order) -> indices``,
# this process's items from the epoch's order (the hook makes that order the same everywhere).
_shard_hook: Any = None


def set_shard_hook(hook: Any) -> None:
    """Install ``hook`` (``None`` removes it) to shard the training data of every later ``fit``
    epoch between processes; validation, ``evaluate``, ``predict`` and generators are not sharded."""
    if hook is not None and not (callable(getattr(hook, "num_local", None))
                                 and callable(getattr(hook, "select", None))):
        raise TypeError(f"set_shard_hook expects an object with num_local(n) and select(order); got {hook!r}.")
    global _shard_hook
    _shard_hook = hook


def get_shard_hook() -> Any:
    """The installed shard hook, or ``None``."""
    return _shard_hook


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """What ``train_step(data)`` receives, as Keras 3 packs it: ``x`` itself when there are no targets
    (``(x,)`` when ``x`` is a tuple or list of inputs, so that it cannot be mistaken for ``(x, y)``),
    else ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """The inverse of :func:`pack_x_y_sample_weight`; anything that is not a 1-3 tuple is ``x``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"Data should be (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(data)} items.")


def _is_batch_sequence(x: Any) -> bool:
    """A PyDataset / Sequence: indexable batches with a length."""
    return hasattr(x, "__getitem__") and hasattr(x, "__len__") and not isinstance(
        x, (np.ndarray, list, tuple, dict)) and not hasattr(x, "to_numpy")


def _is_generator(x: Any) -> bool:
    return hasattr(x, "__next__") or (hasattr(x, "__iter__") and not isinstance(
        x, (np.ndarray, list, tuple, dict, str)) and not hasattr(x, "to_numpy") and not _is_batch_sequence(x))


class DataAdapter:
    """Batches for one of ``fit``/``evaluate``/``predict``.

    Args:
        x, y, sample_weight: The data (see module docstring).
        batch_size: Rows per batch for arrays (default 32).
        steps: Batches per epoch (default: all of them).
        shuffle: Reshuffle array rows (or a PyDataset's batch order) every epoch.
        class_weight: ``{class: weight}``, turned into sample weights.
        input_dtypes: Each model input's dtype (``None`` where unknown), for the one cast.
        float_dtype: The float type of everything else.
        allow_nan: The model imputes missing values itself (NaN allowed in x).
        what: The calling method's name, for error messages.
    """

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: int | None = None,
                 steps: int | None = None, shuffle: bool = False, class_weight: dict[int, float] | None = None,
                 input_dtypes: list[Any] | None = None, float_dtype: Any = np.float32, allow_nan: bool = False,
                 what: str = "fit") -> None:
        if x is None:
            raise ValueError(f"{what}() needs input data x.")
        self.what, self.float_dtype, self.allow_nan = what, np.dtype(float_dtype), allow_nan
        self.input_dtypes, self.class_weight = input_dtypes, class_weight
        self.shuffle = bool(shuffle)
        self.shard = what == "fit"  # fit's training data; split_validation's copy turns it off
        self.current_order: np.ndarray | None = None
        self.steps = None if steps is None else check_positive_int(steps, "steps", what)
        self.batch_size = 32 if batch_size is None else check_positive_int(batch_size, "batch_size", what)
        self.kind = "sequence" if _is_batch_sequence(x) else ("generator" if _is_generator(x) else "arrays")
        if self.kind != "arrays":
            if y is not None or sample_weight is not None:
                raise ValueError(f"{what}(): when x is a generator or a PyDataset, it must yield the targets "
                                 "itself; do not pass y or sample_weight.")
            self.source = x
            self._iterator: Iterator[Any] | None = None
            return
        self.x = self._convert_x(x)
        self.num_samples = data_utils.num_samples(self.x, "x")
        if self.num_samples == 0:
            raise ValueError(f"{what}(): x has 0 samples (shapes {[a.shape for a in flatten(self.x)]}); "
                             "at least one sample is needed.")
        data_utils.check_finite(self.x, "x", allow_nan=allow_nan)
        self.y = None
        if y is not None:
            self.y = data_utils.to_numpy_structure(y, "y", self.float_dtype)
            ny = data_utils.num_samples(self.y, "y")
            if ny != self.num_samples:
                raise ValueError(
                    f"{what}(): x and y have different numbers of samples: x has {self.num_samples} "
                    f"(shapes {[a.shape for a in flatten(self.x)]}), y has {ny} "
                    f"(shapes {[a.shape for a in flatten(self.y)]})."
                )
            data_utils.check_finite(self.y, "y")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if len(sample_weight) != self.num_samples:
                raise ValueError(f"{what}(): sample_weight has {len(sample_weight)} entries for "
                                 f"{self.num_samples} samples.")
        if class_weight is not None:
            if self.y is None:
                raise ValueError(f"{what}(): class_weight needs targets y.")
            cw = data_utils.class_weights_to_sample_weights(self.y, class_weight)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        self.sample_weight = sample_weight

    def _convert_x(self, x: Any) -> Any:
        x = data_utils.to_numpy_structure(x, "x", None)
        leaves = flatten(x)
        dtypes = self.input_dtypes if self.input_dtypes and len(self.input_dtypes) == len(leaves) else None

        def cast(a: np.ndarray, dt: Any) -> np.ndarray:
            if a.dtype.kind == "b":
                return a.astype(self.float_dtype if dt is None or np.dtype(dt).kind not in "fiu" else dt)
            if dt is not None and np.dtype(dt).kind in "fiub" and a.dtype.kind in "fiu":
                return a.astype(dt, copy=False)
            if a.dtype.kind == "f" and a.dtype != self.float_dtype and dt is None:
                return a.astype(self.float_dtype)
            return a

        cast_leaves = [cast(a, None if dtypes is None else dtypes[i]) for i, a in enumerate(leaves)]
        return pack_sequence_as(x, cast_leaves)

    # ------------------------------------------------------------- batches
    @property
    def num_batches(self) -> int | None:
        """Batches per epoch, or ``None`` for a generator without ``steps``."""
        if self.steps is not None:
            return self.steps
        if self.kind == "arrays":
            return math.ceil(self._local_count(self.num_samples) / self.batch_size)
        if self.kind == "sequence":
            return self._local_count(len(self.source))
        return None

    def _active_shard_hook(self) -> Any:
        return _shard_hook if getattr(self, "shard", False) else None

    def _local_count(self, size: int) -> int:
        """Samples (or PyDataset batches) this process takes per epoch: ``size`` unless sharded."""
        hook = self._active_shard_hook()
        return size if hook is None else int(hook.num_local(size))

    def _shard(self, size: int, order: np.ndarray | None) -> np.ndarray | None:
        """This process's share of the epoch's ``order`` (``None``: in order) when sharded."""
        hook = self._active_shard_hook()
        if hook is None:
            return order
        return np.asarray(hook.select(np.arange(size) if order is None else order), dtype=np.int64)

    def _standardize_batch(self, batch: Any) -> Any:
        x, y, sw = unpack_x_y_sample_weight(batch)
        x = self._convert_x(x)
        if y is not None:
            y = data_utils.to_numpy_structure(y, "y", self.float_dtype)
        if sw is not None:
            sw = np.asarray(sw, dtype=np.float64)
        if self.class_weight is not None and y is not None:
            cw = data_utils.class_weights_to_sample_weights(y, self.class_weight)
            sw = cw if sw is None else sw * cw
        return pack_x_y_sample_weight(x, y, sw)

    def epoch(self, start_step: int = 0, order: np.ndarray | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """``(step, data)`` for one epoch.

        ``start_step`` and ``order`` resume an interrupted epoch exactly: the shuffled order
        of that epoch (saved from :attr:`current_order`) is reused instead of drawing a new
        one, and the first ``start_step`` batches are skipped. (A generator cannot be
        rewound: it always continues where it is.)
        """
        if self.kind == "arrays":
            yield from self._array_epoch(start_step, order)
        elif self.kind == "sequence":
            yield from self._sequence_epoch(start_step, order)
        else:
            if self._iterator is None:
                self._iterator = iter(self.source)
            step = 0
            while self.steps is None or step < self.steps:
                try:
                    batch = next(self._iterator)
                except StopIteration:
                    self._iterator = None
                    if step == 0:
                        raise ValueError(f"{self.what}(): the generator yielded no batch.") from None
                    return
                yield step, self._standardize_batch(batch)
                step += 1

    def _epoch_order(self, size: int, order: np.ndarray | None) -> np.ndarray | None:
        """This epoch's shuffled order (drawn from brickwork's generator unless given), kept in
        :attr:`current_order` for a backup."""
        if order is not None:
            order = np.asarray(order, dtype=np.int64)
            if order.shape != (size,):
                raise ValueError(f"{self.what}(): a resumed epoch's order has shape {order.shape}, but the data "
                                 f"has {size} {'batches' if self.kind == 'sequence' else 'samples'}: the backup "
                                 "belongs to different data.")
        elif self.shuffle:
            order = generator().permutation(size)
        self.current_order = order
        return order

    def _sequence_epoch(self, start_step: int = 0,
                        order: np.ndarray | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """A PyDataset's batches in order (shuffled order with ``shuffle``). With ``workers > 1``
        a thread pool reads up to ``max_queue_size`` batches ahead (threads also when
        ``use_multiprocessing=True``: batches of NumPy work release the GIL, and nothing is pickled)."""
        drawn = self._shard(len(self.source), self._epoch_order(len(self.source), order))
        order = np.arange(len(self.source)) if drawn is None else drawn
        n = len(order) if self.steps is None else min(self.steps, len(order))
        if hasattr(self.source, "on_epoch_begin"):
            self.source.on_epoch_begin()
        workers = int(getattr(self.source, "workers", 1) or 1)
        if workers <= 1:
            for step in range(start_step, n):
                yield step, self._standardize_batch(self.source[int(order[step])])
        else:
            ahead = max(int(getattr(self.source, "max_queue_size", 10) or 10), workers)
            with ThreadPoolExecutor(max_workers=workers) as pool:
                pending: deque[Any] = deque(pool.submit(self.source.__getitem__, int(order[i]))
                                            for i in range(start_step, min(start_step + ahead, n)))
                for step in range(start_step, n):
                    batch = pending.popleft().result()
                    if step + ahead < n:
                        pending.append(pool.submit(self.source.__getitem__, int(order[step + ahead])))
                    yield step, self._standardize_batch(batch)
        if hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()

    def _array_epoch(self, start_step: int = 0,
                     order: np.ndarray | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
        n, bs = self.num_samples, self.batch_size
        order = self._shard(n, self._epoch_order(n, order))
        n = n if order is None else len(order)
        offset = _contiguous_start(order)  # an unshuffled shard is one run of rows: slice it (views, no copies)
        for step in range(start_step, self.num_batches):
            start = (step * bs) % n
            if order is None or offset is not None:
                base = 0 if offset is None else offset
                idx: Any = slice(base + start, base + min(start + bs, n))
            else:
                idx = order[start:start + bs]
            x = data_utils.take(self.x, idx)
            y = None if self.y is None else data_utils.take(self.y, idx)
            sw = None if self.sample_weight is None else self.sample_weight[idx]
            yield step, pack_x_y_sample_weight(x, y, sw)

    def split_validation(self, fraction: float) -> DataAdapter:
        """Keras's ``validation_split``: move the *last* ``fraction`` of the rows, before shuffling,
        into a new adapter (arrays only)."""
        if self.kind != "arrays":
            raise ValueError(f"{self.what}(): validation_split needs array data; with a generator or PyDataset "
                             "pass validation_data instead.")
        x, y, sw, vx, vy, vsw = data_utils.split_validation(self.x, self.y, self.sample_weight, fraction)
        self.x, self.y, self.sample_weight = x, y, sw
        self.num_samples = data_utils.num_samples(x, "x")
        val = object.__new__(DataAdapter)
        val.__dict__.update(self.__dict__)
        val.x, val.y, val.sample_weight, val.shuffle, val.steps, val.shard = vx, vy, vsw, False, None, False
        val.num_samples = data_utils.num_samples(vx, "x")
        return val


def _contiguous_start(order: np.ndarray | None) -> int | None:
    """The first row when ``order`` is the run ``k, k+1, ..., k+n-1`` (then batches can be slices), else None."""
    if order is None or len(order) == 0:
        return None
    first = int(order[0])
    if int(order[-1]) - first != len(order) - 1 or not np.array_equal(order, np.arange(first, first + len(order))):
        return None
    return first


def check_positive_int(value: Any, name: str, what: str) -> int:
    """``value`` as an int if it is a whole number >= 1 (``5`` or ``5.0``), else a ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)) \
            or not np.isfinite(value) or value != int(value) or value < 1:
        raise ValueError(f"{what}(): {name} must be positive (a whole number >= 1); got {name}={value!r}.")
    return int(value)


def batch_size_of(x: Any) -> int:
    """Rows in a batch: the first axis of its first array."""
    leaves = [leaf for leaf in flatten(x) if leaf is not None]
    return int(np.shape(leaves[0])[0]) if leaves else 0


def to_numpy_outputs(outputs: Any) -> Any:
    """A batch of model outputs as NumPy arrays (same structure)."""
    return map_structure(lambda t: to_host(t.data) if isinstance(t, Tensor) else
                         to_host(t) if is_device_array(t) else np.asarray(t), outputs)
