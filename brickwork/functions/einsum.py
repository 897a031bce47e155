"""Einstein summation with a hand-written backward that is itself one einsum per operand."""

from __future__ import annotations

import string

import numpy as np

from brickwork.engine.device import get_array_module
from brickwork.engine.function import Function
from brickwork.functions.shape import broadcast_to


class Einsum(Function):
    r"""``y = einsum('s_1,...,s_n->s_out', x_1, ..., x_n)`` with explicit subscripts
    (no ellipsis; :func:`einsum` resolves those first).

    :math:`y` is linear in each operand, so the gradient of :math:`x_i` contracts
    :math:`\bar y` with all the other operands onto the subscripts of :math:`x_i`:

    .. math:: \bar x_i[s_i] = \sum_{\text{other letters}} \bar y[s_{out}] \prod_{j \ne i} x_j[s_j]

    Two cases need an extra factor in that contraction. A letter of :math:`s_i`
    that occurs nowhere else was summed over inside :math:`x_i` alone, so the
    gradient is constant along it (a factor of ones). A letter repeated within
    :math:`s_i` (a diagonal, ``'ii->i'``) gets a fresh letter for each repeat
    and a Kronecker delta (an identity matrix) tying it to the first, so the
    gradient lands on the diagonal only.
    """

    def __init__(self, inputs: list[str], output: str):
        self.terms, self.output = list(inputs), output

    def forward(self, *xs):
        self.xs = xs
        xp = get_array_module(*xs)
        return xp.asarray(xp.einsum(",".join(self.terms) + "->" + self.output, *xs, optimize=True))

    def backward(self, gy):
        xp = get_array_module(gy)
        used = set("".join(self.terms))
        fresh = iter(c for c in string.ascii_letters if c not in used)
        grads = []
        for i, (term, x) in enumerate(zip(self.terms, self.xs)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            subs = [self.output] + [t for j, t in enumerate(self.terms) if j != i]
            ops = [gy] + [v for j, v in enumerate(self.xs) if j != i]
            target, first = [], {}
            for pos, letter in enumerate(term):
                if letter in first:
                    new = next(fresh)
                    target.append(new)
                    subs.append(letter + new)
                    ops.append(xp.eye(x.shape[pos], dtype=gy.dtype))
                else:
                    first[letter] = pos
                    target.append(letter)
            present = set("".join(subs))
            for letter, pos in first.items():
                if letter not in present:
                    subs.append(letter)
                    ops.append(xp.ones(x.shape[pos], gy.dtype))
            spec = ",".join(subs) + "->" + "".join(target)
            grads.append(xp.einsum(spec, *ops, optimize=True).astype(x.dtype, copy=False))
        return tuple(grads)


def parse_einsum(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str, dict[str, int]]:
    """Resolve ``subscripts`` for operands of ``shapes``: each ellipsis becomes fresh letters
    (right-aligned, broadcasting as NumPy); an implicit output becomes the ellipsis letters followed
    by the letters used exactly once, in alphabetical order.

    Returns the per-operand terms, the output term and the (broadcast) size of each ellipsis letter.
    Raises ValueError naming einsum, the subscripts and the shapes on any mismatch.
    """
    spec = subscripts.replace(" ", "")
    where = f"einsum({subscripts!r}) with operand shapes {[tuple(s) for s in shapes]}"
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"{where}: the subscripts name {len(terms)} operand(s) but {len(shapes)} were given.")
    for t in terms + ([out] if arrow else []):
        rest = t.replace("...", "", 1)
        if not set(rest) <= set(string.ascii_letters):
            raise ValueError(f"{where}: invalid subscript term {t!r}.")
    fresh = [c for c in string.ascii_letters if c not in set(lhs + out)]
    ell_rank = 0
    for t, s in zip(terms, shapes):
        named = len(t.replace("...", ""))
        if ("..." in t and named > len(s)) or ("..." not in t and named != len(s)):
            raise ValueError(f"{where}: term {t!r} names {named} axes but its operand has shape {tuple(s)}.")
        if "..." in t:
            ell_rank = max(ell_rank, len(s) - named)
    ell = "".join(fresh[:ell_rank])
    ell_sizes = dict.fromkeys(ell, 1)
    resolved = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - len(t.replace("...", ""))
            letters = ell[ell_rank - k:]
            start = t.index("...")
            for c, n in zip(letters, s[start:start + k]):
                if n != 1 and ell_sizes[c] not in (1, n):
                    raise ValueError(f"{where}: the axes under '...' do not broadcast.")
                ell_sizes[c] = max(ell_sizes[c], n)
            t = t.replace("...", letters)
        resolved.append(t)
    joined = "".join(resolved)
    if arrow:
        out = out.replace("...", ell)
    else:
        out = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell_sizes))
    for c in out:
        if c not in joined:
            raise ValueError(f"{where}: output subscript {c!r} appears in no input.")
        if out.count(c) > 1:
            raise ValueError(f"{where}: output subscript {c!r} is repeated.")
    sizes: dict[str, tuple[int, int]] = {}
    for i, (t, s) in enumerate(zip(resolved, shapes)):
        for c, n in zip(t, s):
            if c in ell_sizes:
                continue
            if c in sizes and sizes[c][0] != n:
                raise ValueError(f"{where}: index {c!r} has size {sizes[c][0]} in operand {sizes[c][1]} "
                                 f"but size {n} in operand {i}.")
            sizes.setdefault(c, (n, i))
    return resolved, out, ell_sizes


def einsum(subscripts: str, *operands):
    """Einstein summation over brickwork tensors (NumPy's subscripts, ellipsis included)."""
    shapes = [tuple(np.shape(getattr(x, "data", x))) for x in operands]
    terms, out, ell_sizes = parse_einsum(subscripts, shapes)
    fixed = []
    for t, x, s in zip(terms, operands, shapes):
        # size-1 axes under '...' are broadcast explicitly: einsum with letters does not broadcast them
        target = tuple(ell_sizes.get(c, n) for c, n in zip(t, s))
        fixed.append(broadcast_to(x, target) if target != s else x)
    return Einsum(terms, out)(*fixed)
