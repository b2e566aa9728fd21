"""Matrix products against PyTorch: matmul in every rank combination (1-D, 2-D, batched with
broadcasting, size-0), mm/bmm/mv/dot/outer/addmm, linear, einsum forward and backward for the
common equations (bmm-like, outer, trace, diagonal, transpose, ellipsis, size-1 broadcasting,
three operands), integer dtypes, and the error wording for shape and dtype mistakes."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]
MATMUL_SHAPES = [
    ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)),       # dot, mv, vec-mat, mm
    ((2, 3, 4), (4,)), ((2, 3, 4), (4, 5)), ((4,), (2, 4, 5)),            # folded / promoted
    ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (6, 4, 5)),  # batched, broadcast batch
    ((2, 1, 3, 4), (5, 4, 2)), ((7, 1, 3, 4), (1, 2, 4, 5)),
    ((0, 4), (4, 5)), ((3, 0), (0, 5)), ((2, 0, 4), (4, 3)), ((0,), (0,)), ((3, 4), (4, 0)), ((1, 1), (1, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, dtype):
    check(lambda lib, a, b: lib.matmul(a, b), list(shapes), dtype=dtype)
    check(lambda lib, a, b: a @ b, list(shapes), dtype=dtype)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_integer_matmul(dtype):
    rng = np.random.default_rng(0)
    for sa, sb in [((3, 4), (4, 2)), ((4,), (4,)), ((2, 3, 4), (4,)), ((2, 3, 4), (2, 4, 5))]:
        check(lambda lib, a, b: a @ b, [rng.integers(0, 5, sa).astype(dtype), rng.integers(0, 5, sb).astype(dtype)],
              grad=False)


def test_matmul_on_non_contiguous_inputs():
    check(lambda lib, a, b: a.transpose(0, 2) @ b.mT, [(4, 3, 2), (5, 4)])
    check(lambda lib, a, b: a[:, ::2] @ b[::2], [(3, 8), (8, 2)])


def test_matmul_only_one_operand_requires_grad():
    check(lambda lib, a, b: a @ b, [(2, 3, 4), (4, 5)], grad_inputs=[1])
    check(lambda lib, a, b: a @ b, [(2, 3, 4), (2, 4, 5)], grad_inputs=[0])
    check(lambda lib, a, b: a @ b, [(3, 4), (4, 5)], grad_inputs=[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_named_products(dtype):
    check(lambda lib, a, b: lib.mm(a, b), [(3, 4), (4, 5)], dtype=dtype)
    check(lambda lib, a, b: a.mm(b), [(3, 4), (4, 5)], dtype=dtype)
    check(lambda lib, a, b: lib.bmm(a, b), [(2, 3, 4), (2, 4, 5)], dtype=dtype)
    check(lambda lib, a, b: lib.mv(a, b), [(3, 4), (4,)], dtype=dtype)
    check(lambda lib, a, b: lib.dot(a, b), [(4,), (4,)], dtype=dtype)
    check(lambda lib, a, b: a.dot(b), [(4,), (4,)], dtype=dtype)
    check(lambda lib, a, b: lib.outer(a, b), [(3,), (4,)], dtype=dtype)
    check(lambda lib, a, b: lib.inner(a, b), [(2, 3, 4), (5, 4)], dtype=dtype)
    check(lambda lib, a, b: lib.inner(a, b), [(4,), (4,)], dtype=dtype)


def test_outer_promotes_like_multiplication():
    check(lambda lib, a, b: lib.outer(a, b), [np.arange(3, dtype="int64"), np.ones(2, "float32")], grad=False)
    check(lambda lib, a, b: lib.outer(a, b), [(3,), np.ones(2, "float64")])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("input_shape", [(3, 5), (5,), (1, 5), ()], ids=str)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (2, -1)])
def test_addmm(input_shape, beta, alpha, dtype):
    check(lambda lib, c, a, b: lib.addmm(c, a, b, beta=beta, alpha=alpha), [input_shape, (3, 4), (4, 5)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape", [(4, 3), (3,), (2, 5, 3), (0, 3)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("out_f", [6, 1])  # one output feature: the input gradient is an outer product
def test_linear(x_shape, bias, out_f, dtype):
    if bias:
        check(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), [x_shape, (out_f, 3), (out_f,)], dtype=dtype)
    else:
        check(lambda lib, x, w: lib.nn.functional.linear(x, w), [x_shape, (out_f, 3)], dtype=dtype)


@pytest.mark.parametrize("in_f,out_f,x_shape", [(0, 3, (0,)), (0, 3, (2, 4, 0)), (4, 0, (4,)), (4, 0, (1, 3, 4)),
                                                (0, 0, (2, 1, 0))], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_with_zero_features(in_f, out_f, x_shape, bias):
    check(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b if bias else None),
          [x_shape, (out_f, in_f), (out_f,)])


# ---- einsum --------------------------------------------------------------------------------------

EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ii->", [(4, 4)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(4, 4)]),
    ("bii->bi", [(2, 3, 3)]),
    ("iji->j", [(3, 2, 3)]),
    ("ij->ji", [(3, 4)]),
    ("ij", [(3, 4)]),
    ("ba", [(3, 4)]),
    ("ijk->kij", [(2, 3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("i,i", [(5,), (5,)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("ij,j->i", [(3, 4), (4,)]),
    ("ij,kl->ijkl", [(2, 3), (4, 5)]),
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 2)]),
    ("...ij,...jk", [(2, 3), (6, 3, 4)]),
    ("...i,...i->...", [(2, 3, 4), (4,)]),
    ("i...->...", [(3, 2, 4)]),
    ("...,...->...", [(2, 3), (3,)]),
    ("ij,jk", [(2, 1), (3, 4)]),
    ("ij,ij->ij", [(2, 1), (2, 4)]),
    ("bn,anm,bm->ba", [(2, 3), (5, 3, 4), (2, 4)]),
    ("...i,oij,...j->...o", [(2, 6, 3), (5, 3, 4), (2, 6, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("ij,j->", [(0, 3), (3,)]),
    ("i->", [(0,)]),
    (" i j , j k -> i k ", [(3, 4), (4, 5)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("equation,shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum_forward_and_backward(equation, shapes, dtype):
    check(lambda lib, *ops: lib.einsum(equation, *ops), shapes, dtype=dtype)


def test_einsum_operands_as_a_list_and_integers():
    check(lambda lib, a, b: lib.einsum("ij,jk->ik", [a, b]), [(3, 4), (4, 5)])
    check(lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), [np.arange(12).reshape(3, 4), np.arange(8).reshape(4, 2)],
          grad=False)


def test_einsum_gradient_with_one_operand_not_requiring_grad():
    check(lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)], grad_inputs=[1])


# ---- errors --------------------------------------------------------------------------------------

F64 = {"dtype": None}


@pytest.mark.parametrize("fn,exc,message", [
    (lambda L: L.ones(2, 3) @ L.ones(4, 5), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda L: L.ones(3) @ L.ones(4, 5), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)"),
    (lambda L: L.ones(6, 2, 3) @ L.ones(4, 5), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(12x3 and 4x5\)"),
    (lambda L: L.ones(2, 3) @ L.ones(4), RuntimeError, r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    (lambda L: L.ones(2, 2, 3) @ L.ones(4), RuntimeError, r"size mismatch, got input \(4\), mat \(4x3\), vec \(4\)"),
    (lambda L: L.ones(3) @ L.ones(4), RuntimeError,
     r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the same number of elements, but got 3 "
     r"and 4 elements respectively"),
    (lambda L: L.ones(2, 2, 3) @ L.ones(2, 4, 5), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[2, 4\]\."),
    (lambda L: L.ones(2, 3) @ L.ones(6, 4, 5), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[6, 3\] but got: \[6, 4\]\."),
    (lambda L: L.ones(2, 2, 3) @ L.ones(3, 3, 5), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
    (lambda L: L.ones(2, 3) @ L.ones(3, 5, dtype=L.float64), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda L: L.ones(2, 2, 3) @ L.ones(2, 3, 5, dtype=L.float64), RuntimeError, "expected scalar type Float but found Double"),
    (lambda L: L.ones(3) @ L.ones(3, dtype=L.float64), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda L: L.ones(3) @ L.ones(4, dtype=L.float64), RuntimeError, "dot : expected both vectors to have same dtype"),
    (lambda L: L.ones(2, 3) @ L.ones(3, dtype=L.float64), RuntimeError,
     "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    (lambda L: L.ones(2, 3) @ L.ones(4, 5, dtype=L.float64), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied"),
    (lambda L: L.ones(2, 3, dtype=L.bool) @ L.ones(3, 2, dtype=L.bool), NotImplementedError,
     "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda L: L.ones(3, dtype=L.bool) @ L.ones(3, dtype=L.bool), NotImplementedError, "\"dot\" not implemented for 'Bool'"),
    (lambda L: L.matmul(L.tensor(1.0), L.ones(3)), RuntimeError,
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (lambda L: L.mm(L.ones(3), L.ones(3, 5)), RuntimeError, "self must be a matrix"),
    (lambda L: L.mm(L.ones(2, 3), L.ones(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda L: L.bmm(L.ones(2, 3), L.ones(3, 5)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda L: L.bmm(L.ones(2, 2, 3), L.ones(3, 3, 5)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[3, 3\]\."),
    (lambda L: L.dot(L.ones(2, 3), L.ones(3)), RuntimeError, "1D tensors expected, but got 2D and 1D tensors"),
    (lambda L: L.mv(L.ones(3), L.ones(3)), RuntimeError, "vector \\+ matrix @ vector expected, got 1, 1, 1"),
    (lambda L: L.outer(L.ones(3, 1), L.ones(3)), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    (lambda L: L.addmm(L.ones(2, 4), L.ones(2, 3), L.ones(3, 3)), RuntimeError,
     r"The expanded size of the tensor \(3\) must match the existing size \(4\) at non-singleton dimension 1"),
    (lambda L: L.nn.functional.linear(L.ones(2, 3), L.ones(4, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)"),
    (lambda L: L.einsum("ii", L.ones(2, 3)), RuntimeError,
     "einsum\\(\\): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    (lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(4, 5)), RuntimeError,
     "einsum\\(\\): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    (lambda L: L.einsum("ij->ij", L.ones(2, 3, 4)), RuntimeError,
     r"einsum\(\): the number of subscripts in the equation \(2\) does not match the number of dimensions \(3\) for "
     r"operand 0 and no ellipsis was given"),
    (lambda L: L.einsum("ij,jk->ik", L.ones(2, 3)), RuntimeError,
     r"einsum\(\): fewer operands were provided than specified in the equation"),
    (lambda L: L.einsum("ij->ik", L.ones(2, 3)), RuntimeError,
     r"einsum\(\): output subscript k does not appear in the equation for any input operand"),
    (lambda L: L.einsum("ij->ii", L.ones(2, 2)), RuntimeError,
     r"einsum\(\): output subscript i appears more than once in the output"),
    (lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(3, 5, dtype=L.float64)), RuntimeError,
     "expected scalar type Float but found Double"),
    # linear checks the bias's dtype against the weight's before the input's
    (lambda L: L.nn.functional.linear(L.ones(2, 3), L.ones(4, 3), L.ones(4, dtype=L.float64)), RuntimeError,
     "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda L: L.nn.functional.linear(L.ones(5, 2, 3, dtype=L.float64), L.ones(4, 3), L.ones(4, dtype=L.float16)),
     RuntimeError, "self and mat2 must have the same dtype, but got Half and Float"),
    (lambda L: L.nn.functional.linear(L.ones(3, dtype=L.float64), L.ones(4, 3), L.ones(4)), RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Double and Float"),
])
def test_error_messages_match_torch(fn, exc, message):
    check_error(fn, exc, message)


def test_grad_fn_names_match_torch():
    def names(lib):
        r = lambda *s: lib.ones(*s, requires_grad=True)  # noqa: E731
        outs = [r(3) @ r(3), r(2, 3) @ r(3), r(3) @ r(3, 4), r(2, 3) @ r(3, 4), r(5, 2, 3) @ r(3, 4),
                r(5, 2, 3) @ r(5, 3, 4), lib.bmm(r(2, 2, 3), r(2, 3, 3)), lib.addmm(r(4), r(2, 3), r(3, 4)),
                lib.outer(r(3), r(2))]
        return [o.grad_fn.name() for o in outs]
    assert names(lamina) == names(torch)


@pytest.mark.parametrize("args,exc,msg", [((0, 2, 3), ValueError, r"in1_features must be > 0, but got \(in1_features=0\)"),
                                          ((-1, 2, 3), RuntimeError, "Trying to create tensor with negative dimension")])
def test_bilinear_constructor_errors(args, exc, msg):
    for lib in (torch, lamina):
        with pytest.raises(exc, match=msg):
            lib.nn.Bilinear(*args)


@pytest.mark.parametrize("s1,s2,out", [((4, 2), (4, 3), 5), ((2,), (3,), 5), ((2, 4, 2), (2, 4, 3), 1), ((0, 2), (0, 3), 5),
                                       ((4, 2), (4, 3), 0)])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_bilinear(s1, s2, out, bias):
    w = (out, s1[-1], s2[-1])
    check(lambda lib, a, b, w, c: lib.nn.functional.bilinear(a, b, w, c if bias else None), [s1, s2, w, (out,)],
          dtype="float64")


@pytest.mark.parametrize("s1,s2,w,b", [((4, 2), (3, 3), (5, 2, 3), None), ((4, 2), (4, 4), (5, 2, 3), None),
                                       ((4, 3), (4, 3), (5, 2, 3), None), ((4, 2), (4, 3), (5, 2, 3), (4,)),
                                       ((4, 2), (2, 4, 3), (5, 2, 3), None)])
def test_bilinear_errors(s1, s2, w, b):
    def fn(lib):
        bias = None if b is None else lib.zeros(b)
        return lib.nn.functional.bilinear(lib.zeros(s1), lib.zeros(s2), lib.zeros(w), bias)
    with pytest.raises(RuntimeError) as t_err:
        fn(torch)
    with pytest.raises(RuntimeError) as l_err:
        fn(lamina)
    assert str(l_err.value) == str(t_err.value)


# ---- nn.LazyLinear ----------------------------------------------------------------------------------
def _lazy_state(lib, bias):
    m = lib.nn.LazyLinear(4, bias=bias)
    before = (repr(m), [(n, type(p).__name__) for n, p in m.named_parameters()], m.in_features)
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        sum(p.numel() for p in m.parameters())
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        m.weight.shape
    return m, before


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(2, 3), (3,), (2, 5, 3)])
def test_lazy_linear_takes_in_features_from_its_first_input(bias, shape):
    t, t_before = _lazy_state(torch, bias)
    m, l_before = _lazy_state(lamina, bias)
    assert l_before == t_before
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    t(torch.from_numpy(x)), m(lamina.from_numpy(x))
    assert type(m).__name__ == type(t).__name__ == "Linear" and repr(m) == repr(t)
    assert [(n, type(p).__name__, tuple(p.shape)) for n, p in m.named_parameters()] == \
           [(n, type(p).__name__, tuple(p.shape)) for n, p in t.named_parameters()]
    bound = 1 / np.sqrt(3)  # Linear's initialisation with the inferred in_features
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    from oracle import check_module
    check_module(t, m, [shape])


def test_lazy_linear_loads_a_checkpoint_and_trains():
    src = torch.nn.Linear(3, 4)
    m = lamina.nn.Sequential(lamina.nn.LazyLinear(4))
    opt = lamina.optim.Adam(m.parameters(), lr=0.1)  # created before the shapes are known, as in PyTorch
    m.load_state_dict({"0." + k: lamina.from_numpy(v.detach().numpy().copy()) for k, v in src.state_dict().items()})
    np.testing.assert_array_equal(m[0].weight.detach().numpy(), src.weight.detach().numpy())
    x = lamina.randn(5, 3)
    m(x).sum().backward()
    opt.step()
    assert not np.array_equal(m[0].weight.detach().numpy(), src.weight.detach().numpy())
    assert m[0].weight.shape == (4, 3)


@pytest.mark.parametrize("dtype", ["int64", "float16", "float64", "int32"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(2, 3), (3,), (2, 2, 3)])
def test_linear_dtype_mismatch_names_scalar_types(dtype, bias, shape):
    def fn(lib):
        return lib.nn.functional.linear(lib.from_numpy(np.ones(shape, dtype)), lib.ones(4, 3),
                                        lib.ones(4) if bias else None)
    with pytest.raises(RuntimeError) as t_err:
        fn(torch)
    with pytest.raises(RuntimeError) as l_err:
        fn(lamina)
    assert str(l_err.value) == str(t_err.value)


def test_linear_with_a_weight_vector_matches_torch():
    def run(lib):
        F = lib.nn.functional
        out = []
        for x_shape in [(3,), (2, 3), (4, 2, 3)]:
            for with_bias in (False, True):
                w = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
                x = lib.arange(float(np.prod(x_shape))).reshape(x_shape)
                try:
                    y = F.linear(x, w, lib.tensor(0.5) if with_bias else None)
                    y.sum().backward()
                    out.append((list(y.shape), y.tolist(), w.grad.tolist()))
                except RuntimeError as e:
                    out.append(str(e))
        return out
    assert run(lamina) == run(torch)


def test_einsum_sublist_form_matches_torch():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((2, 3, 2)).astype(np.float32), rng.standard_normal((2, 2, 4)).astype(np.float32)
    C = rng.standard_normal((3, 2, 5)).astype(np.float32)
    out = []
    for lib in (torch, lamina):
        a, b = lib.tensor(A, requires_grad=True), lib.tensor(B)
        results = [lib.einsum(a, [0, 1, 2], b, [0, 2, 3], [0, 1, 3]), lib.einsum(a, [..., 0, 1], b, [..., 1, 2]),
                   lib.einsum(a, [..., 0, 1], b, [..., 1, 2], [..., 0, 2]), lib.einsum(lib.tensor(C), [30, 1, 0])]
        results[0].sum().backward()
        out.append([r.detach().numpy() for r in results] + [a.grad.numpy()])
    for got, want in zip(out[1], out[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
