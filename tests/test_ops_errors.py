"""Bad inputs to brickwork.ops raise errors that name the op and the shapes involved."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork.ops as ops

A = np.ones((3, 4), np.float32)

BAD = {
    "top_k_k_too_large": (lambda: ops.top_k(A, 5), r"top_k: k=5 .* \[0, 4\].*\(3, 4\)"),
    "top_k_scalar": (lambda: ops.top_k(np.float32(1.0), 1), r"top_k: .*scalar"),
    "einsum_operand_count": (lambda: ops.einsum("ij,jk->ik", A), r"einsum\('ij,jk->ik'\).*\(3, 4\).*2 operand"),
    "einsum_size_mismatch": (lambda: ops.einsum("ij,jk->ik", A, np.ones((5, 2))),
                             r"einsum.*index 'j' has size 4 in operand 0 but size 5 in operand 1"),
    "einsum_rank_mismatch": (lambda: ops.einsum("ijk->i", A), r"einsum.*term 'ijk' names 3 axes.*\(3, 4\)"),
    "einsum_unknown_output": (lambda: ops.einsum("ij->k", A), r"einsum.*output subscript 'k'"),
    "einsum_bad_character": (lambda: ops.einsum("i1->i", A), r"einsum.*invalid subscript term 'i1'"),
    "einsum_ellipsis_no_broadcast": (lambda: ops.einsum("...i,...i", np.ones((2, 3)), np.ones((4, 3))),
                                     r"einsum.*'\.\.\.' do not broadcast"),
    "matmul_mismatch": (lambda: ops.matmul(A, A), r"matmul: .*\(3, 4\).*\(3, 4\)"),
    "tensordot_mismatch": (lambda: ops.tensordot(A, A, 1), r"tensordot: .*\(3, 4\).*\(3, 4\)"),
    "take_out_of_range": (lambda: ops.take(A, np.array([4]), axis=1), r"take: .*axis 1 of length 4.*\(3, 4\)"),
    "take_along_axis_rank": (lambda: ops.take_along_axis(A, np.array([0]), axis=1),
                             r"take_along_axis: indices of shape \(1,\).*\(3, 4\)"),
    "split_uneven": (lambda: ops.split(A, 3, axis=1), r"split: axis 1 of length 4 .*\(3, 4\).*3 equal"),
    "unstack_num": (lambda: ops.unstack(A, num=2), r"unstack: num=2 .*\(3, 4\).*length 3"),
    "pad_negative": (lambda: ops.pad(A, -1), r"pad: .*negative.*\(3, 4\)"),
    "pad_mode": (lambda: ops.pad(A, 1, mode="bogus"), r"pad: unknown mode 'bogus'"),
    "pad_reflect_too_wide": (lambda: ops.pad(A, ((3, 0), (0, 0)), mode="reflect"), r"pad: reflect .*\(3, 4\)"),
    "slice_out_of_bounds": (lambda: ops.slice(A, (2, 0), (2, 2)), r"slice: .*\[2, 2\].*\(3, 4\)"),
    "slice_update_too_big": (lambda: ops.slice_update(A, (0, 0), np.ones((4, 4))),
                             r"slice_update: updates of shape \(4, 4\).*\(3, 4\)"),
    "conv_rank": (lambda: ops.conv(np.ones((2, 3)), np.ones((1, 3, 3))), r"conv: .*3-D .*4-D.*\(2, 3\)"),
    "conv_channels": (lambda: ops.conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 4))),
                      r"conv: .*3 channels.*\(3, 3, 2, 4\)"),
    "conv_kernel_rank": (lambda: ops.conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 4))),
                         r"conv: a 2-D convolution needs a kernel of rank 4.*\(3, 3, 4\).*\(1, 5, 5, 3\)"),
    "conv_padding": (lambda: ops.conv(np.ones((1, 5, 3)), np.ones((3, 3, 4)), padding="full"),
                     r"conv: padding must be 'valid' or 'same'"),
    "max_pool_rank": (lambda: ops.max_pool(np.ones((2, 2, 2, 2, 2)), 2), r"max_pool: .*\(2, 2, 2, 2, 2\)"),
    "attention_rank": (lambda: ops.dot_product_attention(A, A, A), r"dot_product_attention: .*4-D.*\(3, 4\)"),
    "attention_heads": (lambda: ops.dot_product_attention(np.ones((1, 2, 3, 2)), np.ones((1, 2, 2, 2)),
                                                          np.ones((1, 2, 2, 2))),
                        r"dot_product_attention: .*\(1, 2, 2, 2\).*\(1, 2, 3, 2\)"),
    "binary_crossentropy_shapes": (lambda: ops.binary_crossentropy(A, A[:, :2]),
                                   r"binary_crossentropy: .*target.shape=\(3, 4\), output.shape=\(3, 2\)"),
    "categorical_crossentropy_shapes": (lambda: ops.categorical_crossentropy(A, A.T),
                                        r"categorical_crossentropy: .*\(3, 4\).*\(4, 3\)"),
    "sparse_categorical_crossentropy_shapes": (lambda: ops.sparse_categorical_crossentropy(np.array([0, 1]), A),
                                               r"sparse_categorical_crossentropy: target.shape=\(2,\).*\(3, 4\)"),
    "sparse_categorical_crossentropy_label": (lambda: ops.sparse_categorical_crossentropy(np.array([0, 1, 4]), A),
                                              r"sparse_categorical_crossentropy: labels must be in \[0, 4\)"),
    "batch_normalization_shape": (lambda: ops.batch_normalization(A, np.zeros(3), np.ones(4), axis=1),
                                  r"batch_normalization: .*\(3,\).*axis 1.*\(3, 4\)"),
    "norm_axes": (lambda: ops.norm(np.ones((2, 2, 2)), axis=(0, 1, 2)), r"norm: axis .*\(2, 2, 2\)"),
    "norm_ord_axis_none": (lambda: ops.norm(np.ones((2, 2, 2)), ord=1), r"norm: ord=1 .*\(2, 2, 2\)"),
    "norm_unknown": (lambda: ops.norm(A, ord=3), r"norm: unknown matrix norm ord=3"),
    "glu_odd": (lambda: ops.glu(np.ones((2, 3))), r"glu: axis -1 .*\(2, 3\)"),
    "resize_rank": (lambda: ops.image.resize(A, (2, 2)), r"resize: .*3-D .*4-D.*\(3, 4\)"),
    "resize_size": (lambda: ops.image.resize(np.ones((1, 4, 4, 1)), (2,)), r"resize: size must be"),
    "resize_interpolation": (lambda: ops.image.resize(np.ones((1, 4, 4, 1)), (2, 2), interpolation="lanczos9"),
                             r"resize: unknown interpolation 'lanczos9'"),
    "resize_crop_and_pad": (lambda: ops.image.resize(np.ones((1, 4, 4, 1)), (2, 2), crop_to_aspect_ratio=True,
                                                     pad_to_aspect_ratio=True), r"resize: only one of"),
    "where_one_branch": (lambda: ops.where(A > 0, A), r"where: x1 and x2"),
    "scan_lengths": (lambda: ops.scan(lambda c, x: (c, x), 0.0, (A, np.ones(2))), r"scan: .*\[3, 2\]"),
    "reshape_size": (lambda: ops.reshape(A, (5, -1)), r"reshape: cannot reshape x of shape \(3, 4\) .* to \(5, -1\)"),
    "transpose_axes": (lambda: ops.transpose(A, (0, 0)), r"transpose: axes \(0, 0\) .*\(3, 4\)"),
    "squeeze_not_one": (lambda: ops.squeeze(A, 1), r"squeeze: axis 1 of x \(shape \(3, 4\)\)"),
    "broadcast_to_bad": (lambda: ops.broadcast_to(A, (4, 4)), r"broadcast_to: x of shape \(3, 4\) .* \(4, 4\)"),
    "concatenate_bad": (lambda: ops.concatenate([A, np.ones((2, 3))], axis=1),
                        r"concatenate: along axis 1, .*\(3, 4\), \(2, 3\)"),
    "stack_bad": (lambda: ops.stack([A, A.T]), r"stack: .*\(3, 4\), \(4, 3\)"),
    "arange_zero_step": (lambda: ops.arange(0, 3, 0), r"arange: step"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_error_names_op_and_shapes(name):
    fn, pattern = BAD[name]
    with pytest.raises((ValueError, IndexError, NotImplementedError), match=pattern):
        fn()
