"""Indexing against PyTorch: basic (views) and advanced (copies, scatter-add backward) getitem,
setitem with autograd, masked_fill, gather/scatter/index_select/take, and PyTorch's errors."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check

pytestmark = pytest.mark.filterwarnings("ignore:Using a non-tuple sequence for multidimensional indexing")


def idx(lib, spec):
    """Build an index in `lib` from a spec where ('T', list) / ('B', list) mean int / bool tensors."""
    if isinstance(spec, tuple) and spec and spec[0] in ("T", "B"):
        return lib.tensor(spec[1], dtype=lib.int64 if spec[0] == "T" else lib.bool)
    if isinstance(spec, tuple):
        return tuple(idx(lib, s) for s in spec)
    return spec


BASIC = [0, -1, (0, 1), (0, 1, 2), (slice(None), 1), (Ellipsis, 1), None, (None, Ellipsis, None),
         (slice(None), None, slice(1, 3)), slice(None, None, 2), (slice(None), slice(2, None, 2)),
         slice(1, 100), slice(-100, 1), (0, Ellipsis, 0), (Ellipsis, None, 0), (), slice(None),
         (slice(None), slice(None)), (slice(None), slice(None), slice(0, 4)), (1, slice(0, 0)),
         # PyTorch accepts several '...': the first expands, later ones cover no dims
         (Ellipsis, Ellipsis), (Ellipsis, 0, Ellipsis), (0, Ellipsis, Ellipsis), (Ellipsis, None, Ellipsis)]

ADVANCED = [("T", [0, 1, 1]), (("T", [1, 0]), ("T", [2, 1])), (("T", [1, 0]), slice(None), ("T", [2, 1])),
            (slice(None), ("T", [0, 2, 0])), (slice(None), ("T", [[0, 2], [1, 1]])), ("B", [True, False]),
            ("B", [[True, False, True], [False, False, True]]), [0, 1], [[0, 1], [1, 2]], ("T", [-1]),
            (1, ("T", [0, 2])), (("T", [0]), slice(1, None), ("T", [1])),
            (("T", [[0], [1]]), ("T", [[0, 1]])), ("T", []), (Ellipsis, ("T", [3, 0, 3])),
            # PyTorch takes integers first (select), so an integer, a slice and a tensor index keep
            # the tensor's dims in place: x[0, :, [1, 3]] is (3, 2) where NumPy gives (2, 3)
            (0, slice(None), ("T", [1, 3])), (("T", 0), slice(None), ("T", [1, 3])), (0, slice(None), [1, 3]),
            (-1, slice(None), ("T", [[1], [3]])), (0, None, slice(None), ("T", [1, 2])),
            (0, Ellipsis, ("T", [1, 2])), (None, 1, slice(1, None), ("T", [0, 0, 3])),
            (1, ("B", [[True, False, True, True], [False, True, True, False], [True, True, True, True]])),
            (("T", [1, 0]), 2, slice(0, 2)), (("B", [True, False]), 1, ("T", [0, 2]))]


def name_of(t):
    return None if t.grad_fn is None else t.grad_fn.name()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", BASIC + ADVANCED, ids=repr)
def test_getitem_values_grads_and_names_match_torch(spec, dtype):
    t_out, l_out = check(lambda lib, x: x[idx(lib, spec)], [(2, 3, 4)], dtype=dtype)
    assert name_of(l_out) == name_of(t_out)


def test_repeated_indices_accumulate_gradient():
    check(lambda lib, x: x[lib.tensor([0, 0, 2, 0])], [(3, 2)])
    check(lambda lib, x: x[lib.tensor([1, 1]), lib.tensor([0, 0])] * 2, [(3, 2)])


def test_basic_index_is_a_view_and_advanced_a_copy():
    x = lamina.zeros(3, 4)
    v = x[1]
    v[2] = 5.0
    assert x[1, 2].item() == 5.0 and v._vc is x._vc
    s = x[0, 0]
    x.add_(1)
    assert s.item() == 1.0  # a 0-d result is still a view, as in PyTorch
    c = x[lamina.tensor([1])]
    c[0, 0] = -1.0
    assert x[1, 0].item() == 1.0


def test_mask_of_full_shape_and_scalar_bool_index():
    check(lambda lib, x: x[x > 0.5], [(3, 4)])
    check(lambda lib, x: (x[True].shape, x[False].shape), [(2, 3)], grad=False)


def test_uint8_and_int32_indices():
    for lib in (torch, lamina):
        x = lib.arange(5.)
        assert x[lib.tensor([1, 3], dtype=lib.int32)].tolist() == [1.0, 3.0]
    with pytest.warns(UserWarning):
        tv = torch.arange(5.)[torch.tensor([1, 0, 1, 0, 0], dtype=torch.uint8)]
    lv = lamina.arange(5.)[lamina.tensor([1, 0, 1, 0, 0], dtype=lamina.uint8)]
    assert lv.tolist() == tv.tolist()


@pytest.mark.parametrize("expr, exc, msg", [
    ("x[2]", IndexError, "index 2 is out of bounds for dimension 0 with size 2"),
    ("x[:, 7]", IndexError, "index 7 is out of bounds for dimension 1 with size 3"),
    ("x[0, 0, 0, 0]", IndexError, "too many indices for tensor of dimension 3"),
    ("x[lib.tensor([5])]", IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    ("x[lib.tensor([True, False, True])]", IndexError, r"The shape of the mask \[3\] at index 0 does not match the "
                                                       r"shape of the indexed tensor \[2, 3, 4\] at index 0"),
    ("x[lib.tensor([0, 1]), lib.tensor([0, 1, 2])]", IndexError,
     r"shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], \[3\]"),
    ("x[lib.tensor([1.])]", IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
    ("x[lib.tensor([1], dtype=lib.int16)]", IndexError, "tensors used as indices must be long, int, byte or bool"),
    ("x[:, ::-1]", ValueError, "step must be greater than zero"),
    ("x[0:2:0]", ValueError, "slice step cannot be zero"),
    ("x[1.5]", IndexError, r"only integers, slices \(`:`\), ellipsis \(`...`\), None and long or byte Variables are "
                           r"valid indices \(got float\)"),
])
def test_index_errors_match_torch(expr, exc, msg):
    for lib in (torch, lamina):
        x = lib.zeros(2, 3, 4)
        with pytest.raises(exc, match=msg):
            eval(expr)


SETITEM = [(0, 5.0), ((slice(None), 1), ("V", (2, 4))), ((0, slice(1, 3)), ("V", (2, 4))),
           (("T", [1, 0]), ("V", (3, 4))), (("B", [True, False]), 0.5), ((Ellipsis, 0), ("V", (2, 3))),
           ((1, ("T", [0, 2])), ("V", (4,))), ((0, slice(None), ("T", [1, 3])), ("V", (3, 2))),
           ((1, slice(1, None), ("T", [[0], [2]])), ("V", (2, 2, 1))),
           ((Ellipsis, 0, Ellipsis), ("V", (2, 3)))]


@pytest.mark.parametrize("spec, value", SETITEM, ids=repr)
def test_setitem_on_non_leaf_gradients_match_torch(spec, value):
    def fn(lib, x, v):
        y = x * 2
        y[idx(lib, spec)] = v if isinstance(value, tuple) else value
        return (y * y).sum(dim=0), y.grad_fn.name()
    vshape = value[1] if isinstance(value, tuple) else (1,)
    t_out, l_out = check(fn, [(2, 3, 4), vshape])
    assert l_out[1] == t_out[1]


def test_setitem_accumulate_and_index_put_():
    check(lambda lib, x, v: (x * 1).index_put_((lib.tensor([0, 0, 1]),), v, accumulate=True), [(3, 2), (3, 2)])
    check(lambda lib, x, v: (x * 1).index_put((lib.tensor([0, 2]),), v), [(3, 2), (2, 2)])
    # index_put counts a 0-d tensor as a tensor index (x[...] = v takes it as an integer)
    check(lambda lib, x, v: (x * 1).index_put((lib.tensor(1), lib.tensor([0, 1, 0])), v, accumulate=True),
          [(3, 2, 2), (3, 2)])


def test_setitem_without_grad_uses_torch_dim_order():
    def fn(lib, v):
        x = lib.zeros(2, 3, 4)
        x[0, :, [1, 3]] = v
        x[1, :, lib.tensor([0])] += 1
        return x
    check(fn, [(3, 2)], grad=False)


def test_put_matches_torch():
    check(lambda lib, x, s: x.put(lib.tensor([0, 5, 5, -1]), s), [(2, 3), (4,)])
    check(lambda lib, x, s: lib.put(x, lib.tensor([[0, 5], [5, -2]]), s, accumulate=True), [(2, 3), (2, 2)])
    check(lambda lib, x, s: (x * 1).put_(lib.tensor([1, 2]), s), [(4,), (2,)])


@pytest.mark.parametrize("shape, wrap", [((3, 3), False), ((5, 2), True), ((5, 2), False), ((2, 4), False),
                                         ((2, 2, 2), False), ((7, 3), True)])
def test_fill_diagonal_matches_torch(shape, wrap):
    t_out, l_out = check(lambda lib, x: (x * 1).fill_diagonal_(-2.5, wrap=wrap), [shape])
    assert l_out.grad_fn.name() == t_out.grad_fn.name()
    check(lambda lib, x: x.fill_diagonal_(7, wrap=wrap), [np.zeros(shape, "int64")], grad=False)


@pytest.mark.parametrize("expr, exc, msg", [
    ("lib.zeros(2).put_(lib.tensor([2]), lib.tensor([1.]))", IndexError,
     r"out of range: tried to access index 2 on a tensor of 2 elements\."),
    ("lib.zeros(2).put_(lib.tensor([1.]), lib.tensor([1.]))", RuntimeError,
     "put_\\(\\): Expected a long tensor for index, but got Float"),
    ("lib.zeros(2).put_(lib.tensor([1, 0]), lib.tensor([1.]))", IndexError,
     r"put_\(\): Expected source and index to have the same number of elements, but got source.numel\(\) = 1"),
    ("lib.zeros(2).put_(lib.tensor([1]), lib.tensor([1.], dtype=lib.float64))", RuntimeError,
     "self and source expected to have the same dtype, but got self.dtype = Float and source.dtype = Double"),
    ("lib.ones(3).fill_diagonal_(0)", RuntimeError, "dimensions must larger than 1"),
    ("lib.ones(2, 3, 4).fill_diagonal_(0)", RuntimeError, "all dimensions of input must be of equal length"),
])
def test_put_and_fill_diagonal_errors_match_torch(expr, exc, msg):
    for lib in (torch, lamina):
        with pytest.raises(exc, match=msg):
            eval(expr)


def test_setitem_without_grad_writes_in_place_and_bumps_version():
    for lib in (torch, lamina):
        x = lib.zeros(2, 3)
        v0 = x._version
        x[0, 1:] = lib.tensor([1., 2.])
        x[lib.tensor([1])] = 7
        x[x > 6] += 1
        assert x.tolist() == [[0.0, 1.0, 2.0], [8.0, 8.0, 8.0]]
        assert x._version > v0


@pytest.mark.parametrize("expr, exc, msg", [
    ("x[0] = lib.ones(4)", RuntimeError, None),
    ("x[lib.tensor([0])] = lib.ones(4)", RuntimeError, r"shape mismatch: value tensor of shape \[4\] cannot be "
                                                       r"broadcast to indexing result of shape \[1, 3\]"),
])
def test_setitem_shape_errors(expr, exc, msg):
    for lib in (torch, lamina):
        x = lib.zeros(2, 3)
        with pytest.raises(exc, match=msg):
            exec(expr)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_masked_fill_matches_torch(dtype):
    mask = np.array([[True, False, True], [False, False, True]])
    check(lambda lib, x, m: x.masked_fill(m, -1.5), [(2, 3), mask], dtype=dtype)
    check(lambda lib, x, m: x.masked_fill(m[0], 0.0), [(2, 3), mask], dtype=dtype)
    check(lambda lib, x, m: x.masked_fill(m, float("-inf")).softmax(-1) if False else x.masked_fill(m, 2),
          [(2, 3), mask], dtype=dtype)
    check(lambda lib, x, v, m: x.masked_fill(m, v.sum()), [(2, 3), (2,), mask], dtype=dtype)
    check(lambda lib, x, m: x.masked_fill(m, 0.0), [(3,), mask], dtype=dtype)  # mask broadcasts the input


def test_masked_fill_errors_match_torch():
    for lib in (torch, lamina):
        x = lib.zeros(2, 3)
        with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask with dtype "
                                               "long int"):
            x.masked_fill(lib.ones(2, 3, dtype=lib.int64), 0)
        with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\) "
                                               "at non-singleton dimension 1"):
            x.masked_fill(lib.ones(2, dtype=lib.bool), 0)
        with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
            x.masked_fill(x > 0, lib.ones(2))
        with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
            lib.zeros(3).masked_fill_(lib.ones(2, 3, dtype=lib.bool), 1)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_scatter_index_select_match_torch(dim):
    rng = np.random.default_rng(3)
    index = rng.integers(0, 3, size=(2, 3)).astype(np.int64)
    check(lambda lib, x, i: x.gather(dim, i), [(3, 3), index])
    check(lambda lib, x, i: lib.gather(x, dim, i[:1]), [(3, 3), index])
    check(lambda lib, x, i, s: x.scatter(dim, i, s), [(3, 3), np.array([[0, 1, 2], [2, 0, 1]]), (2, 3)])
    check(lambda lib, x, i, s: x.scatter_add(dim, i, s), [(3, 3), index, (2, 3)])
    check(lambda lib, x, i: x.scatter(dim, i, 2.5), [(3, 3), np.array([[0, 1, 2], [2, 0, 1]])])
    check(lambda lib, x, i: x.index_select(dim, i), [(3, 4), np.array([2, 0, 2], dtype=np.int64)])
    check(lambda lib, x, i: lib.index_select(x, dim, i.int()), [(3, 4), np.array([1], dtype=np.int64)])


def test_index_family_matches_torch():
    check(lambda lib, x, i, s: x.index_add(1, i, s), [(2, 4), np.array([1, 1, 3]), (2, 3)])
    check(lambda lib, x, i: x.index_fill(1, i, -2.0), [(2, 4), np.array([0, 3])])
    check(lambda lib, x, i, s: x.index_copy(0, i, s), [(3, 2), np.array([2, 0]), (2, 2)])
    check(lambda lib, x, i: lib.take(x, i), [(3, 4), np.array([[0, 11], [5, -1]])])
    check(lambda lib, x: lib.masked_select(x, x > 0), [(3, 4)])
    check(lambda lib, x, i: lib.take_along_dim(x, i, 1), [(2, 3, 4), np.zeros((1, 2, 1), dtype=np.int64)])
    check(lambda lib, x: (lib.nonzero(x > 0), lib.nonzero(x > 0, as_tuple=True), lib.argwhere(x > 0)), [(3, 4)],
          grad=False)


def test_gather_errors_match_torch():
    for lib in (torch, lamina):
        x = lib.zeros(2, 3)
        with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
            x.gather(0, lib.zeros(1, 1))
        with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions as input"):
            x.gather(1, lib.zeros(2, dtype=lib.int64))


@pytest.mark.parametrize("expr, exc, msg", [
    # NumPy wraps a negative index silently; PyTorch refuses it in these ops
    ("x.gather(1, lib.tensor([[-1]]))", RuntimeError, "index -1 is out of bounds for dimension 1 with size 3"),
    ("x.gather(1, lib.tensor([[3]]))", RuntimeError, "index 3 is out of bounds for dimension 1 with size 3"),
    ("x.scatter(1, lib.tensor([[-1]]), 5.0)", RuntimeError, "index -1 is out of bounds for dimension 1 with size 3"),
    ("x.scatter(1, lib.tensor([[0], [4]]), 1.0)", RuntimeError, "index 4 is out of bounds for dimension 1"),
    ("x.scatter_add(1, lib.tensor([[3]]), lib.ones(1, 1))", RuntimeError, "index 3 is out of bounds for dimension 1"),
    ("x.index_add(1, lib.tensor([3]), lib.ones(2, 1))", RuntimeError, "index 3 is out of bounds for dimension 1"),
    ("x.index_add(0, lib.tensor([-1]), lib.ones(1, 3))", RuntimeError, "index -1 is out of bounds for dimension 0"),
    ("x.index_fill(1, lib.tensor([3]), 0.0)", IndexError, "index 3 is out of bounds for dimension 1 with size 3"),
    ("x.index_fill(0, lib.tensor([-3]), 0.0)", IndexError, "index -3 is out of bounds for dimension 0 with size 2"),
    ("x.index_copy(1, lib.tensor([3]), lib.ones(2, 1))", IndexError,
     r"index_copy_\(\): index 3 is out of bounds for dimension 1 with size 3"),
    ("x.index_select(1, lib.tensor([-1]))", RuntimeError, "INDICES element is out of DATA bounds, id=-1 axis_dim=3"),
    ("x.index_select(0, lib.tensor([2]))", IndexError, "index out of range in self"),
    ("x.index_select(1, lib.tensor([[0]]))", IndexError, r"index_select\(\): Index is supposed to be a vector"),
])
def test_out_of_range_indices_raise_as_in_torch(expr, exc, msg):
    for lib in (torch, lamina):
        x = lib.arange(6.0).view(2, 3)
        with pytest.raises(exc, match=msg):
            eval(expr)


def test_index_fill_wraps_negative_indices_like_torch():
    check(lambda lib, x: x.index_fill(0, lib.tensor([-1]), 0.0), [(2, 3)])


def test_empty_list_and_range_indices_and_zero_dim_nonzero_match_torch():
    def run(lib):
        x = lib.arange(6).reshape(2, 3)
        results = [x[[]], x[range(1, 2)], x[:, range(0, 3, 2)], lib.arange(5)[[]]]
        for v in (3, 0):
            t = lib.tensor(v)
            results += [t.nonzero(), lib.argwhere(t), *t.nonzero(as_tuple=True), *lib.where(t)]
        y = lib.zeros(4)
        y[range(1, 3)] = 5
        results.append(y)
        return [(list(r.shape), repr(r.dtype), r.tolist()) for r in results]
    assert run(lamina) == run(torch)


ZERO_D_INDEXES = {
    "alone": lambda L, x: x[L.tensor(1)], "negative": lambda L, x: x[L.tensor(-1)],
    "with a slice": lambda L, x: x[L.tensor(1), :, L.tensor(2)], "with a list": lambda L, x: x[L.tensor(1), [0, 2]],
    "with an index tensor": lambda L, x: x[L.tensor(0), L.tensor([2, 1])],
    "int32": lambda L, x: x[L.tensor(1, dtype=L.int32)], "uint8 (a mask)": lambda L, x: x[L.tensor(1, dtype=L.uint8)],
    "bool": lambda L, x: x[L.tensor(True)], "between advanced ones": lambda L, x: x[:, L.tensor(1), [0, 3]],
}


@pytest.mark.parametrize("case", list(ZERO_D_INDEXES))
def test_zero_d_integer_tensor_index_is_an_int(case):
    """x[torch.tensor(1)] selects as x[1] does: a view (writes reach x), SelectBackward0."""
    def run(L):
        x = L.arange(24.).reshape(2, 3, 4)
        y = ZERO_D_INDEXES[case](L, x)
        shares = np.shares_memory(y.numpy(), x.numpy())
        return tuple(y.shape), y.numpy().tolist(), shares
    assert run(lamina) == run(torch)


def test_assignment_through_a_zero_d_tensor_index():
    def run(L):
        z = L.zeros(2, 3)
        view = z[L.tensor(1)]
        view[0] = 9
        z[L.tensor(0)] = 5
        return z.tolist()
    assert run(lamina) == run(torch)
