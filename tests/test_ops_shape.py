"""Shape ops against PyTorch: values, shapes, dtypes, input gradients, grad_fn names, view
semantics (shared memory, shared version counter) and PyTorch's errors."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]


def grad_fn_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def check_named(fn, specs, dtype="float32", **kw):
    """check() plus: the outputs carry the same grad_fn names as PyTorch's."""
    t_out, l_out = check(fn, specs, dtype=dtype, **kw)
    t_list = t_out if isinstance(t_out, (tuple, list)) else [t_out]
    l_list = l_out if isinstance(l_out, (tuple, list)) else [l_out]
    for a, b in zip(t_list, l_list):
        assert grad_fn_name(b) == grad_fn_name(a), f"grad_fn {grad_fn_name(b)} != torch {grad_fn_name(a)}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [
    ((2, 3, 4), lambda x: x.reshape(4, 6)),
    ((2, 3, 4), lambda x: x.reshape(-1)),
    ((2, 3, 4), lambda x: x.reshape((3, -1, 2))),
    ((2, 3, 4), lambda x: x.transpose(0, 2).reshape(6, 4)),
    ((2, 3, 4), lambda x: x.view(6, 4)),
    ((2, 3, 4), lambda x: x.view(-1, 2)),
    ((2, 3, 4), lambda x: x.flatten()),
    ((2, 3, 4), lambda x: x.flatten(1)),
    ((2, 3, 4), lambda x: x.flatten(0, 1)),
    ((2, 3, 4), lambda x: x.unflatten(2, (2, 2))),
    ((2, 3, 4), lambda x: x.unflatten(-1, (-1, 2))),
    ((2, 1, 3, 1), lambda x: x.squeeze()),
    ((2, 1, 3, 1), lambda x: x.squeeze(1)),
    ((2, 1, 3, 1), lambda x: x.squeeze(0)),
    ((2, 1, 3, 1), lambda x: x.squeeze((1, 3))),
    ((2, 3), lambda x: x.unsqueeze(0)),
    ((2, 3), lambda x: x.unsqueeze(-1)),
    ((2, 3), lambda x: x.unsqueeze(1)),
    ((2, 3, 4), lambda x: x.transpose(0, 2)),
    ((2, 3, 4), lambda x: x.transpose(-1, -2)),
    ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ((2, 3, 4), lambda x: x.permute((1, 2, 0))),
    ((3, 4), lambda x: x.T),
    ((2, 3, 4), lambda x: x.mT),
    ((3, 4), lambda x: x.t()),
    ((3,), lambda x: x.t()),
    ((2, 1, 4), lambda x: x.expand(2, 3, 4)),
    ((2, 1, 4), lambda x: x.expand(5, 2, -1, 4)),
    ((1,), lambda x: x.expand(3)),
    ((), lambda x: x.expand(2, 3)),
    ((2, 3), lambda x: x.repeat(2, 3)),
    ((2, 3), lambda x: x.repeat(2, 1, 2)),
    ((3,), lambda x: x.repeat(4)),
    ((2, 3, 4), lambda x: x.flip(0)),
    ((2, 3, 4), lambda x: x.flip((0, 2))),
    ((2, 3, 4), lambda x: x.flip(-1)),
    ((2, 3, 4), lambda x: x.roll(1, 2)),
    ((2, 3, 4), lambda x: x.roll(-2, 1)),
    ((2, 3, 4), lambda x: x.roll(5)),
    ((2, 3, 4), lambda x: x.roll((1, -1), (0, 2))),
    ((2, 3, 4), lambda x: x.movedim(0, 2)),
    ((2, 3, 4), lambda x: x.narrow(2, 1, 2)),
    ((2, 3, 4), lambda x: x.select(1, 2)),
    ((2, 3, 4), lambda x: x.unfold(2, 2, 1)),
    ((2, 3, 7), lambda x: x.unfold(2, 3, 2)),
    ((2, 7, 3), lambda x: x.unfold(1, 2, 3)),
    ((6,), lambda x: x.unfold(0, 2, 2)),
    ((3, 3), lambda x: x.tril()),
    ((3, 3), lambda x: x.triu(1)),
    ((3, 4), lambda x: x.diagonal()),
    ((3,), lambda x: lamina.diag(x) if isinstance(x, lamina.Tensor) else torch.diag(x)),
    ((0, 3), lambda x: x.reshape(3, 0)),
    ((0, 3), lambda x: x.transpose(0, 1)),
    ((2, 0, 3), lambda x: x.flatten(1)),
    ((2, 3), lambda x: x.swapaxes(0, 1)),
    ((2, 3, 4), lambda x: x.tile((2,))),
    ((2, 3), lambda x: x.ravel()),
    # as methods, flip and tile also take their dims one by one (the functions do not)
    ((2, 3, 4), lambda x: x.flip(0, 2)),
    ((2, 3, 4), lambda x: x.flip(dims=[1])),
    ((2, 3), lambda x: x.tile(2, 1)),
    ((2, 3), lambda x: x.tile(3)),
    ((2, 3), lambda x: x.tile(dims=(1, 2, 2))),
])
def test_unary_shape_ops_match_torch(case, dtype):
    shape, fn = case
    check_named(lambda lib, x: fn(x) * 1.0 if False else fn(x), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_expand_as_view_as_reshape_as(dtype):
    check(lambda lib, x, y: (x.expand_as(y), y.view_as(y.reshape(-1)), x.reshape_as(x.reshape(2, 1))),
          [(2, 1), (2, 5)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_stack_match_torch(dim, dtype):
    check_named(lambda lib, a, b, c: lib.cat([a, b, c], dim), [(2, 3), (2, 3), (2, 3)], dtype=dtype)
    check_named(lambda lib, a, b: lib.stack([a, b], dim), [(2, 3), (2, 3)], dtype=dtype)
    check(lambda lib, a, b: lib.stack((a, b), dim=2 if dim == 0 else dim), [(2, 3), (2, 3)], dtype=dtype)


def test_cat_different_sizes_and_empty():
    check(lambda lib, a, b: lib.cat([a, b], 1), [(2, 3), (2, 5)])
    check(lambda lib, a, b: lib.cat([a, b]), [(3,), (0,)])
    check(lambda lib, a, b: lib.cat([a, b], 0), [(0, 3), (2, 3)])


def test_cat_promotes_dtypes_like_torch():
    for lib in (torch, lamina):
        out = lib.cat([lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.float32)])
        assert str(out.dtype).split(".")[-1] == "float32"
    check(lambda lib, a, b: lib.cat([a.double(), b]), [(2,), (3,)])


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.split(2, 1),
    lambda lib, x: x.split([1, 4], 1),
    lambda lib, x: x.split(5, 1),
    lambda lib, x: x.chunk(2, 1),
    lambda lib, x: x.chunk(3, 1),
    lambda lib, x: x.chunk(6, 1),
    lambda lib, x: lib.split(x, 1),
    lambda lib, x: x.unbind(1),
    lambda lib, x: lib.unbind(x),
])
def test_split_family_matches_torch(fn):
    check_named(fn, [(3, 5)])


