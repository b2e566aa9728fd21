"""Oracle tests for lamina/ops/assemble.py: splits, stacks, block_diag, kron, rot90, index grids."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamina
from oracle import check, check_error

FLOATS = ["float32", "float64"]


def ints(shape, low=-5, high=5, seed=0):
    return np.random.default_rng(seed).integers(low, high, shape).astype(np.int64)


# ---- tensor_split / hsplit / vsplit / dsplit ----------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,arg,dim", [
    ((7, 3), 3, 0), ((7, 3), 1, 0), ((7, 3), 9, 0), ((7, 3), 2, -1), ((0, 3), 2, 0), ((1, 4), 3, 1),
    ((7, 3), [1, 5], 0), ((7, 3), [5, 1, 9], 0), ((7, 3), [-2], 0), ((7, 3), [], 0), ((2, 6, 2), (0, 6), 1)])
def test_tensor_split(dtype, shape, arg, dim):
    check(lambda lib, x: x.tensor_split(arg, dim), [shape], dtype=dtype)
    check(lambda lib, x: lib.tensor_split(x, arg, dim=dim), [shape], dtype=dtype)


def test_tensor_split_tensor_arg_and_int64():
    check(lambda lib, x: lib.tensor_split(x, lib.tensor([1, 4]), 0), [(6, 2)])
    check(lambda lib, x: lib.tensor_split(x, lib.tensor(4), 0), [(6, 2)])
    check(lambda lib, x: lib.tensor_split(x, 4), [ints((6, 2))])


def test_tensor_split_returns_views():
    for lib in (torch, lamina):
        x = lib.zeros(6)
        parts = x.tensor_split(3)
        parts[1][0] = 5.0
        assert x[2].item() == 5.0


def test_tensor_split_errors():
    check_error(lambda lib: lib.zeros(7, 3).tensor_split(0), RuntimeError, "number of sections must be larger than 0, got 0")
    check_error(lambda lib: lib.zeros(()).tensor_split(2), RuntimeError, "expected at least a 1-dimensional tensor")
    check_error(lambda lib: lib.zeros(7).tensor_split(lib.tensor([[1]])), RuntimeError,
                "zero-dimensional or one-dimensional tensor, but got a tensor with 2 dims")
    check_error(lambda lib: lib.zeros(7).tensor_split(lib.tensor([1.0])), RuntimeError, "dtype of long, but got Float")
    check_error(lambda lib: lib.zeros(7, 3).tensor_split(2, 2), IndexError, r"Dimension out of range")


@pytest.mark.parametrize("fn,shape,arg", [
    ("hsplit", (6,), 3), ("hsplit", (6,), [4]), ("hsplit", (2, 6, 3), 2), ("hsplit", (2, 6), [1, 3]),
    ("vsplit", (4, 3), 2), ("vsplit", (4, 3, 2), [3]), ("dsplit", (2, 3, 4), 2), ("dsplit", (2, 3, 4), [1, 1]),
    ("hsplit", (2, 3), 1)])
def test_directional_split(fn, shape, arg):
    check(lambda lib, x: getattr(lib, fn)(x, arg), [shape])
    check(lambda lib, x: getattr(x, fn)(arg), [shape], dtype="float64")


def test_directional_split_errors():
    check_error(lambda lib: lib.hsplit(lib.zeros(()), 2), RuntimeError,
                r"torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 dimensions!")
    check_error(lambda lib: lib.vsplit(lib.zeros(6), 2), RuntimeError, r"torch.vsplit requires a tensor with at least 2")
    check_error(lambda lib: lib.dsplit(lib.zeros(6, 2), 2), RuntimeError, r"torch.dsplit requires a tensor with at least 3")
    check_error(lambda lib: lib.hsplit(lib.zeros(6), 4), RuntimeError,
                r"split along dimension 0, but the size of the dimension 6 is not divisible by the split_size 4!")
    check_error(lambda lib: lib.dsplit(lib.zeros(1, 2, 4), 3), RuntimeError, r"along dimension 2, .* split_size 3!")
    check_error(lambda lib: lib.hsplit(lib.zeros(2, 0), 0), RuntimeError, r"split_size 0!")


def test_split_aliases():
    check(lambda lib, x: lib.split_with_sizes(x, [1, 2], 1), [(2, 3)])
    check(lambda lib, x: x.split_with_sizes([3, 0]), [(3, 2)])
    check(lambda lib, x: lib.unsafe_split(x, 2), [(5, 2)])
    check(lambda lib, x: x.unsafe_chunk(2, 1), [(2, 5)])
    check(lambda lib, x: lib.unsafe_split_with_sizes(x, [2, 3]), [(5, 2)])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim,start,length", [(0, 1, 2), (1, -3, 2), (-1, 0, 0), (0, 0, 4)])
def test_narrow_copy(dtype, dim, start, length):
    check(lambda lib, x: lib.narrow_copy(x, dim, start, length), [(4, 3)], dtype=dtype)


def test_narrow_copy_is_a_copy():
    x = lamina.zeros(4, 3)
    x.narrow_copy(0, 1, 2)[0, 0] = 1.0
    assert x.sum().item() == 0.0


# ---- stacking -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (0,), (2, 0)])
def test_atleast_3d(shape):
    check(lambda lib, x: lib.atleast_3d(x), [shape])


def test_atleast_3d_many_and_view():
    check(lambda lib, x, y: lib.atleast_3d(x, y), [(2,), (2, 3)])
    check(lambda lib, x, y: lib.atleast_3d([x, y]), [(), (4,)])
    x = lamina.zeros(3)
    lamina.atleast_3d(x)[0, 1, 0] = 7.0
    assert x[1].item() == 7.0


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(), ()], [(2, 3), (2, 3)], [(2, 3, 1), (2, 3, 2)], [(0, 2), (0, 2)]])
def test_dstack_column_stack(dtype, shapes):
    check(lambda lib, *xs: lib.dstack(xs), shapes, dtype=dtype)
    if len(shapes[0]) <= 2:
        check(lambda lib, *xs: lib.column_stack(list(xs)), shapes, dtype=dtype)


def test_stack_mixed_and_errors():
    check(lambda lib, x, y, z: lib.column_stack([x, y, z]), [(3,), (3, 2), ints((3,))])
    check(lambda lib, x, z: lib.dstack([x, z]), [(2, 2), ints((2, 2))])
    check_error(lambda lib: lib.dstack([]), RuntimeError, "dstack expects a non-empty TensorList")
    check_error(lambda lib: lib.column_stack([]), RuntimeError, "column_stack expects a non-empty TensorList")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", [[(2, 3)], [(2, 3), (4,), (), (1, 1)], [(0, 3), (2, 0)], [(2, 2), (3, 1)]])
def test_block_diag(dtype, shapes):
    check(lambda lib, *xs: lib.block_diag(*xs), shapes, dtype=dtype)


def test_block_diag_empty_vector_block_grad():
    # a 1-D empty block takes one row of zero width; torch's backward forgets that row (it reads
    # the next block's gradient one row too high), so compare with the same block given as (1, 0)
    x = np.zeros(0, np.float32)
    check(lambda lib, e, y: lib.block_diag(e, y), [x, (2, 2)], grad=False)
    check(lambda lib, e, y: lib.block_diag(e.reshape(1, 0) if lib is torch else e, y), [x, (2, 2)])


def test_block_diag_dtypes_and_errors():
    check(lambda lib, x, y: lib.block_diag(x, y), [(2, 2), ints((1, 3))])
    check(lambda lib, x, y: lib.block_diag(x, y), [ints((2,)), ints((1, 3))])
    check(lambda lib: lib.block_diag(), [])
    check_error(lambda lib: lib.block_diag(lib.zeros(2), lib.zeros(2, 3, 1)), RuntimeError,
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 1 has 3 dimensions")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", [[(3,)], [(3,), (2,)], [(2,), (1,), (3,)], [(0,), (2,)]])
def test_cartesian_prod(dtype, shapes):
    check(lambda lib, *xs: lib.cartesian_prod(*xs), shapes, dtype=dtype)


def test_cartesian_prod_int_and_errors():
    check(lambda lib, x, y: lib.cartesian_prod(x, y), [ints((3,)), ints((2,))])
    check_error(lambda lib: lib.cartesian_prod(lib.zeros(3), lib.zeros(2, dtype=lib.int64)), RuntimeError,
                "meshgrid expects all tensors to have the same dtype")
    check_error(lambda lib: lib.cartesian_prod(), RuntimeError, "meshgrid expects a non-empty TensorList")
    check_error(lambda lib: lib.cartesian_prod(lib.zeros(3, 1), lib.zeros(2)), RuntimeError,
                r"Expect a 1D vector, but got shape \[3, 1\]")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n,r,rep", [(4, 2, False), (4, 2, True), (4, 3, False), (3, 1, True), (3, 0, False),
                                     (3, 4, False), (3, 4, True), (0, 2, False), (1, 2, True)])
def test_combinations(dtype, n, r, rep):
    check(lambda lib, x: lib.combinations(x, r, with_replacement=rep), [(n,)], dtype=dtype)


def test_combinations_int_and_errors():
    check(lambda lib, x: lib.combinations(x, 2), [ints((4,))])
    check_error(lambda lib: lib.combinations(lib.zeros(3), -1), RuntimeError, "Expect a non-negative number, but got -1")
    check_error(lambda lib: lib.combinations(lib.zeros(3, 1)), RuntimeError, r"Expect a 1D vector, but got shape \[3, 1\]")


# ---- rot90, adjoint, sum_to_size ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("k", [-5, -1, 0, 1, 2, 3, 4, 6])
@pytest.mark.parametrize("shape,dims", [((3, 4), (0, 1)), ((3, 4), (1, 0)), ((2, 3, 4), (-1, 0)), ((0, 2), (0, 1))])
def test_rot90(dtype, k, shape, dims):
    check(lambda lib, x: lib.rot90(x, k, dims), [shape], dtype=dtype)


def test_rot90_method_default_int_and_copy():
    check(lambda lib, x: x.rot90(), [(2, 3)])
    check(lambda lib, x: lib.rot90(x, 1, [1, 2]), [ints((2, 3, 4))])
    x = lamina.zeros(2, 2)
    y = lamina.rot90(x, 0)
    y[0, 0] = 1.0
    assert x[0, 0].item() == 0.0  # k = 0 still copies, as PyTorch


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_rot90_strides_match_torch(k):
    # PyTorch returns a transposed view of one flipped copy for odd k
    assert lamina.rot90(lamina.zeros(3, 4, 2), k, (0, 2)).stride() == torch.rot90(torch.zeros(3, 4, 2), k, (0, 2)).stride()


def test_rot90_errors():
    check_error(lambda lib: lib.rot90(lib.zeros(2, 2), 1, [0]), RuntimeError, "expected total rotation dims == 2, but got dims = 1")
    check_error(lambda lib: lib.rot90(lib.zeros(2), 1, [0, 1]), RuntimeError, "expected total dims >= 2, but got total dims = 1")
    check_error(lambda lib: lib.rot90(lib.zeros(2, 2), 1, [0, 0]), RuntimeError,
                "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0")
    check_error(lambda lib: lib.rot90(lib.zeros(2, 2), 1, [0, 2]), IndexError, "Dimension out of range")


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (0, 2)])
def test_adjoint(shape):
    check(lambda lib, x: lib.adjoint(x), [shape])
    check(lambda lib, x: x.adjoint() * 2, [shape], dtype="float64")
    check_error(lambda lib: lib.zeros(3).adjoint(), RuntimeError,
                r"tensor.adjoint\(\) is only supported on matrices or batches of matrices. Got 1-D tensor.")


def test_adjoint_is_view():
    x = lamina.zeros(2, 3)
    x.adjoint()[2, 1] = 4.0
    assert x[1, 2].item() == 4.0


@pytest.mark.parametrize("shape,size", [((3, 4), (1, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), (3, 4)),
                                        ((2, 3, 4), (1, 1)), ((2, 0, 4), (1, 4)), ((3, 4), ())])
def test_sum_to_size(shape, size):
    check(lambda lib, x: x.sum_to_size(size), [shape])
    if size:
        check(lambda lib, x: x.sum_to_size(*size), [shape], dtype="float64")


def test_sum_to_size_error():
    check_error(lambda lib: lib.zeros(3, 4).sum_to_size(2, 4), RuntimeError,
                r"size \{\[2, 4\]\} is not expandable to size \{\[3, 4\]\}.")


def test_resolve_and_conj_return_self():
    x = lamina.randn(3)
    assert lamina.resolve_conj(x) is x and x.resolve_neg() is x and lamina.conj(x) is x
    assert not x.is_conj() and not lamina.is_neg(x)


# ---- diagonals and products ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,offset,dim1,dim2", [
    ((3,), 0, -2, -1), ((2, 3), 1, 0, 2), ((2, 3), -1, 1, 0), ((2, 3, 4), 2, -1, 1), ((0,), 0, 0, 1),
    ((2, 0), -1, 0, 1), ((1,), 0, -2, -1), ((2, 3), 1, -1, -2), ((2, 4, 3), -2, 2, 3), ((2, 4, 3), 2, 1, 3)])
def test_diag_embed(dtype, shape, offset, dim1, dim2):
    check(lambda lib, x: lib.diag_embed(x, offset, dim1, dim2), [shape], dtype=dtype)
    check(lambda lib, x: x.diag_embed(offset=offset, dim1=dim1, dim2=dim2), [shape], dtype=dtype)


def test_diag_embed_int_and_errors():
    check(lambda lib, x: lib.diag_embed(x), [ints((2, 3))])
    check_error(lambda lib: lib.diag_embed(lib.zeros(2, 3), 1, 0, 0), RuntimeError, "diagonal dimensions cannot be identical 0, 0")
    check_error(lambda lib: lib.diag_embed(lib.zeros(2, 3), 1, 0, 3), IndexError, "Dimension out of range")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,offset", [((2, 3), 0), ((2, 3), -1), ((4,), 2), ((), 0), ((0,), 1)])
def test_diagflat(dtype, shape, offset):
    check(lambda lib, x: lib.diagflat(x, offset), [shape], dtype=dtype)
    check(lambda lib, x: x.diagflat(offset), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("a,b", [((2, 3), (4, 5)), ((2, 3), (4,)), ((), (3,)), ((2, 1, 3), (2, 2)), ((0, 2), (3, 1)),
                                 ((3,), (2,))])
def test_kron(dtype, a, b):
    check(lambda lib, x, y: lib.kron(x, y), [a, b], dtype=dtype)
    check(lambda lib, x, y: x.kron(y), [a, b], dtype=dtype)


def test_kron_dtypes():
    check(lambda lib, x, y: lib.kron(x, y), [(2, 2), ints((2, 3))])
    check(lambda lib, x, y: lib.kron(x, y), [ints((2, 2)), ints((3,))])
    check(lambda lib, x, y: lib.kron(x, y), [np.array([True, False]), np.array([[True], [True]])])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n,N,inc", [(3, None, False), (3, None, True), (4, 2, False), (3, 0, False), (0, 3, True),
                                     (3, 5, True), (1, 1, False)])
def test_vander(dtype, n, N, inc):
    check(lambda lib, x: lib.vander(x, N, inc), [(n,)], dtype=dtype, grad=False)


def _powers(x, N, inc):
    p = torch.arange(N, dtype=x.dtype) if inc else torch.arange(N - 1, -1, -1, dtype=x.dtype)
    return x[:, None] ** p


@pytest.mark.parametrize("N,inc", [(None, False), (4, True), (1, False)])
@pytest.mark.parametrize("x", [(3,), np.array([0.0, 1.5, -2.0])])
def test_vander_grad(N, inc, x):
    # torch.vander's own backward raises (its cumprod is modified in place): take torch's gradient
    # of x ** powers, the same function
    check(lambda lib, x: lib.vander(x, N, inc) if lib is lamina else _powers(x, N or 3, inc), [x],
          dtype="float64")


def test_vander_int_bool_and_errors():
    check(lambda lib, x: lib.vander(x), [ints((4,), -3, 3)])
    check(lambda lib, x: lib.vander(x, 3, True), [np.array([1, 2, 3], dtype=np.int32)])
    check(lambda lib, x: lib.vander(x), [np.array([True, False])])
    check(lambda lib, x: lib.vander(x, 4), [np.array([0.0, 1.5, -2.0], dtype=np.float64)], grad=False)
    check_error(lambda lib: lib.vander(lib.zeros(3), -1), RuntimeError, "N must be non-negative.")
    check_error(lambda lib: lib.vander(lib.zeros(3, 1)), RuntimeError, "x must be a one-dimensional tensor.")


# ---- index grids and shapes ---------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("row,col,offset", [(3, 4, 0), (4, 3, 1), (4, 3, -2), (3, 3, 5), (3, 3, -5), (0, 4, 0),
                                            (1, 1, 0), (5, 0, 0)])
def test_tri_indices(fn, row, col, offset):
    check(lambda lib: getattr(lib, fn)(row, col, offset), [])
    check(lambda lib: getattr(lib, fn)(row, col, offset=offset, dtype=lib.int32), [])


def test_tri_indices_errors():
    check_error(lambda lib: lib.tril_indices(3, 4, dtype=lib.float32), NotImplementedError,
                "\"tril_indices\" not implemented for 'Float'")
    check_error(lambda lib: lib.triu_indices(3, 4, dtype=lib.float64), NotImplementedError,
                "\"triu_indices\" not implemented for 'Double'")
    check_error(lambda lib: lib.tril_indices(-1, 4), RuntimeError, "row must be non-negative, got-1")
    check_error(lambda lib: lib.triu_indices(1, -4), RuntimeError, "col must be non-negative, got-4")


@pytest.mark.parametrize("idx,shape", [([3, 17, 0], (4, 5)), ([[7, 3]], (3, 3)), ([-3, 1, -30], (4, 5)),
                                       ([100], (4, 5)), ([5, 6], (2, 3, 4)), (7, 5), ([0, 1], ())])
def test_unravel_index(idx, shape):
    check(lambda lib, i: lib.unravel_index(i, shape), [np.array(idx, dtype=np.int64)])


def test_unravel_index_int32_and_errors():
    check(lambda lib, i: lib.unravel_index(i, (3, 4)), [np.array([5, 11], dtype=np.int32)])
    check_error(lambda lib: lib.unravel_index(lib.tensor([1.0]), (4, 5)), TypeError,
                "expected 'indices' to be integer dtype, but got torch.float32")
    check_error(lambda lib: lib.unravel_index(lib.tensor(7), (5, -1)), ValueError,
                r"'shape' cannot have negative values, but got \(5, -1\)")


@pytest.mark.parametrize("shapes", [[(2, 1), (3,)], [(2, 1), (1, 4), (3, 1, 1)], [2, (3, 1)], [], [(0,), (1,)],
                                    [(5,)], [()]])
def test_broadcast_shapes(shapes):
    got = lamina.broadcast_shapes(*shapes)
    want = torch.broadcast_shapes(*shapes)
    assert got == tuple(want) and isinstance(got, lamina.Size)


def test_broadcast_shapes_errors():
    check_error(lambda lib: lib.broadcast_shapes((2, 1), (3, 2)), RuntimeError,
                r"Attempting to broadcast a dimension of length 3 at -2! Mismatching argument at index 1 had "
                r"\(3, 2\); but expected shape should be broadcastable to \[2, 2\]")
    check_error(lambda lib: lib.broadcast_shapes((-1,), (3, 1)), ValueError,
                "Attempting to broadcast a dimension with negative length!")


# ---- random configurations ----------------------------------------------------------------------

@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.integers(-3, 2),
       st.one_of(st.integers(1, 6), st.lists(st.integers(-6, 8), max_size=4)))
def test_tensor_split_random(shape, dim, arg):
    dim = dim % len(shape)
    check(lambda lib, x: lib.tensor_split(x, arg, dim), [tuple(shape)], dtype="float64")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 3), max_size=3), st.lists(st.integers(0, 3), max_size=3))
def test_kron_random(a, b):
    check(lambda lib, x, y: lib.kron(x, y), [tuple(a), tuple(b)], dtype="float64")
