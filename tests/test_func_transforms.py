"""torch.func's transforms (grad, grad_and_value, vmap, vjp, jvp, jacrev, jacfwd, hessian,
stack_module_state) against PyTorch: values, shapes, dtypes and result structure, the
per-sample-gradient and model-ensembling tutorials end to end, PyTorch's error messages, and the
documented differences (no higher-order gradients; vmap loops in Python)."""
import copy
import re
from collections import namedtuple

import numpy as np
import pytest
import torch

import lamina
from oracle import assert_same, check_error, copy_weights

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3)).astype(np.float32)
W = RNG.standard_normal((3, 2)).astype(np.float32)
V = RNG.standard_normal(3).astype(np.float32)
Pair = namedtuple("Pair", "a b")


def _as(lib, *arrays):
    out = tuple(lib.from_numpy(a.copy()) for a in arrays)
    return out if len(out) > 1 else out[0]


def assert_tree_same(t_out, l_out, atol=1e-5, rtol=1e-4, where="result"):
    """Same nesting (tuple/list/dict/namedtuple types and keys), then same leaves."""
    if isinstance(t_out, dict):
        assert type(l_out) is dict and list(l_out) == list(t_out), f"{where}: {l_out!r} vs {t_out!r}"
        for k in t_out:
            assert_tree_same(t_out[k], l_out[k], atol, rtol, f"{where}[{k!r}]")
    elif isinstance(t_out, (tuple, list)):
        assert type(l_out).__name__ == type(t_out).__name__ and len(l_out) == len(t_out), f"{where}: structure"
        for i, (a, b) in enumerate(zip(t_out, l_out)):
            assert_tree_same(a, b, atol, rtol, f"{where}[{i}]")
    else:
        assert_same(t_out, l_out, atol, rtol, what=where)


def compare(fn, *arrays, atol=1e-5, rtol=1e-4):
    """fn(lib, *inputs) in torch and lamina give the same nested result."""
    t_out = fn(torch, *[torch.from_numpy(a.copy()) for a in arrays])
    l_out = fn(lamina, *[lamina.from_numpy(a.copy()) for a in arrays])
    assert_tree_same(t_out, l_out, atol, rtol)
    return t_out, l_out


# ---- grad / grad_and_value -----------------------------------------------------------------

@pytest.mark.parametrize("f", [
    lambda lib, x: lib.func.grad(lambda a: (a.sin() * a).sum())(x),
    lambda lib, x: lib.func.grad(lambda a: a.pow(3).mean())(x.double()),
    lambda lib, x: lib.func.grad(lambda a: (a @ a.T).logsumexp(dim=1).sum())(x),
    lambda lib, x: lib.func.grad(lambda a: a.sum().to(lib.int64))(x),  # no gradient: zeros
    lambda lib, x: lib.func.grad(lambda a, b: (a * 2).sum(), argnums=1)(x, x),  # unused: zeros
    lambda lib, x: lib.func.grad_and_value(lambda a: (a ** 2).sum())(x),
])
def test_grad_values(f):
    compare(f, X)


def test_grad_argnums_int_negative_and_tuple():
    def loss(lib):
        return lambda x, w, v: ((x @ w).tanh().sum(1) * v[:4].sum()).sum()
    for argnums in (0, 1, -1, (0, 2), (2, 0), (1,)):
        compare(lambda lib, x, w, v: lib.func.grad(loss(lib), argnums=argnums)(x, w, v),
                X, W, RNG.standard_normal(5).astype(np.float32))


def test_grad_pytree_inputs():
    def f(lib, x, w):
        params = {"w": w, "pair": Pair(x, [x[0], w[:, 0]])}

        def loss(p, scale):
            return (p["w"].sum() * p["pair"].a.exp().sum() + (p["pair"].b[0] * p["pair"].b[1]).sum()) * scale
        return lib.func.grad(loss)(params, 2.0)
    _, l_out = compare(f, X, W)
    assert type(l_out["pair"]) is Pair and type(l_out["pair"].b) is list


def test_grad_has_aux_and_grad_and_value_with_aux():
    def f(lib, x):
        def loss(a):
            return (a ** 2).sum(), {"double": a * 2, "items": (a.sum(),)}
        g, aux = lib.func.grad(loss, has_aux=True)(x)
        g2, (value, aux2) = lib.func.grad_and_value(loss, has_aux=True)(x)
        return g, aux, g2, value, aux2
    _, (g, aux, _, value, _) = compare(f, X)
    assert not aux["double"].requires_grad and not value.requires_grad and not g.requires_grad


