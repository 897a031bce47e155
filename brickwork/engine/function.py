"""The :class:`Function` node and the backward pass.

Every differentiable primitive subclasses :class:`Function` and defines

* ``forward(*arrays) -> array | tuple[array, ...]`` on raw NumPy arrays, and
* ``backward(*grad_outputs) -> grad | tuple[grad, ...]``, returning
  :math:`\\partial L/\\partial x_i` for each input given
  :math:`\\partial L/\\partial y_j` for each output (``None`` for an input that
  needs no gradient; ``self.needs_input_grad[i]`` says which do).

A function object is used once: calling it records the node (when gradients
are on and some input requires them) and the backward pass frees its saved
buffers as soon as it has run, unless ``retain_graph=True``.

The backward pass is iterative, not recursive: functions are taken from a heap
ordered by *generation* (one more than the newest input), so a node runs only
after every consumer of its outputs has sent its gradient back, and graphs of
any depth or sequence length run without touching Python's recursion limit.
"""

from __future__ import annotations

import heapq
import weakref
from typing import Any

import numpy as np

from brickwork.engine import config
from brickwork.engine.device import get_array_module, is_device_array, to_device
from brickwork.engine.tensor import Tensor, as_array, tensor_of_array

_ndarray = np.ndarray
_grad_enabled = config.grad_enabled


def _wrap(y: Any) -> Tensor:
    """A forward output as a new tensor (a NumPy array is wrapped without re-checking it)."""
    return tensor_of_array(y) if type(y) is _ndarray else Tensor(y)


