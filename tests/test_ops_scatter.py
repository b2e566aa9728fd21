"""Oracle tests for lamina/ops/scatter.py: *_scatter, index_put, masked_scatter, scatter_reduce,
index_reduce, unique_consecutive."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamina
from oracle import check, check_error

FLOATS = ["float32", "float64"]
REDUCES = ["sum", "prod", "mean", "amax", "amin"]

pytestmark = pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")


def ints(shape, low, high, seed=0):
    return np.random.default_rng(seed).integers(low, high, shape).astype(np.int64)


def ties(shape, dtype, seed=0):
    """Small whole numbers (with zeros): ties for amax/amin, zeros for prod."""
    return np.random.default_rng(seed).integers(-2, 3, shape).astype(dtype)


# ---- select / slice / diagonal_scatter ----------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim,index", [((3, 4), 0, 1), ((3, 4), 1, -1), ((2, 3, 4), -2, 0), ((5,), 0, 2),
                                             ((3, 0), 0, 2), ((1, 4), 0, 0)])
def test_select_scatter(dtype, shape, dim, index):
    src = shape[:dim % len(shape)] + shape[dim % len(shape) + 1:]
    check(lambda lib, x, s: lib.select_scatter(x, s, dim, index), [shape, src], dtype=dtype)
    check(lambda lib, x, s: x.select_scatter(s, dim, index), [shape, src], dtype=dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim,start,end,step,src", [
    ((3, 4), 1, 0, None, 2, (3, 2)), ((3, 4), 1, -2, None, 1, (3, 2)), ((5, 2), 0, 1, 4, 1, (3, 2)),
    ((5, 2), 0, 1, 100, 3, (2, 2)), ((3, 4), -1, 5, 9, 1, (3, 0)), ((4,), 0, None, None, 1, (4,)),
    ((0, 3), 0, 0, 0, 1, (0, 3))])
def test_slice_scatter(dtype, shape, dim, start, end, step, src):
    check(lambda lib, x, s: lib.slice_scatter(x, s, dim, start, end, step), [shape, src], dtype=dtype)
    check(lambda lib, x, s: x.slice_scatter(s, dim=dim, start=start, end=end, step=step), [shape, src], dtype=dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,offset,d1,d2,src", [
    ((3, 4), 0, 0, 1, (3,)), ((3, 4), 1, 0, 1, (3,)), ((3, 4), -1, 1, 0, (3,)), ((3, 4), -2, 0, 1, (1,)),
    ((2, 3, 4), 0, -1, 0, (3, 2)), ((3, 4), 5, 0, 1, (0,)), ((0, 2), 0, 0, 1, (0,))])
def test_diagonal_scatter(dtype, shape, offset, d1, d2, src):
    check(lambda lib, x, s: lib.diagonal_scatter(x, s, offset, d1, d2), [shape, src], dtype=dtype)
    check(lambda lib, x, s: x.diagonal_scatter(s, offset, d1, d2), [shape, src], dtype=dtype)


def test_embed_casts_src_and_int():
    check(lambda lib, x, s: lib.select_scatter(x, s, 0, 0), [(3, 4), ints((4,), -3, 3)])
    check(lambda lib, x, s: lib.slice_scatter(x, s, 0, 1), [(3, 4), np.ones((2, 4))])
    check(lambda lib, x, s: lib.diagonal_scatter(x, s), [ints((3, 3), -3, 3), ints((3,), -3, 3)])


def test_embed_errors():
    check_error(lambda lib: lib.select_scatter(lib.zeros(3, 4), lib.ones(1), 0, 0), RuntimeError,
                r"expected src to have a size equal to the slice of self. src size = \[1\], slice size = \[4\]")
    check_error(lambda lib: lib.select_scatter(lib.zeros(3, 4), lib.ones(4), 0, 5), IndexError,
                r"select\(\): index 5 out of range for tensor of size \[3, 4\] at dimension 0")
    check_error(lambda lib: lib.slice_scatter(lib.zeros(3, 4), lib.ones(3, 3), 1, 0, 2), RuntimeError,
                r"src size = \[3, 3\], slice size = \[3, 2\]")
    check_error(lambda lib: lib.slice_scatter(lib.zeros(3, 4), lib.ones(3, 2), 1, 0, None, 0), RuntimeError,
                "slice step must be positive")
    check_error(lambda lib: lib.diagonal_scatter(lib.zeros(3, 4), lib.ones(2), 1), RuntimeError,
                r"src size = \[2\], slice size = \[3\]")
    check_error(lambda lib: lib.diagonal_scatter(lib.zeros(3, 4), lib.ones(2), 0, 0, 0), RuntimeError,
                "diagonal dimensions cannot be identical 0, 0")


# ---- index_put ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("shape,index,vshape", [
    ((5,), [np.array([0, 3, 0])], (3,)), ((5,), [np.array([1, -1])], ()), ((4, 3), [np.array([0, 2])], (2, 3)),
    ((4, 3), [np.array([0, 2]), np.array([1, 1])], (2,)), ((4, 3), [np.array([True, False, True, True])], (3,)),
    ((2, 3, 4), [np.array([[0], [1]]), np.array([0, 2])], (2, 2, 4)), ((4, 3), [np.array([], dtype=np.int64)], (0, 3))])
def test_index_put(dtype, accumulate, shape, index, vshape):
    if not accumulate and any(len(set(i.tolist())) < i.size for i in index if i.dtype != bool and i.ndim == 1):
        index = [np.unique(i) for i in index]  # repeated writes without accumulate: order is unspecified
        vshape = vshape[:0] if vshape == () else (len(index[0]),) + vshape[1:]
    specs = [shape, vshape] + [i.astype(i.dtype) for i in index]
    check(lambda lib, x, v, *ix: lib.index_put(x, ix, v, accumulate), specs, dtype=dtype)
    check(lambda lib, x, v, *ix: x.index_put(list(ix), v, accumulate=accumulate), specs, dtype=dtype)


def test_index_put_inplace_and_int():
    check(lambda lib, x, v, i: x.clone().index_put_((i,), v, True), [(4, 2), (3, 2), np.array([0, 0, 3])])
    check(lambda lib, x, v, i: lib.index_put_(x * 1, (i,), v, True), [(4,), (), np.array([1, 1])])
    check(lambda lib, x, v, i: lib.index_put(x, (i,), v, True), [ints((4,), 0, 5), ints((2,), 0, 5), np.array([2, 2])])


def test_index_put_errors():
    check_error(lambda lib: lib.index_put(lib.zeros(3), (lib.tensor([0, 0]),), lib.tensor([1.0, 2, 3])), RuntimeError,
                r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2\]")
    check_error(lambda lib: lib.index_put(lib.zeros(3), (lib.tensor([0]),), lib.tensor([1])), RuntimeError,
                "Index put requires the source and destination dtypes match, got Float for the destination and Long "
                "for the source.")
    check_error(lambda lib: lib.index_put(lib.zeros(3), (lib.tensor([0, 5]),), lib.tensor(1.0), accumulate=True),
                IndexError, "index 5 is out of bounds for dimension 0 with size 3")
    check_error(lambda lib: lib.index_put(lib.zeros(3), (lib.tensor([0.0]),), lib.tensor(1.0)), IndexError,
                "tensors used as indices must be long, int, byte or bool tensors")
    check_error(lambda lib: lib.zeros(3).index_put((lib.tensor([0, 1]),), lib.ones(3), accumulate=True), RuntimeError,
                r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2\]")
    check_error(lambda lib: lib.zeros(3).index_put_((lib.tensor([4]),), lib.ones(1)), IndexError,
                "index 4 is out of bounds for dimension 0 with size 3")
    check_error(lambda lib: lib.index_put(lib.zeros(3), (lib.tensor([0]),), 1.0), TypeError,
                r"index_put\(\): argument 'values' \(position 3\) must be Tensor, not float")
    check_error(lambda lib: lib.zeros(3).index_put_((lib.tensor([0]),), 1.0), TypeError,
                r"index_put_\(\): argument 'values' \(position 2\) must be Tensor, not float")
    check_error(lambda lib: lib.index_put(lib.zeros(3), (None,), lib.ones(1)), TypeError,
                "expected Tensor as element 0 in argument 1, but got NoneType")
    check_error(lambda lib: lib.zeros(3).index_put((lib.tensor([0]), None), lib.ones(1)), TypeError,
                "expected Tensor as element 1 in argument 0, but got NoneType")


# ---- masked_scatter -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,mask,src", [
    ((3, 4), np.array([True, False, True, False]), (20,)), ((3, 4), np.array([[True], [False], [True]]), (2, 5)),
    ((3, 4), np.zeros((3, 4), bool), (0,)), ((3, 1), np.array([[True, False], [True, True], [False, False]]), (3,)),
    ((4,), np.array([True, True, True, True]), (2, 2)), ((0, 2), np.ones(2, bool), (1,)),
    ((3,), np.ones((2, 3), bool), (6,))])
def test_masked_scatter(dtype, shape, mask, src):
    check(lambda lib, x, m, s: lib.masked_scatter(x, m, s), [shape, mask, src], dtype=dtype)
    check(lambda lib, x, m, s: x.masked_scatter(m, s), [shape, mask, src], dtype=dtype)


def test_masked_scatter_inplace_and_int():
    m = np.array([[True, False], [False, True]])
    check(lambda lib, x, m, s: (x * 1).masked_scatter_(m, s), [(2, 2), m, (3,)])
    check(lambda lib, x, m, s: x.masked_scatter(m, s), [ints((2, 2), 0, 9), m, ints((2,), 0, 9)])


def test_masked_scatter_inplace_cannot_grow():
    check_error(lambda lib: lib.zeros(1, 4).masked_scatter_(lib.ones(2, 4, dtype=lib.bool), lib.zeros(8)), RuntimeError,
                r"The expanded size of the tensor \(1\) must match the existing size \(2\) at non-singleton dimension 0")
    check_error(lambda lib: lib.zeros(3, 4).masked_scatter_(lib.ones(2, 1, 4, dtype=lib.bool), lib.zeros(30)),
                RuntimeError, r"the number of sizes provided \(2\) must be greater or equal to the number of "
                              r"dimensions in the tensor \(3\)")


def test_masked_scatter_errors():
    check_error(lambda lib: lib.masked_scatter(lib.zeros(3, 4), lib.ones(4, dtype=lib.int64), lib.zeros(12)),
                RuntimeError, "masked_scatter_ only supports boolean masks, but got mask with dtype Long")
    check_error(lambda lib: lib.masked_scatter(lib.zeros(3, 4), lib.ones(4, dtype=lib.bool), lib.zeros(2)),
                RuntimeError, "Number of elements of source < number of ones in mask")
    check_error(lambda lib: lib.masked_scatter(lib.zeros(3, 4), lib.ones(4, dtype=lib.bool), lib.zeros(12, dtype=lib.int64)),
                RuntimeError, "masked_scatter: expected self and source to have same dtypes but gotFloat and Long")
    check_error(lambda lib: lib.masked_scatter(lib.zeros(3, 4), lib.ones(5, dtype=lib.bool), lib.zeros(30)),
                RuntimeError, "The size of tensor a \\(5\\) must match the size of tensor b \\(4\\) at non-singleton "
                              "dimension 1")


# ---- scatter_reduce -----------------------------------------------------------------------------

SCATTER_CASES = [  # (self shape, dim, index, src shape)
    ((3, 4), 0, ints((2, 4), 0, 3), (2, 4)), ((3, 4), 1, ints((3, 6), 0, 4, seed=1), (3, 6)),
    ((3, 4), -1, ints((2, 2), 0, 4, seed=2), (3, 5)), ((5,), 0, ints((8,), 0, 5, seed=3), (8,)),
    ((2, 3, 4), 1, ints((2, 5, 4), 0, 3, seed=4), (2, 5, 4)), ((3, 4), 0, np.zeros((0, 4), np.int64), (2, 4)),
    ((1, 1), 0, np.zeros((1, 1), np.int64), (1, 1))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("shape,dim,index,src", SCATTER_CASES)
def test_scatter_reduce(dtype, reduce, include_self, shape, dim, index, src):
    # torch's backward raises when index is smaller than src (for prod/amax/amin even for input's
    # gradient): there test_scatter_reduce_grad_of_larger_src compares with a cropped src
    smaller = index.shape != src
    check(lambda lib, x, s, i: lib.scatter_reduce(x, dim, i, s, reduce, include_self=include_self),
          [shape, src, index], dtype=dtype, grad=not smaller or reduce in ("sum", "mean"),
          grad_inputs=(0,) if smaller else None)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_grad_of_larger_src(reduce, include_self):
    # the src positions no index points at get zero gradient; the rest as torch gives for the
    # src cropped to index's shape (torch's own backward refuses the larger src)
    x = lamina.randn(3, 4, dtype=lamina.float64, requires_grad=True)
    s = lamina.randn(3, 5, dtype=lamina.float64, requires_grad=True)
    i = lamina.tensor([[0, 2], [1, 1]])
    lamina.scatter_reduce(x, 1, i, s, reduce, include_self=include_self).sum().backward()
    assert s.grad.shape == (3, 5) and not s.grad[:, 2:].numpy().any() and not s.grad[2].numpy().any()
    xt = torch.from_numpy(x.detach().numpy()).requires_grad_()
    st = torch.from_numpy(s.detach().numpy()[:2, :2].copy()).requires_grad_()
    torch.scatter_reduce(xt, 1, torch.from_numpy(i.numpy()), st, reduce, include_self=include_self).sum().backward()
    np.testing.assert_allclose(s.grad.numpy()[:2, :2], st.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_ties_and_zeros(reduce, include_self):
    # whole numbers with zeros: amax/amin ties share the gradient, prod's gradient around zeros
    for seed in range(3):
        index = ints((6, 4), 0, 3, seed=seed)
        check(lambda lib, x, s, i: x.scatter_reduce(1 - 1, i, s, reduce, include_self=include_self),
              [ties((3, 4), "float64", seed), ties((6, 4), "float64", seed + 10), index], dtype="float64")


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_int(reduce, include_self):
    index = ints((6, 3), 0, 4)
    check(lambda lib, x, s, i: lib.scatter_reduce(x, 0, i, s, reduce, include_self=include_self),
          [ints((4, 3), -9, 9), ints((6, 3), -9, 9, seed=1), index])


def test_scatter_reduce_inplace_0d_and_int32_index():
    check(lambda lib, x, s, i: (x * 1).scatter_reduce_(0, i, s, "sum"), [(4,), (3,), np.array([0, 0, 3])])
    check(lambda lib, x, s, i: lib.scatter_reduce(x, 0, i, s, "amax"), [(3,), (3,), np.array([2, 2, 0], np.int32)])
    check(lambda lib, x, s, i: lib.scatter_reduce(x, 0, i, s, "prod"), [(), (), np.array(0)])
    # the old name "max" is accepted by the forward (torch's backward refuses it)
    check(lambda lib, x, s, i: lib.scatter_reduce(x, 0, i, s, "max"), [(3,), (3,), np.array([2, 2, 0])], grad=False)


def test_scatter_reduce_bool():
    m = np.array([True, False, False])
    check(lambda lib, x, s, i: lib.scatter_reduce(x, 0, i, s, "sum"), [m, np.array([False, True]), np.array([1, 1])])
    check(lambda lib, x, s, i: lib.scatter_reduce(x, 0, i, s, "amin", include_self=False),
          [m, np.array([True, True]), np.array([2, 0])])
    check_error(lambda lib: lib.scatter_reduce(lib.tensor([True]), 0, lib.tensor([0]), lib.tensor([True]), "mean"),
                NotImplementedError, "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'")


def test_scatter_reduce_errors():
    x, s, i = (lambda lib: lib.zeros(3, 4)), (lambda lib: lib.ones(3, 4)), (lambda lib: lib.tensor([[0, 1, 0, 2]]))
    check_error(lambda lib: lib.scatter_reduce(x(lib), 0, i(lib), s(lib), "foo"), RuntimeError,
                "reduce argument must be either sum, prod, mean, amax or amin, got foo")
    check_error(lambda lib: lib.scatter_reduce(x(lib), 0, i(lib).float(), s(lib), "sum"), RuntimeError,
                r"scatter\(\): Expected dtype int32/int64 for index")
    check_error(lambda lib: lib.scatter_reduce(x(lib), 0, i(lib), s(lib).double(), "sum"), RuntimeError,
                r"scatter\(\): Expected self.dtype to be equal to src.dtype")
    check_error(lambda lib: lib.scatter_reduce(x(lib), 0, i(lib) + 5, s(lib), "sum"), RuntimeError,
                "index 5 is out of bounds for dimension 0 with size 3")
    check_error(lambda lib: lib.scatter_reduce(x(lib), 0, -i(lib) - 1, s(lib), "sum"), RuntimeError,
                "index -1 is out of bounds for dimension 0 with size 3")
    check_error(lambda lib: lib.scatter_reduce(x(lib), 0, i(lib)[0], s(lib), "sum"), RuntimeError,
                "Index tensor must have the same number of dimensions as self tensor")
    check_error(lambda lib: lib.scatter_reduce(x(lib), 0, lib.zeros(3, 5, dtype=lib.int64), s(lib), "sum"),
                RuntimeError, r"Expected index \[3, 5\] to be no larger than self \[3, 4\] apart from dimension 0 "
                              r"and to be no larger size than src \[3, 4\]")


# ---- index_reduce -------------------------------------------------------------------------------

INDEX_CASES = [  # (self shape, dim, index, source shape)
    ((3, 2), 0, np.array([0, 2, 0, 0]), (4, 2)), ((3, 4), 1, np.array([3, 3, 1]), (3, 3)),
    ((2, 3, 2), -2, np.array([1, 1, 1, 0, 2]), (2, 5, 2)), ((4,), 0, np.array([1]), (1,)),
    ((3, 2), 0, np.zeros(0, np.int64), (0, 2)), ((), 0, np.array(0), ())]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("shape,dim,index,src", INDEX_CASES)
def test_index_reduce(dtype, reduce, include_self, shape, dim, index, src):
    check(lambda lib, x, s, i: lib.index_reduce(x, dim, i, s, reduce, include_self=include_self),
          [shape, src, index], dtype=dtype)
    check(lambda lib, x, s, i: x.index_reduce(dim, i, s, reduce, include_self=include_self),
          [shape, src, index], dtype=dtype)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_ties_int_and_inplace(reduce):
    index = np.array([0, 2, 0, 0, 2])
    check(lambda lib, x, s, i: lib.index_reduce(x, 0, i, s, reduce, include_self=False),
          [ties((3, 4), "float64"), ties((5, 4), "float64", 1), index], dtype="float64")
    check(lambda lib, x, s, i: lib.index_reduce(x, 0, i, s, reduce), [ints((3, 2), -9, 9), ints((5, 2), -9, 9, 1), index])
    check(lambda lib, x, s, i: (x * 1).index_reduce_(0, i, s, reduce), [(3, 2), (5, 2), index.astype(np.int32)])


def test_index_reduce_errors():
    t, s, i = (lambda lib: lib.zeros(3, 2)), (lambda lib: lib.ones(4, 2)), (lambda lib: lib.tensor([0, 2, 0, 0]))
    check_error(lambda lib: t(lib).index_reduce(0, i(lib), s(lib), "sum"), RuntimeError,
                r"index_reduce\(\): Expected reduce to be one of prod, mean, amax or amin but got sum.")
    check_error(lambda lib: t(lib).index_reduce(0, i(lib).float(), s(lib), "mean"), RuntimeError,
                r"index_reduce_\(\): Expected dtype int32/int64 for index but got: Float")
    check_error(lambda lib: t(lib).index_reduce(0, i(lib)[:3], s(lib), "mean"), RuntimeError,
                r"index_reduce_\(\): Number of indices \(3\) should be equal to source.size\(dim\): \(4\), for dim: 0")
    check_error(lambda lib: t(lib).index_reduce(0, i(lib) + 3, s(lib), "mean"), IndexError, "index out of range in self")
    check_error(lambda lib: t(lib).index_reduce(0, i(lib) - 1, s(lib), "mean"), IndexError, "index out of range in self")
    check_error(lambda lib: t(lib).index_reduce(0, i(lib).reshape(2, 2), s(lib), "mean"), IndexError,
                r"Index is supposed to be a vector, but got dim: 2 with type: Long and size: \[2, 2\]")
    check_error(lambda lib: t(lib).index_reduce(0, i(lib), s(lib).double(), "mean"), RuntimeError,
                r"index_reduce_\(\): self \(Float\) and source \(Double\) must have the same scalar type")
    check_error(lambda lib: t(lib).index_reduce(0, i(lib), s(lib)[:, :1], "mean"), RuntimeError,
                r"source tensor shape must match self tensor shape, excluding the specified dimension. Got "
                r"self.shape = \[3, 2\] source.shape = \[4, 1\]")


# ---- unique_consecutive -------------------------------------------------------------------------

@pytest.mark.parametrize("data,dim", [
    (np.array([1, 1, 2, 2, 3, 1, 1, 2]), None), (np.array([[1, 1, 2, 2], [2, 3, 3, 1]]), None),
    (np.array([[1, 1], [1, 1], [2, 1], [2, 1]]), 0), (np.array([[1, 1], [1, 1], [2, 1], [2, 1]]), 1),
    (np.array([[1, 1], [1, 1], [2, 1], [2, 1]]), -1), (np.array([[1, 1, 2], [1, 1, 3]]), 1),
    (np.zeros(0, np.int64), None), (np.zeros((0, 3)), 0), (np.array(5.0), None), (np.array([7]), 0),
    (np.array([np.nan, np.nan, 1.0, 1.0]), None), (np.array([0.5, 0.5, -1.0], np.float32), None)])
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("counts", [False, True])
def test_unique_consecutive(data, dim, inverse, counts):
    check(lambda lib, x: lib.unique_consecutive(x, return_inverse=inverse, return_counts=counts, dim=dim), [data],
          grad=False)
    check(lambda lib, x: x.unique_consecutive(inverse, counts, dim), [data], grad=False)


def test_unique_consecutive_has_no_derivative():
    def fn(lib):
        out = lib.unique_consecutive(lib.randn(4, requires_grad=True))
        assert out.requires_grad
        out.sum().backward()
    check_error(fn, NotImplementedError, "the derivative for 'unique_consecutive' is not implemented.")


def test_unique_consecutive_errors():
    check_error(lambda lib: lib.unique_consecutive(lib.tensor(5.0), dim=0), IndexError,
                "Dimension specified as 0 but tensor has no dimensions")
    check_error(lambda lib: lib.unique_consecutive(lib.zeros(0, 3), dim=1), RuntimeError,
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    check_error(lambda lib: lib.unique_consecutive(lib.zeros(3), dim=2), IndexError, "Dimension out of range")
    check_error(lambda lib: lib.unique_consecutive(lib.zeros(0, 0), dim=0), RuntimeError,
                "Number of zero sized dimensions is more than one, so unique cannot be applied")


# ---- random configurations ----------------------------------------------------------------------

@st.composite
def _scatter_config(draw):
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    d = draw(st.integers(-nd, nd - 1))
    ishape = tuple(draw(st.integers(0, 5)) if k == d % nd else draw(st.integers(0, n)) for k, n in enumerate(shape))
    seed = draw(st.integers(0, 2 ** 16))
    return shape, d, ishape, seed


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_scatter_config(), st.sampled_from(REDUCES), st.booleans(), st.booleans())
def test_scatter_reduce_random(config, reduce, include_self, whole):
    shape, d, ishape, seed = config
    rng = np.random.default_rng(seed)
    index = rng.integers(0, shape[d % len(shape)], ishape).astype(np.int64)
    x, s = (ties(shape, "float64", seed), ties(ishape, "float64", seed + 1)) if whole else (shape, ishape)
    check(lambda lib, x, s, i: lib.scatter_reduce(x, d, i, s, reduce, include_self=include_self), [x, s, index],
          dtype="float64", seed=seed)
