"""The PyTorch-oracle harness: run the same code in PyTorch and in lamina and compare.

    check(lambda lib, x, y: lib.matmul(x, y), [(3, 4), (4, 5)])
    check(lambda lib, x: x.sum(dim=1, keepdim=True), [(2, 3)], dtype="float64")
    check_module(nn_torch.Linear(3, 4), lamina_nn.Linear(3, 4), [(2, 3)])
    check_error(lambda lib: lib.ones(2).view(3), RuntimeError, "shape .* is invalid")

`lib` is the torch module in one run and lamina in the other, so one lambda describes both.
Inputs are shapes (random normal data of `dtype`) or ndarrays (used as given, any dtype). Float
inputs require grad when `grad=True`; the outputs are then reduced with one fixed random upstream
gradient and every input's gradient is compared too. Shapes, dtypes and values must all match.

torch is imported at module level on purpose: without it the oracle tests fail, never skip."""
import numpy as np
import torch

import lamina

TOL = {"float32": (1e-5, 1e-4), "float64": (1e-10, 1e-8), "float16": (1e-2, 1e-2)}


def _to_lib(arr, lib, requires_grad):
    if lib is torch:
        t = torch.from_numpy(np.array(arr, copy=True))
    else:
        t = lamina.from_numpy(np.array(arr, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def check_error(fn, exc, message):
    """fn(torch) and fn(lamina) both raise `exc` with a message matching the regex `message`."""
    import pytest
    for lib in (torch, lamina):
        with pytest.raises(exc, match=message):
            fn(lib)


def make_inputs(specs, dtype="float32", seed=0):
    """Arrays from specs: a shape tuple gives random normal data of `dtype`; an ndarray is kept."""
    rng = np.random.default_rng(seed)
    arrays = []
    for s in specs:
        if isinstance(s, np.ndarray):
            arrays.append(s)
        else:
            arrays.append(rng.standard_normal(s).astype(dtype))
    return arrays


def _flatten(out):
    if isinstance(out, (tuple, list)):
        items = []
        for o in out:
            items.extend(_flatten(o))
        return items
    return [out]


def dtype_name(t):
    return str(t.dtype).split(".")[-1]


def assert_same(t_out, l_out, atol, rtol, what="output"):
    """Compare one torch result with one lamina result: type, shape, dtype, values."""
    if isinstance(t_out, torch.Tensor):
        assert isinstance(l_out, lamina.Tensor), f"{what}: lamina returned {type(l_out).__name__}, torch a Tensor"
        assert tuple(l_out.shape) == tuple(t_out.shape), f"{what}: shape {tuple(l_out.shape)} != torch {tuple(t_out.shape)}"
        assert dtype_name(l_out) == dtype_name(t_out), f"{what}: dtype {l_out.dtype} != torch {t_out.dtype}"
        expected = t_out.detach().numpy()
        got = l_out.detach().numpy()
        if expected.dtype == np.bool_ or expected.dtype.kind in "iu":
            np.testing.assert_array_equal(got, expected, err_msg=what)
        else:
            np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol, err_msg=what, equal_nan=True)
    elif t_out is None:
        assert l_out is None, f"{what}: lamina returned {l_out!r}, torch None"
    elif isinstance(t_out, (bool, int, float)):
        assert type(l_out) is type(t_out), f"{what}: {type(l_out).__name__} != torch {type(t_out).__name__}"
        assert np.isclose(l_out, t_out, atol=atol, rtol=rtol, equal_nan=True), f"{what}: {l_out} != torch {t_out}"
    else:
        assert l_out == t_out, f"{what}: {l_out!r} != torch {t_out!r}"


def check(fn, specs, dtype="float32", grad=True, atol=None, rtol=None, seed=0, grad_inputs=None):
    """Run fn(lib, *inputs) in torch and lamina; compare outputs and (if grad) input gradients.

    grad_inputs: indices of the inputs that should require grad (default: every float input)."""
    default_atol, default_rtol = TOL.get(dtype, TOL["float32"])
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol
    arrays = make_inputs(specs, dtype, seed)

    def needs_grad(i, a):
        if not grad or a.dtype.kind != "f":
            return False
        return grad_inputs is None or i in grad_inputs

    t_in = [_to_lib(a, torch, needs_grad(i, a)) for i, a in enumerate(arrays)]
    l_in = [_to_lib(a, lamina, needs_grad(i, a)) for i, a in enumerate(arrays)]
    t_out = fn(torch, *t_in)
    l_out = fn(lamina, *l_in)
    t_flat, l_flat = _flatten(t_out), _flatten(l_out)
    assert len(t_flat) == len(l_flat), f"torch returned {len(t_flat)} outputs, lamina {len(l_flat)}"
    for k, (a, b) in enumerate(zip(t_flat, l_flat)):
        assert_same(a, b, atol, rtol, what=f"output {k}")
    if not grad:
        return t_out, l_out
    rng = np.random.default_rng(seed + 1)
    t_loss, l_loss = 0, 0
    for a, b in zip(t_flat, l_flat):
        if isinstance(a, torch.Tensor) and a.requires_grad:
            assert b.requires_grad, "torch output requires grad but lamina's does not"
            up = rng.standard_normal(tuple(a.shape)).astype(dtype_name(a))
            t_loss = t_loss + (a * torch.from_numpy(up)).sum()
            l_loss = l_loss + (b * lamina.from_numpy(up.copy())).sum()
    if isinstance(t_loss, torch.Tensor):
        t_loss.backward()
        l_loss.backward()
    for i, (a, b) in enumerate(zip(t_in, l_in)):
        if a.requires_grad:
            if a.grad is None:
                assert b.grad is None or not np.any(b.grad.numpy()), f"input {i}: torch grad None, lamina has one"
            else:
                assert b.grad is not None, f"input {i}: lamina produced no gradient"
                assert_same(a.grad, b.grad, atol * 10, rtol * 10, what=f"grad of input {i}")
    return t_out, l_out


def copy_weights(src_torch, dst_lamina):
    """Load a torch module's state into a lamina module (by state_dict key)."""
    state = {k: lamina.from_numpy(v.detach().numpy().copy()) for k, v in src_torch.state_dict().items()}
    dst_lamina.load_state_dict(state)


def check_module(t_mod, l_mod, specs, dtype="float32", train=True, atol=None, rtol=None, seed=0,
                 call=None, copy=True):
    """Same weights → same outputs, input gradients and parameter gradients (and buffers)."""
    if dtype == "float64":
        t_mod = t_mod.double()
        l_mod = l_mod.double()
    if copy:
        copy_weights(t_mod, l_mod)
    t_mod.train(train)
    l_mod.train(train)
    call = call or (lambda mod, *xs: mod(*xs))

    def fn(lib, *xs):
        mod = t_mod if lib is torch else l_mod
        return call(mod, *xs)
    check(fn, specs, dtype=dtype, atol=atol, rtol=rtol, seed=seed)
    default_atol, default_rtol = TOL.get(dtype, TOL["float32"])
    atol = (default_atol if atol is None else atol) * 10
    rtol = (default_rtol if rtol is None else rtol) * 10
    l_params = dict(l_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert name in l_params, f"lamina module lacks parameter {name}"
        if p.grad is None:
            assert l_params[name].grad is None, f"{name}: torch has no grad, lamina does"
        else:
            assert_same(p.grad, l_params[name].grad, atol, rtol, what=f"grad of {name}")
    l_buffers = dict(l_mod.named_buffers())
    for name, b in t_mod.named_buffers():
        assert name in l_buffers, f"lamina module lacks buffer {name}"
        assert_same(b, l_buffers[name], atol, rtol, what=f"buffer {name}")