class Function:
    """Base class of every differentiable primitive (see module docstring).

    ``fresh_gradients``: a subclass sets it True when every gradient its ``backward`` returns
    that is not a view (``base is None``) was allocated by that call and is referenced
    nowhere else. Such an array reaching a leaf becomes its ``.grad`` as it is, as PyTorch's
    gradient accumulator does; any other is copied first, so that no ``.grad`` ever shares
    memory with a graph buffer, another leaf's gradient or the caller's output gradient.
    """

    inputs: tuple[Tensor, ...]
    needs_input_grad: tuple[bool, ...]
    fresh_gradients: bool = False

    def __call__(self, *inputs: Any) -> Any:
        # One pass over the inputs: the dtype that constants take (the first float tensor's), and whether
        # any input lives on a GPU (only a non-NumPy array can; the common case costs one type check).
        dtype = None
        on_gpu = False
        plain = True  # every input already a tensor
        for x in inputs:
            if isinstance(x, Tensor):
                d = x.data
                if type(d) is not _ndarray and is_device_array(d):
                    on_gpu = True
                if dtype is None and d.dtype.kind == "f":
                    dtype = d.dtype
            else:
                plain = False
                if type(x) is not _ndarray and is_device_array(x):
                    on_gpu = True
        tensors = inputs if plain else tuple(x if isinstance(x, Tensor) else _constant(x, dtype) for x in inputs)
        if on_gpu:
            tensors = _same_device(self, tensors)
            _constants_to_device(self)
        outputs = self.forward(*[t.data for t in tensors])
        single = not isinstance(outputs, tuple)
        if single:
            result = _wrap(outputs)
            results: tuple[Tensor, ...] = (result,)
        else:
            results = tuple(_wrap(y) for y in outputs)
        if _grad_enabled():
            needs = tuple([t.requires_grad for t in tensors])
            if True in needs:
                self.needs_input_grad = needs
                generation = max([t.generation for t in tensors])
                self.generation = generation
                self.inputs = tensors
                self._outputs = tuple([weakref.ref(r) for r in results])
                self._output_meta = tuple([(r.data.shape, r.data.dtype) for r in results])
                generation += 1
                for i, r in enumerate(results):
                    r.creator = self
                    r.requires_grad = True
                    r.generation = generation
                    r._out_index = i
        return results[0] if single else results

    def forward(self, *xs: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *gys: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no backward.")

    def __lt__(self, other: Function) -> bool:  # heap tie-breaker
        return id(self) < id(other)


def _constant(value: Any, dtype: np.dtype | None) -> Tensor:
    arr = value if is_device_array(value) else np.asarray(value)
    if dtype is not None and arr.dtype.kind in "fiub" and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return Tensor(as_array(arr))


def _same_device(fn: Function, tensors: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """Bring host inputs of a function that also has GPU inputs onto the GPU.

    Constants and data (masks, batches, index arrays) are copied over explicitly; a host tensor
    that requires a gradient cannot be, because the copy would cut it from its graph: that is an
    error naming the function and the shapes (move the model with ``model.to('gpu')``).
    """
    moved = []
    for t in tensors:
        if is_device_array(t.data):
            moved.append(t)
            continue
        if t.requires_grad:
            devices = ["gpu" if is_device_array(u.data) else "cpu" for u in tensors]
            raise RuntimeError(
                f"{type(fn).__name__}: inputs on different devices {devices} with shapes "
                f"{[u.shape for u in tensors]}; a CPU tensor that requires a gradient cannot be used with GPU "
                "tensors (move the model with model.to('gpu'), or the tensor with tensor.to('gpu')).")
        moved.append(Tensor(to_device(t.data, "gpu")))
    return tuple(moved)


def _constants_to_device(fn: Function) -> None:
    """Move the host arrays a GPU function was constructed with (indices, masks, conditions, bounds —
    also inside index tuples) to the device, so that ``forward``/``backward`` meet device arrays only."""
    for name, value in vars(fn).items():
        if type(value) is np.ndarray:
            setattr(fn, name, to_device(value, "gpu"))
        elif isinstance(value, tuple) and any(type(v) is np.ndarray for v in value):
            setattr(fn, name, tuple(to_device(v, "gpu") if type(v) is np.ndarray else v for v in value))


def run_backward(root: Tensor, grad: Any = None, retain_graph: bool = False,
                 capture: dict[int, Any] | None = None) -> None:
    """Accumulate :math:`\\partial\\,\\text{root}/\\partial x` into ``x.grad`` for every leaf.

    With ``capture`` (``{id(tensor): None}``) no ``.grad`` is written: the gradient
    reaching each listed tensor — leaf or not — is summed into ``capture`` instead.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward() called on a tensor that does not require grad "
            "(no input of its graph has requires_grad=True, or it was made under no_grad())."
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"grad can be created implicitly only for a single-element output; got shape {root.shape}."
            )
        g = np.ones_like(root.data)
    else:
        g = as_array(grad.data if isinstance(grad, Tensor) else grad, root.data.dtype)
        if g.shape != root.shape:
            raise ValueError(f"backward(grad=...) has shape {g.shape} but the tensor has shape {root.shape}.")
    if capture is not None and id(root) in capture:
        capture[id(root)] = g.copy()
    if root.creator is None:
        if capture is None:
            _accumulate_leaf(root, g)
        return

    pending: dict[tuple[int, int], np.ndarray] = {}
    heap: list[tuple[int, int, Function]] = []
    queued: set[int] = set()
    heappush, heappop = heapq.heappush, heapq.heappop

    root_fn = root.creator
    if "inputs" not in root_fn.__dict__:
        raise RuntimeError(
            "Trying to backward through the graph a second time: its buffers were freed. "
            "Pass retain_graph=True to the first backward() call."
        )
    pending[(id(root_fn), root._out_index)] = g
    queued.add(id(root_fn))
    heap.append((-root_fn.generation, id(root_fn), root_fn))
    while heap:
        _, fid, f = heappop(heap)
        state = f.__dict__
        inputs = state.get("inputs")
        if inputs is None:
            raise RuntimeError(
                "Trying to backward through part of a graph a second time: its buffers were freed. "
                "Pass retain_graph=True to the first backward() call."
            )
        gys = []
        for i, (shape, dtype) in enumerate(state["_output_meta"]):
            gy = pending.pop((fid, i), None)
            if gy is None:
                gy = get_array_module(*[t.data for t in inputs]).zeros(shape, dtype)
            else:
                out = state["_outputs"][i]()
                if out is not None and out._retain_grad:
                    out.grad = gy if out.grad is None else out.grad + gy
            gys.append(gy)
        gxs = f.backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        fresh = f.fresh_gradients
        for x, gx, needed in zip(inputs, gxs, state["needs_input_grad"]):
            if not needed or gx is None:
                continue
            data = x.data
            if gx.shape != data.shape:
                raise RuntimeError(
                    f"{type(f).__name__}.backward returned a gradient of shape {gx.shape} "
                    f"for an input of shape {data.shape}."
                )
            owned = fresh and gx.base is None and sum(g is gx for g in gxs) == 1
            if gx.dtype != data.dtype:
                gx, owned = gx.astype(data.dtype), True
            if capture is not None and id(x) in capture:
                capture[id(x)] = gx.copy() if capture[id(x)] is None else capture[id(x)] + gx
            creator = x.creator
            if creator is None:
                if capture is None:
                    _accumulate_leaf(x, gx, owned)
                continue
            cid = id(creator)
            key = (cid, x._out_index)
            previous = pending.get(key)
            pending[key] = gx if previous is None else previous + gx
            if cid not in queued:
                queued.add(cid)
                heappush(heap, (-creator.generation, cid, creator))
        if not retain_graph:
            state.clear()  # free saved inputs and buffers


def _accumulate_leaf(x: Tensor, g: np.ndarray, owned: bool = False) -> None:
    """``x.grad += g``; the first gradient is copied unless ``owned`` (see ``Function.fresh_gradients``)."""
    if x.grad is None:
        x.grad = g if owned else g.copy()  # never alias a buffer that another leaf may also receive
    else:
        x.grad = x.grad + g


def grad(outputs: Tensor, inputs: Any, grad_outputs: Any = None, retain_graph: bool = False) -> Any:
    """:math:`\\partial\\,\\text{outputs}/\\partial x` for each tensor ``x`` of ``inputs``
    (PyTorch's ``torch.autograd.grad``), without touching any ``.grad``.

    ``inputs`` is a tensor or a list of tensors that the graph of ``outputs`` uses
    (leaves made with ``requires_grad=True`` — such as an input image for a saliency
    map — or intermediate tensors, such as a convolution's feature maps for Grad-CAM).
    Returns NumPy arrays in the same structure; an input the output does not depend
    on gets zeros. ``outputs`` must be a single-element tensor unless
    ``grad_outputs`` gives :math:`\\partial L/\\partial\\,\\text{outputs}`.
    """
    single = isinstance(inputs, Tensor)
    targets = [inputs] if single else list(inputs)
    for t in targets:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be tensors; got {type(t).__name__}.")
    capture: dict[int, Any] = {id(t): None for t in targets}
    run_backward(outputs, grad_outputs, retain_graph, capture=capture)
    grads = [np.zeros_like(t.data) if capture[id(t)] is None else capture[id(t)] for t in targets]
    return grads[0] if single else grads