def test_grad_leaves_inputs_alone():
    x = lamina.from_numpy(X.copy())
    p = lamina.nn.Parameter(lamina.from_numpy(W.copy()))
    g = lamina.func.grad(lambda a, b: (a @ b).sum(), argnums=(0, 1))(x, p)
    assert not x.requires_grad and x.grad is None and p.grad is None
    np.testing.assert_allclose(g[1].numpy(), X.sum(0)[:, None].repeat(2, 1), rtol=1e-5)


def test_grad_ignores_outer_no_grad_and_passes_kwargs():
    def f(lib, x):
        with lib.no_grad():
            return lib.func.grad(lambda a, *, power: (a ** power).sum())(x, power=3)
    compare(f, X)


def test_grad_keeps_outer_graph_usable():
    # the function closes over a tensor with history: its graph must survive the transform
    x = lamina.from_numpy(X.copy()).requires_grad_(True)
    h = x.exp()
    lamina.func.grad(lambda w: (w * h).sum())(lamina.ones(4, 3))
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X), rtol=1e-6)


@pytest.mark.parametrize("call, exc, message", [
    (lambda lib, x: lib.func.grad(lambda a: a * 2)(x), RuntimeError,
     "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with 2 dims. Maybe you wanted "
     "to use the vjp or jacrev APIs instead?"),
    (lambda lib, x: lib.func.grad(lambda a: a.sum().reshape(1))(x), RuntimeError,
     "to return a scalar Tensor, got tensor with 1 dims"),
    (lambda lib, x: lib.func.grad(lambda a: 3.0)(x), RuntimeError,
     "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got <class 'float'>"),
    (lambda lib, x: lib.func.grad(lambda a: a.sum(), has_aux=True)(x), RuntimeError,
     "grad_and_value(f)(*args): output of function f should be a tuple: (output, aux) if has_aux is True"),
    (lambda lib, x: lib.func.grad(lambda a: (a.sum(), 3), has_aux=True)(x), RuntimeError,
     "Expected tensors, got unsupported type <class 'int'>"),
    (lambda lib, x: lib.func.grad(lambda a: a.sum())(3.0), ValueError,
     "Thing passed to transform API must be Tensor, got <class 'float'>"),
    (lambda lib, x: lib.func.grad(lambda a: a.sum())(x.long()), RuntimeError,
     "only Tensors of floating point dtype can require gradients"),
    (lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=[0])(x), RuntimeError,
     "argnums must be int or Tuple[int, ...], got: <class 'list'>"),
    (lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=1)(x), RuntimeError,
     "Got argnum=1, but only 1 positional inputs"),
    (lambda lib, x: lib.func.grad(lambda a, b: a.sum(), argnums=(0, -2))(x, x), RuntimeError,
     "argnums elements must be unique, got (0, 0)"),
    (lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=())(x), RuntimeError, "argnums must be non-empty"),
    (lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=(0.5,))(x), RuntimeError,
     "argnum must be int, got: <class 'float'>"),
])
def test_grad_errors_match_torch(call, exc, message):
    check_error(lambda lib: call(lib, _as(lib, X)), exc, re.escape(message))


# ---- no higher-order gradients ---------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda F, x: F.grad(lambda a: F.grad(lambda b: (b ** 3).sum())(a).sum())(x),
    lambda F, x: F.grad(lambda a: F.grad(lambda b: (a * b ** 2).sum())(x.detach()).sum())(x),  # by closure
    lambda F, x: F.jacrev(F.jacrev(lambda a: a.sin()))(x),
    lambda F, x: F.jacfwd(F.jacrev(lambda a: a.sin()))(x),
    lambda F, x: F.grad(lambda p: F.vmap(F.grad(lambda q, r: (q * r).sum()), in_dims=(None, 0))(p, x).sum())(x[0]),
    lambda F, x: F.grad(lambda a: F.vjp(lambda b: b.exp(), a)[1](lamina.ones(4, 3))[0].sum())(x),
    lambda F, x: F.hessian(lambda a: (a ** 3).sum())(x),
])
def test_higher_order_gradients_raise(call):
    with pytest.raises(NotImplementedError, match="higher-order gradients"):
        call(lamina.func, _as(lamina, X))