def test_views_share_memory_and_version_counter():
    x = lamina.zeros(2, 3)
    for view in (x.view(6), x.reshape(3, 2), x[0], x.transpose(0, 1), x.unsqueeze(0), x.T, x.expand(4, 2, 3),
                 x.narrow(1, 0, 2), x.select(0, 1), x.squeeze(), x.flatten(), x.permute(1, 0)):
        assert np.shares_memory(view.numpy(), x.numpy())
        assert view._vc is x._vc  # one counter, shared
    x.view(6)[1] = 7.0
    assert x[0, 1].item() == 7.0
    before = x._version
    x.transpose(0, 1).mul_(2)
    assert x._version == before + 1
    assert x[0, 1].item() == 14.0


def test_reshape_copies_when_it_must():
    x = lamina.arange(6.).reshape(2, 3).t()
    y = x.reshape(6)
    assert not np.shares_memory(x.numpy(), y.numpy())
    t = torch.arange(6.).reshape(2, 3).t()
    np.testing.assert_array_equal(y.numpy(), t.reshape(6).numpy())


@pytest.mark.parametrize("expr, exc, msg", [
    ("x.view(5, 5)", RuntimeError, r"shape '\[5, 5\]' is invalid for input of size 24"),
    ("x.view(-1, -1)", RuntimeError, "only one dimension can be inferred"),
    ("x.transpose(0, 1).view(-1)", RuntimeError, "view size is not compatible with input tensor's size and stride"),
    ("x.reshape(5, -1)", RuntimeError, r"shape '\[5, -1\]' is invalid for input of size 24"),
    ("x.flatten(2, 1)", RuntimeError, "flatten\\(\\) has invalid args: start_dim cannot come after end_dim"),
    ("x.unflatten(1, (2, 2))", RuntimeError, "unflatten: Provided sizes \\[2, 2\\] don't multiply up to the size"),
    ("x.unflatten(-2, (2, 2))", RuntimeError, r"unflatten: Provided sizes \[2, 2\] don't multiply up to the size of "
                                              r"dim 1 \(3\) in the input tensor"),
    ("x.unflatten(-1, (5, -1))", RuntimeError, r"unflatten: Provided sizes \[5, -1\] don't multiply up to the size "
                                               r"of dim 2 \(4\) in the input tensor"),
    ("x.unflatten(0, ())", RuntimeError, "unflatten: sizes must be non-empty"),
    ("x.unsqueeze(5)", IndexError, r"Dimension out of range \(expected to be in range of \[-4, 3\], but got 5\)"),
    ("x.transpose(0, 3)", IndexError, r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"),
    ("x.permute(0, 1)", RuntimeError, "number of dimensions in the tensor input does not match"),
    ("x.permute(0, 0, 1)", RuntimeError, "permute\\(\\): duplicate dims are not allowed."),
    ("x.expand(3, 3, 4)", RuntimeError, r"The expanded size of the tensor \(3\) must match the existing size \(2\) at "
                                        r"non-singleton dimension 0.  Target sizes: \[3, 3, 4\].  Tensor sizes: \[2, 3, 4\]"),
    ("x.expand(3, 4)", RuntimeError, r"the number of sizes provided \(2\) must be greater or equal to the number of "
                                     r"dimensions in the tensor \(3\)"),
    ("x.repeat(2, 1)", RuntimeError, "Number of dimensions of repeat dims can not be smaller than number of "
                                     "dimensions of tensor"),
    ("lib.cat([x, x[0]], 0)", RuntimeError, "Tensors must have same number of dimensions: got 3 and 2"),
    ("lib.cat([x, x[:, :2]], 2)", RuntimeError, "Sizes of tensors must match except in dimension 2. Expected size 3 "
                                               "but got size 2 for tensor number 1 in the list."),
    ("lib.cat([])", ValueError, "expected a non-empty list of Tensors"),
    ("lib.stack([x, x[0]])", RuntimeError, r"stack expects each tensor to be equal size, but got \[2, 3, 4\] at "
                                           r"entry 0 and \[3, 4\] at entry 1"),
    ("x.split([1, 2], 2)", RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 4"),
    ("x[0, 0].mT", RuntimeError, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."),
    ("x.t()", RuntimeError, "t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"),
    ("x.size(3)", IndexError, "Dimension out of range"),
])
def test_shape_errors_match_torch(expr, exc, msg):
    for lib in (torch, lamina):
        x = lib.zeros(2, 3, 4)
        with pytest.raises(exc, match=msg):
            eval(expr)


def test_T_warns_like_torch_off_2d():
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        lamina.zeros(2, 3, 4).T
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        lamina.tensor(1.).T


def test_flip_of_0d_is_identity():
    assert lamina.tensor(2.5).flip(0).item() == torch.tensor(2.5).flip(0).item()


@pytest.mark.parametrize("method, args", [("squeeze_", ()), ("unsqueeze_", (1,)), ("t_", ()),
                                          ("transpose_", (0, 1))])
def test_inplace_view_ops_change_shape_like_torch(method, args):
    a_t = torch.arange(6.).reshape(2, 1, 3)[:, 0] * 1
    a_l = lamina.arange(6.).reshape(2, 1, 3)[:, 0] * 1
    getattr(a_t, method)(*args)
    getattr(a_l, method)(*args)
    assert tuple(a_l.shape) == tuple(a_t.shape)
    np.testing.assert_array_equal(a_l.numpy(), a_t.numpy())


def test_inplace_view_op_on_leaf_requiring_grad_is_refused():
    for lib in (torch, lamina):
        a = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            a.t_()


def test_inplace_view_op_keeps_gradient_flowing():
    results = []
    for lib in (torch, lamina):
        a = lib.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
        b = a * 2
        b.t_()
        b.unsqueeze_(0)
        (b * lib.tensor([[[1.], [2.], [3.]]])).sum().backward()
        results.append((tuple(b.shape), a.grad.numpy().tolist()))
    assert results[0] == results[1]


def test_meshgrid_forms_and_errors_match_torch():
    check(lambda lib, a, b, c: lib.meshgrid([a, b, c], indexing="xy"), [(2,), (3,), (4,)])
    check(lambda lib, a, b: lib.meshgrid((a, b), indexing="ij"), [(), (3,)])
    check(lambda lib, a: lib.meshgrid(a, indexing="xy"), [(3,)])
    check_error(lambda lib: lib.meshgrid(), RuntimeError, "meshgrid expects a non-empty TensorList")
    check_error(lambda lib: lib.meshgrid([], indexing="ij"), RuntimeError, "meshgrid expects a non-empty TensorList")
    check_error(lambda lib: lib.meshgrid(lib.ones(2, 2), indexing="bad"), RuntimeError,
                'torch.meshgrid: indexing must be one of "xy" or "ij", but received: bad')
    check_error(lambda lib: lib.meshgrid(lib.ones(2, 2), lib.ones(2, dtype=lib.float64), indexing="ij"),
                RuntimeError, "meshgrid expects all tensors to have the same dtype")
    check_error(lambda lib: lib.meshgrid(lib.ones(2), lib.ones(2, 2), indexing="ij"), RuntimeError,
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: ")
    check_error(lambda lib: lib.meshgrid([lib.ones(2), 3], indexing="ij"), TypeError,
                "expected Tensor as element 1 in argument 0, but got int")


def test_meshgrid_and_broadcast_helpers_match_torch():
    check(lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), [(3,), (4,)])
    check(lambda lib, a, b: lib.meshgrid(a, b, indexing="xy"), [(3,), (4,)])
    check(lambda lib, a, b: lib.broadcast_tensors(a, b), [(3, 1), (1, 4)])
    check(lambda lib, a: lib.broadcast_to(a, (2, 3)), [(3,)])
    check(lambda lib, a, b: (lib.hstack([a, b]), lib.vstack([a, b])), [(3,), (3,)])
    check(lambda lib, a: (lib.atleast_1d(a), lib.atleast_2d(a)), [()])


@pytest.mark.parametrize("size,msg", [("a", "unflattened_size must be a tuple of ints, but found type str"),
                                      (2, "unflattened_size must be a tuple of ints, but found type int"),
                                      ((2, "a"), "unflattened_size must be tuple of ints, but found element of type "
                                                 "str at pos 1")])
def test_unflatten_module_checks_its_sizes(size, msg):
    for lib in (torch, lamina):
        with pytest.raises(TypeError, match=msg):
            lib.nn.Unflatten(1, size)
    assert repr(lamina.nn.Unflatten(1, [2, 3])) == repr(torch.nn.Unflatten(1, [2, 3]))


@pytest.mark.parametrize("start,end", [(1, -1), (0, 1), (-2, -1)])
def test_flatten_of_a_scalar_checks_its_dims(start, end):
    for lib in (torch, lamina):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\]"):
            lib.flatten(lib.tensor(1.0), start, end)
    check(lambda lib, x: lib.flatten(x, -1, 0), [()])


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_nd_takes_several_tensors_or_a_list(name):
    # torch.atleast_*d(a, b) and torch.atleast_*d([a, b]) return a tuple, one view per tensor
    shapes = [(), (3,), (2, 3), (1, 2, 3)]
    check(lambda lib, *ts: getattr(lib, name)(*ts), shapes)
    check(lambda lib, *ts: getattr(lib, name)(list(ts)), shapes)
    check(lambda lib, t: getattr(lib, name)(t), [(3,)])


def test_cat_and_stack_take_numpy_axis_keyword():
    check(lambda lib, x, y: (lib.cat([x, y], axis=1), lib.concat([x, y], axis=0), lib.stack([x, y], axis=2)),
          [(2, 3), (2, 3)])


@pytest.mark.parametrize("expr, msg", [
    ("x.split(0)", "split_size can only be 0 if dimension size is 0, but got dimension size of 2"),
    ("x.split(-1)", "split expects split_size be non-negative, but got split_size=-1"),
    ("x.split([1, -1, 3], 1)", r"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               r"split_sizes=\[1, -1, 3\]"),
    ("x.chunk(0)", "chunk expects `chunks` to be greater than 0, got: 0"),
    ("x.chunk(-1)", "chunk expects `chunks` to be greater than 0, got: -1"),
])
def test_split_and_chunk_errors_match_torch(expr, msg):
    for lib in (torch, lamina):
        x = lib.ones(2, 3)
        with pytest.raises(RuntimeError, match=msg):
            eval(expr)
    assert [t.shape for t in lamina.ones(0, 3).split(0)] == [t.shape for t in torch.ones(0, 3).split(0)]


# ---- cat/stack's short path (all Tensors of one dtype and rank) and where it hands over ----------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cat_stack_of_strided_views_and_repeated_inputs(dim, dtype):
    """Transposed and sliced inputs, the same tensor twice (its gradient is the sum of its two
    slices), and an op after the join, so the slices flow on through another backward."""
    check_named(lambda lib, a, b: lib.cat([a.transpose(0, 2), b[:, ::2], a.transpose(0, 2)], dim) * 2,
                [(4, 3, 4), (4, 6, 4)], dtype=dtype)
    check_named(lambda lib, a, b: lib.stack((a.transpose(0, 2), b[:, ::2], a.transpose(0, 2)), dim) * 2,
                [(4, 3, 4), (4, 6, 4)], dtype=dtype)


@pytest.mark.parametrize("shapes,dim", [
    ([(0, 3), (0, 3)], 0), ([(2, 0), (2, 0), (2, 5)], 1), ([(2, 0, 3), (2, 4, 3)], 1), ([(5,)], 0),
    ([(0,), (4,), (0,)], 0), ([(1, 1), (1, 1)], -2)])
def test_cat_stack_size_zero_and_single(shapes, dim):
    check(lambda lib, *xs: lib.cat(xs, dim), shapes)
    if len({s for s in shapes}) == 1:
        check(lambda lib, *xs: lib.stack(xs, dim), shapes)


def test_cat_stack_mixed_dtypes_and_integers_take_torch_promotion():
    check(lambda lib, a, b: (lib.cat([a, b.double()], 1), lib.stack([a.double(), b], 0)), [(2, 3), (2, 3)])
    check(lambda lib, a: (lib.cat([a.long(), (a * 3).int()], 0), lib.stack([a.int(), a.int()], 1),
                          lib.cat([a.bool(), a.bool()]), lib.cat([a.long(), a], 1)), [(2, 3)], grad=False)
    for lib in (torch, lamina):  # a 1-D empty float next to 2-D integers: skipped, yet it promotes
        out = lib.cat([lib.ones(2, 2, dtype=lib.int64), lib.zeros(0)])
        assert str(out.dtype).split(".")[-1] == "float32" and tuple(out.shape) == (2, 2)


def test_cat_stack_errors_off_the_short_path():
    x = lamina.ones(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        lamina.cat([x, x], 2)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got -4\)"):
        lamina.stack([x, x], -4)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 1. Expected size 2 but "
                                           "got size 3 for tensor number 1 in the list."):
        lamina.cat([x, x.t()], 1)
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 "
                                           r"and \[3, 2\] at entry 1"):
        lamina.stack([x, x.t()])


JOINS = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack"]
BAD_TENSOR_LISTS = {"generator": lambda lib, a: (t for t in [a, a]), "set": lambda lib, a: {a},
                    "tensor": lambda lib, a: a, "range": lambda lib, a: range(0), "int element": lambda lib, a: [a, 1],
                    "None element": lambda lib, a: [a, None], "list element": lambda lib, a: [[1.0, 2.0], a],
                    "empty list": lambda lib, a: [], "empty tuple": lambda lib, a: ()}


@pytest.mark.parametrize("bad", list(BAD_TENSOR_LISTS))
@pytest.mark.parametrize("fn", JOINS)
def test_joins_refuse_what_is_not_a_list_of_tensors_as_torch_does(fn, bad):
    # PyTorch takes only a list or tuple of Tensors (a generator is not iterated)
    def error(lib):
        try:
            getattr(lib, fn)(BAD_TENSOR_LISTS[bad](lib, lib.ones(2)))
        except Exception as e:  # noqa: BLE001 - the error itself is what is compared
            return type(e).__name__, str(e)
        return None
    expected = error(torch)
    assert expected is not None
    assert error(lamina) == expected


@pytest.mark.parametrize("offset, dim1, dim2", [(0, 0, 1), (1, 1, 2), (-1, 2, 0), (5, 0, 1), (-2, -1, -2)])
def test_diagonal_is_a_view_writes_reach_the_base(offset, dim1, dim2):
    out = {}
    for lib in (torch, lamina):
        x = lib.arange(24.0).reshape(2, 3, 4)
        d = x.diagonal(offset, dim1, dim2)
        d.mul_(-1)
        out[lib.__name__] = (x.tolist(), d.tolist(), list(d.shape))
    assert out["torch"] == out["lamina"]


def test_diagonal_in_place_on_a_computed_tensor_flows_into_its_gradient():
    out = {}
    for lib in (torch, lamina):
        w = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = w * 2
        y.diagonal(1).mul_(3)
        y.diagonal().add_(1e-3)
        (y * y).sum().backward()
        out[lib.__name__] = (y.tolist(), w.grad.tolist())
    np.testing.assert_allclose(out["lamina"][0], out["torch"][0], rtol=1e-6)
    np.testing.assert_allclose(out["lamina"][1], out["torch"][1], rtol=1e-6)
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 0, 0"):
        lamina.zeros(3, 3).diagonal(0, 0, 0)


def _expand_writes(lib):
    results = []

    def attempt(fn):
        try:
            results.append(fn().tolist())
        except RuntimeError as e:
            results.append(str(e)[:60])
    def select_write():
        x = lib.ones(1).expand(3)
        x[0] = 5
        return x
    attempt(select_write)

    def slice_write():
        x = lib.ones(1).expand(3)
        x[:] = 5
        return x
    attempt(slice_write)
    attempt(lambda: lib.ones(1).expand(3).add_(1))

    def row_of_expanded():
        x = lib.zeros(3)
        x.expand(2, 3)[0].add_(1)
        return x
    attempt(row_of_expanded)

    def same_shape():
        x = lib.zeros(3)
        x.expand(3).add_(1)
        a, b = lib.broadcast_tensors(lib.zeros(3), lib.zeros(3))
        a.add_(2)
        return x + a
    attempt(same_shape)

    def column_of_expanded():
        x = lib.zeros(3)
        x.expand(2, 3)[:, 0] = 4
        return x
    attempt(column_of_expanded)
    return results


def test_expand_views_take_writes_that_do_not_overlap():
    assert _expand_writes(torch) == _expand_writes(lamina)


def test_meshgrid_without_indexing_warns_once_as_torch(monkeypatch):
    import lamina.ops.shape as shape_ops
    monkeypatch.setattr(shape_ops, "_meshgrid_warned", [False])
    a = lamina.arange(2.0)
    with pytest.warns(UserWarning, match="in an upcoming release, it will be required to pass the indexing"):
        grids = lamina.meshgrid(a, lamina.arange(3.0))
    assert [list(g.shape) for g in grids] == [[2, 3], [2, 3]]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lamina.meshgrid(a, a)  # once per process, as PyTorch
        lamina.meshgrid(a, a, indexing="xy")


@pytest.mark.parametrize("shape,target", [((2, 3), (4, 5)), ((2, 1, 3), (4, 7, 5)), ((2, 3), (-1, 4, 3)),
                                          ((1, 3), (-1, 5, -1)), ((2, 1), (3, 2, 4))])
def test_expand_checks_from_the_last_dim_as_torch(shape, target):
    outcomes = []
    for lib in (torch, lamina):
        try:
            outcomes.append(tuple(lib.ones(*shape).expand(*target).shape))
        except RuntimeError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]