def test_nested_transform_independent_of_outer_inputs_works():
    def f(lib, x, v):
        inner = lib.func.grad(lambda c: (c ** 2).sum())
        return lib.func.grad(lambda a: (a * inner(v)).sum())(x[0])
    compare(f, X, V)


def test_vmap_inside_grad_works():
    compare(lambda lib, x, w: lib.func.grad(lambda m: lib.func.vmap(lambda r: (r @ m).sin().sum())(x).sum())(w), X, W)


def test_vjp_fn_refuses_create_graph():
    _, vjp_fn = lamina.func.vjp(lambda a: a.exp(), _as(lamina, X))
    with pytest.raises(NotImplementedError, match="higher-order gradients"):
        vjp_fn(lamina.ones(4, 3), create_graph=True)


# ---- vmap -------------------------------------------------------------------------------------

@pytest.mark.parametrize("f", [
    lambda lib, x, w: lib.func.vmap(lambda r: r @ w)(x),
    lambda lib, x, w: lib.func.vmap(lambda r: r.dot(r))(x),
    lambda lib, x, w: lib.func.vmap(lambda c: c.softmax(0), in_dims=1)(x),
    lambda lib, x, w: lib.func.vmap(lambda c: c.cumsum(0), in_dims=-1, out_dims=1)(x),
    lambda lib, x, w: lib.func.vmap(lambda r, m: r @ m, in_dims=(0, None))(x, w),
    lambda lib, x, w: lib.func.vmap(lambda c, m: m.T @ c, in_dims=(1, None), out_dims=-1)(x.T, w),
    lambda lib, x, w: lib.func.vmap(lambda r: (r > 0, r.argmax(), r.double()))(x),  # dtypes kept
    lambda lib, x, w: lib.func.vmap(lambda r: (r.sum(), r * 2), out_dims=(0, 1))(x),
    lambda lib, x, w: lib.func.vmap(lambda r: {"s": r.sum(), "t": [r.exp()]}, out_dims={"s": 0, "t": [1]})(x),
    lambda lib, x, w: lib.func.vmap(lambda r: (r.sum(), w), out_dims=(0, None))(x),
    lambda lib, x, w: lib.func.vmap(lambda r, *, scale: r * scale)(x, scale=3.0),
    lambda lib, x, w: lib.func.vmap(lambda d: d["a"] + d["b"][0], in_dims=({"a": 0, "b": [1]},))(
        {"a": x, "b": [x.T]}),
    lambda lib, x, w: lib.func.vmap(lambda p: Pair(p.a * 2, p.b.sum()))(Pair(x, x)),
    lambda lib, x, w: lib.func.vmap(lib.func.vmap(lambda e: e * e.exp()))(x),
    lambda lib, x, w: lib.func.vmap(lib.func.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(x[0], x),
    lambda lib, x, w: lib.func.vmap(lambda r: r.sum())(x[:0]),  # an empty batch
    lambda lib, x, w: lib.func.vmap(lambda r: r * 2, out_dims=1)(x[:0]),
    lambda lib, x, w: lib.func.vmap(lambda r: r + 1.5, chunk_size=3)(x),
    lambda lib, x, w: lib.func.vmap(lambda r: r + w[:, 0].double())(x[:, 0]),  # 0-dim per sample: promotion
])
def test_vmap_matches_torch(f):
    compare(f, X, W)


def test_vmap_gradient_flows_through_stacked_result():
    def f(lib, x, w):
        x.requires_grad_(True)
        w.requires_grad_(True)
        out = lib.func.vmap(lambda r, m: (r @ m).tanh(), in_dims=(0, None), out_dims=1)(x, w)
        (out * lib.arange(8.0).reshape(2, 4)).sum().backward()
        return out, x.grad, w.grad
    _, (out, _, _) = compare(f, X, W)
    assert out.grad_fn is not None


def test_vmap_module_and_functional_call():
    t_lin, l_lin = torch.nn.Linear(3, 2), lamina.nn.Linear(3, 2)
    copy_weights(t_lin, l_lin)
    compare(lambda lib, x: lib.func.vmap(t_lin if lib is torch else l_lin)(x), X)


def test_vmap_item_and_python_control_flow_work_per_sample():
    # PyTorch refuses .item() under vmap; lamina's calls see ordinary tensors
    out = lamina.func.vmap(lambda r: r * 2 if r.sum().item() > 0 else -r)(_as(lamina, X))
    expected = np.stack([r * 2 if r.sum() > 0 else -r for r in X])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("call, exc, message", [
    (lambda lib, x: lib.func.vmap(lambda a, b: a + b)(x, x[:3]), ValueError,
     "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes [4, 3] for the mapped "
     "dimension"),
    (lambda lib, x: lib.func.vmap(lambda a: a, in_dims=2)(x), ValueError,
     "vmap(<lambda>, in_dims=2, ...)(<inputs>): Got in_dim=2 for some input, but that input is a Tensor of "
     "dimensionality 2 so expected in_dim to satisfy -2 <= in_dim < 2."),
    (lambda lib, x: lib.func.vmap(lambda a: a, in_dims=(None,))(x), ValueError,
     "vmap: Expected at least one Tensor to vmap over"),
    (lambda lib, x: lib.func.vmap(lambda a: 3)(x), ValueError,
     "vmap(<lambda>, ...): `<lambda>` must only return Tensors, got type <class 'int'>. Did you mean to set "
     "out_dims= to None for output?"),
    (lambda lib, x: lib.func.vmap(lambda a: (a, None))(x), ValueError,
     "`<lambda>` must only return Tensors, got type <class 'NoneType'>"),
    (lambda lib, x: lib.func.vmap(lambda a: a * 2, out_dims=None)(x), ValueError,
     "vmap(<lambda>, ...): `<lambda>` can not return a BatchedTensor when out_dim is None"),
    (lambda lib, x: lib.func.vmap(lambda a: a, in_dims=[0])(x), ValueError,
     "vmap(<lambda>, in_dims=[0], ...)(<inputs>): expected `in_dims` to be int or a (potentially nested) tuple "
     "matching the structure of inputs, got: <class 'list'>."),
    (lambda lib, x: lib.func.vmap(lambda a: a, in_dims=(0, 1))(x), ValueError,
     "vmap(<lambda>, in_dims=(0, 1), ...)(<inputs>): in_dims is not compatible with the structure of `inputs`. in_dims "
     "has structure TreeSpec(tuple, None, [*,\n  *]) but inputs has structure TreeSpec(tuple, None, [*])."),
    (lambda lib, x: lib.func.vmap(lambda a, d: a, in_dims=(0, {"z": 0}))(x, {"q": x}), ValueError,
     "in_dims has structure TreeSpec(tuple, None, [*,\n  TreeSpec(dict, ['z'], [*])]) but inputs has structure "
     "TreeSpec(tuple, None, [*,\n  TreeSpec(dict, ['q'], [*])])."),
    (lambda lib, x: lib.func.vmap(lambda a: a, in_dims=(0.5,))(x), ValueError,
     "Got in_dim=0.5 for an input but in_dim must be either an integer dimension or None."),
    (lambda lib, x: lib.func.vmap(lambda a, b: a, in_dims=(0, 0))(x, 3), ValueError,
     "Got in_dim=0 for an input but the input is of type <class 'int'>. We cannot vmap over non-Tensor arguments, "
     "please use None as the respective in_dim"),
    (lambda lib, x: lib.func.vmap(lambda a: a)(), ValueError,
     "vmap(<lambda>)(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying to vmap over a "
     "function with no inputs. The latter is unsupported."),
    (lambda lib, x: lib.func.vmap(lambda a: a, out_dims="a")(x), ValueError,
     "vmap(<lambda>, ..., out_dims=a): `out_dims` must be an int, None or a python collection of ints representing "
     "where in the outputs the vmapped dimension should appear."),
    (lambda lib, x: lib.func.vmap(lambda a: a, out_dims=(0, 1))(x), ValueError,
     "vmap(<lambda>, ..., out_dims=(0, 1))(<inputs>): out_dims is not compatible with the structure of `outputs`. "
     "out_dims has structure TreeSpec(tuple, None, [*,\n  *]) but outputs has structure *."),
    (lambda lib, x: lib.func.vmap(lambda a: a * 2, out_dims=2)(x), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda lib, x: lib.func.vmap(lambda a: a, randomness="x"), RuntimeError,
     "Only allowed values for randomness are 'error', 'different', or 'same'. Got x"),
    (lambda lib, x: lib.func.vmap(lambda a: a, chunk_size=0), ValueError,
     "vmap: chunk_size should be None or greater than 0. (got 0)"),
    (lambda lib, x: lib.func.vmap(lambda a: a + lib.rand(3))(x), RuntimeError,
     "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' "
     "randomness flags on vmap or perform the randomness operation out of vmap"),
    (lambda lib, x: lib.func.vmap(lambda a: lib.nn.functional.dropout(a, 0.5))(x), RuntimeError,
     "vmap: called random operation while in randomness error mode"),
])
def test_vmap_errors_match_torch(call, exc, message):
    check_error(lambda lib: call(lib, _as(lib, X)), exc, re.escape(message))


def test_vmap_randomness_modes():
    x = _as(lamina, X)
    lamina.manual_seed(0)
    state = lamina.random.get_rng_state().numpy().copy()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        lamina.func.vmap(lambda a: a + lamina.rand(3))(x)
    np.testing.assert_array_equal(lamina.random.get_rng_state().numpy(), state)  # the refused draw is undone
    same = lamina.func.vmap(lambda a: lamina.rand(3), randomness="same")(x).numpy()
    assert np.all(same == same[0])
    lamina.manual_seed(0)
    assert np.array_equal(same[0], lamina.rand(3).numpy())  # one draw's worth, as the first index drew
    different = lamina.func.vmap(lambda a: lamina.rand(3), randomness="different")(x).numpy()
    assert len({tuple(r) for r in different}) == 4


def test_vmap_error_mode_catches_a_draw_in_a_later_sample():
    x = _as(lamina, X)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        lamina.func.vmap(lambda a: a + (lamina.rand(3) if bool(a[0] == x[2, 0]) else 0))(x)


def test_vmap_out_dims_none_accepts_unbatched_values():
    out, const, tag = lamina.func.vmap(lambda a: (a * 2, lamina.ones(2), "tag"), out_dims=(0, None, None))(
        _as(lamina, X))
    assert tuple(out.shape) == (4, 3) and tuple(const.shape) == (2,) and tag == "tag"


def test_vmap_different_output_shapes_per_sample_raise():
    with pytest.raises(ValueError, match="different shapes for different samples"):
        lamina.func.vmap(lambda a: a[a > 0])(_as(lamina, X))


# ---- vjp / jvp / jacrev / jacfwd -------------------------------------------------------------

def test_vjp_matches_torch():
    def f(lib, x, w):
        out, vjp_fn = lib.func.vjp(lambda a, m: ((a @ m).tanh(), {"s": a.sum(1)}), x, w)
        cot = (lib.ones(4, 2) * 0.5, {"s": lib.arange(4.0)})
        return out, vjp_fn(cot), vjp_fn(cot)  # callable again (the graph is kept)
    compare(f, X, W)


def test_vjp_has_aux_and_pytree_primals():
    def f(lib, x, w):
        out, vjp_fn, aux = lib.func.vjp(lambda p: ((p["x"] @ p["w"]).sum(0), p["x"].mean()), {"x": x, "w": w},
                                        has_aux=True)
        return out, vjp_fn(lib.ones(2)), aux
    compare(f, X, W)


@pytest.mark.parametrize("call, exc, message", [
    (lambda lib, x: lib.func.vjp(lambda a: (a * 2, {"k": a.sum()}), x)[1]((x, x)), RuntimeError,
     "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function. "
     "cotangents: (*, *), primal output: (*, {'k': *})"),
    (lambda lib, x: lib.func.vjp(lambda a: a * 2, x)[1](lib.ones(2)), RuntimeError,
     "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of "
     "torch.Size([4, 3])."),
    (lambda lib, x: lib.func.vjp(lambda a: 3, x), RuntimeError,
     "vjp(f, *primals): expected f(*primals) to return only tensors, got unsupported type <class 'int'>"),
    (lambda lib, x: lib.func.vjp(lambda a: None, x), RuntimeError,
     "vjp(f, *primals): Expected f to be a function that has non-empty output (got output = [None])"),
    (lambda lib, x: lib.func.vjp(lambda a: a.long(), x), RuntimeError,
     "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor with dtype torch.int64"),
    (lambda lib, x: lib.func.vjp(lambda a: a, x, has_aux=True), RuntimeError,
     "vjp(f, *primals): output of function f should be a tuple: (output, aux) if has_aux is True"),
    (lambda lib, x: lib.func.jacrev(lambda a: (a * 2).long())(x), RuntimeError,
     "vjp(f, ...): All outputs of f must be floating-point or complex Tensors"),
    (lambda lib, x: lib.func.jacrev(lambda a: a, chunk_size=0), ValueError,
     "jacrev: `chunk_size` should be greater than 0."),
    (lambda lib, x: lib.func.jacfwd(lambda a: 3)(x), RuntimeError,
     "jvp(f, primals, tangents): expected f(*primals) to return only tensors, got unsupported type <class 'int'>"),
    (lambda lib, x: lib.func.jacfwd(lambda a: a.exp() * lib.rand(3))(x), RuntimeError,
     "vmap: called random operation while in randomness error mode"),
    (lambda lib, x: lib.func.jvp(lambda a: a, x, (x,)), RuntimeError,
     "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."),
    (lambda lib, x: lib.func.jvp(lambda a: a, (x,), [x]), RuntimeError,
     "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure. For example, if "
     "primals is a tuple of 3 tensors, tangents also must be. Got primals with structure TreeSpec(tuple, None, [*]) "
     "and tangents with structure TreeSpec(list, None, [*])"),
    (lambda lib, x: lib.func.jvp(lambda a: a, (x,), (x[0],)), RuntimeError,
     "Trying to set a forward gradient that has a different size than that of the original Tensor, this is not "
     "supported. Tensor is of size [4, 3] while the given forward gradient is of size [3]."),
    (lambda lib, x: lib.func.jvp(lambda a: a, (3,), (3,)), RuntimeError,
     "jvp(f, primals, tangents): Expected primals to only contain Tensors, got <class 'int'>"),
    (lambda lib, x: lib.func.jvp(lambda a: x * 2, (x,), (x,), strict=True), RuntimeError,
     "jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. This is not allowed "
     "with strict=True."),
])
def test_vjp_jvp_jac_errors_match_torch(call, exc, message):
    check_error(lambda lib: call(lib, _as(lib, X)), exc, re.escape(message))


def test_jvp_matches_torch():
    def f(lib, x, w, v):
        return (lib.func.jvp(lambda a, m: ((a @ m).sin(), a.sum()), (x, w), (x.cos(), w * 2)),
                lib.func.jvp(lambda a: a.exp().sum(0), (x,), (x,), has_aux=False),
                lib.func.jvp(lambda a: (a * v, a.norm()), (x,), (lib.ones(4, 3),), has_aux=True),
                lib.func.jvp(lambda a: a.double() ** 2, (x,), (x,)),  # tangents in the output's dtype
                lib.func.jvp(lambda a: (x * 2, (a > 0)), (x,), (x,)))  # independent output, bool output: zeros
    compare(f, X, W, V)


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("f", [
    lambda F, x, w: F(lambda a: a.sin() * a)(x[0]),
    lambda F, x, w: F(lambda a, m: (a @ m).tanh(), argnums=(0, 1))(x, w),
    lambda F, x, w: F(lambda a, m: {"o": a @ m, "s": a.sum()}, argnums=1)(x, w),
    lambda F, x, w: F(lambda p: (p["a"] * p["b"][0]).exp())({"a": x[0], "b": [x[1]]}),
    lambda F, x, w: F(lambda a: (a.exp(), a.sum()), has_aux=True)(x[0]),
    lambda F, x, w: F(lambda a: a.float() * 2)(x[0].double()),  # jacrev: input dtype, jacfwd: output dtype
    lambda F, x, w: F(lambda a: a[:0])(x[0]),
])
def test_jacobians_match_torch(jac, f):
    compare(lambda lib, x, w: f(getattr(lib.func, jac), x, w), X, W)


def test_jacfwd_of_integer_output_is_zeros_as_torch():
    compare(lambda lib, x: lib.func.jacfwd(lambda a: (a * 2).long())(x[0]), X)


def test_hessian_raises():
    with pytest.raises(NotImplementedError, match="higher-order gradients"):
        lamina.func.hessian(lambda a: (a ** 3).sum())(_as(lamina, V))


# ---- the tutorials: per-sample gradients and model ensembling ---------------------------------

def _cnn(nn):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.fc1 = nn.Linear(4 * 6 * 6, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = nn.functional.relu(self.conv(x))
            return self.fc2(nn.functional.relu(self.fc1(x.flatten(1))))
    return Net()


def test_per_sample_gradients_tutorial():
    torch.manual_seed(0)
    t_model, l_model = _cnn(torch.nn), _cnn(lamina.nn)
    copy_weights(t_model, l_model)
    data = RNG.standard_normal((8, 1, 8, 8)).astype(np.float32)
    targets = RNG.integers(0, 10, 8)

    def run(lib, data, targets):
        model = t_model if lib is torch else l_model
        params = {k: v.detach() for k, v in model.named_parameters()}

        def compute_loss(params, sample, target):
            batch = sample.unsqueeze(0)
            targets = target.unsqueeze(0)
            predictions = lib.func.functional_call(model, params, (batch,))
            return lib.nn.functional.cross_entropy(predictions, targets)
        ft_compute_sample_grad = lib.func.vmap(lib.func.grad(compute_loss), in_dims=(None, 0, 0))
        return ft_compute_sample_grad(params, data, targets)
    _, grads = compare(run, data, targets)
    assert all(p.grad is None for p in l_model.parameters())
    # each row is that sample's ordinary gradient
    l_model.zero_grad()
    x = lamina.from_numpy(data[3:4].copy())
    lamina.nn.functional.cross_entropy(l_model(x), lamina.from_numpy(targets[3:4].copy())).backward()
    for name, p in l_model.named_parameters():
        np.testing.assert_allclose(grads[name][3].numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_model_ensembling_tutorial():
    torch.manual_seed(0)
    t_models = [torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                                    torch.nn.Linear(5, 2)).eval() for _ in range(4)]
    l_models = [lamina.nn.Sequential(lamina.nn.Linear(3, 5), lamina.nn.BatchNorm1d(5), lamina.nn.ReLU(),
                                     lamina.nn.Linear(5, 2)).eval() for _ in range(4)]
    for t, m in zip(t_models, l_models):
        with torch.no_grad():
            t[1].running_mean.normal_()
        copy_weights(t, m)
    minibatches = RNG.standard_normal((4, 6, 3)).astype(np.float32)

    def run(lib, minibatches):
        models = t_models if lib is torch else l_models
        params, buffers = lib.func.stack_module_state(models)
        base = copy.deepcopy(models[0])  # the tutorial moves it to 'meta'; lamina has only the CPU

        def fmodel(params, buffers, x):
            return lib.func.functional_call(base, (params, buffers), (x,))
        same_batch = lib.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatches[0])
        own_batch = lib.func.vmap(fmodel)(params, buffers, minibatches)
        return params, buffers, same_batch, own_batch
    _, (params, _, _, own_batch) = compare(run, minibatches)
    assert all(p.requires_grad and p.grad_fn is None for p in params.values())
    own_batch.sum().backward()  # the stacked parameters are trainable leaves
    assert tuple(params["0.weight"].grad.shape) == (4, 5, 3)


@pytest.mark.parametrize("models, message", [
    (lambda nn: [], "stack_module_state: Expected at least one model, got 0."),
    (lambda nn: [nn.Linear(2, 2), nn.Linear(2, 2).eval()],
     "stack_module_state: Expected all models to have the same training/eval mode."),
    (lambda nn: [nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2))],
     "stack_module_state: Expected all models to be of the same class."),
    (lambda nn: [nn.Linear(2, 2), nn.Linear(2, 2).requires_grad_(False)],
     "Expected weight from each model to have the same .requires_grad"),
])
def test_stack_module_state_errors_match_torch(models, message):
    check_error(lambda lib: lib.func.stack_module_state(models(lib.nn)), RuntimeError, re.escape(message))


def test_vmap_at_top_level_as_torch_vmap():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    ours = lamina.vmap(lambda r: r.sum() * 2)(lamina.from_numpy(x))
    theirs = torch.vmap(lambda r: r.sum() * 2)(torch.from_numpy(x))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
