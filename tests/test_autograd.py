"""Autograd against PyTorch: backward and autograd.grad, grad accumulation, retain_graph, the grad
modes (as context managers and decorators), custom Functions, hooks, retain_grad, gradcheck, and
PyTorch's errors. Each test runs the same code with torch and with lamina and compares."""
import sys

import numpy as np
import pytest
import torch

import lamina
from oracle import check

LIBS = [torch, lamina]


def arr(t):
    return None if t is None else t.detach().numpy()


def both(fn):
    """fn(lib) for torch and lamina; returns the two results."""
    return fn(torch), fn(lamina)


def assert_same_grads(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_grads(x, y)
    elif a is None:
        assert b is None
    else:
        np.testing.assert_allclose(arr(b), arr(a), rtol=1e-6, atol=1e-6)


# ---- backward -------------------------------------------------------------------------------

def test_composite_graph_gradients_match_torch():
    check(lambda lib, x, w, b: ((x @ w + b).tanh() * x.sum(1, keepdim=True)).exp().mean(), [(4, 3), (3, 5), (5,)])
    check(lambda lib, x: (x * x + x).sum(0) / (x.abs() + 1).prod(0), [(3, 2)], dtype="float64")


def test_deep_chain_backward_is_iterative():
    limit = sys.getrecursionlimit()
    results = []
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        x = a
        for _ in range(5000):
            x = x * 1.0001 + 0.0
        x.sum().backward()
        results.append(a.grad)
    assert sys.getrecursionlimit() == limit
    assert_same_grads(results[0], results[1])


def test_leaf_gradients_accumulate_across_backward_calls():
    def run(lib):
        a = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (a * a).sum().backward()
        first = a.grad.clone()
        (a * 3).sum().backward()
        return first, a.grad
    assert_same_grads(*both(run))


def test_accumulation_keeps_the_grad_tensor_object():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        (a * 2).sum().backward()
        g = a.grad
        (a * 2).sum().backward()
        assert g is a.grad and g.tolist() == [4.0, 4.0]


def test_backward_with_explicit_gradient():
    def run(lib):
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        (a * a).backward(lib.tensor([[1.0, 0.5], [-1.0, 2.0]]))
        return a.grad
    assert_same_grads(*both(run))


def test_grad_of_float32_leaf_through_float64_ops_stays_float32():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        (a.double() * 2).sum().backward()
        assert str(a.grad.dtype).split(".")[-1] == "float32"


def test_gradient_arrays_never_alias_between_leaves():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0], requires_grad=True)
        g = lib.ones(2)
        z = x + y
        z.backward(g)
        x.grad.zero_()
        assert y.grad.tolist() == [1.0, 1.0]
        assert g.tolist() == [1.0, 1.0]
        y.grad.add_(5)
        assert g.tolist() == [1.0, 1.0]


def test_leaf_used_as_root_gets_a_copy_of_the_gradient():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        g = lib.ones(2)
        a.backward(g)
        a.grad.mul_(3)
        assert g.tolist() == [1.0, 1.0]


def test_retain_graph_allows_a_second_backward():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (a * a).exp().sum()
        y.backward(retain_graph=True)
        y.backward()
        return a.grad
    assert_same_grads(*both(run))


def test_second_backward_through_freed_graph_raises():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (a * a).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.backward()


@pytest.mark.parametrize("code, msg", [
    ("lib.tensor([1., 2.]).sum().backward()", "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("(lib.ones(2, requires_grad=True) * 2).backward()", "grad can be implicitly created only for scalar outputs"),
    ("(lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3))",
     r"Mismatch in shape: grad_output\[0\] has a shape of torch.Size\(\[3\]\) and output\[0\] has a shape of "
     r"torch.Size\(\[2\]\)."),
    ("lib.tensor([1, 2]).requires_grad_()", "only Tensors of floating point dtype can require gradients"),
    ("lib.zeros(2, dtype=lib.int64, requires_grad=True)", "Only Tensors of floating point and complex dtype can "
                                                          "require gradients"),
    ("(lib.ones(2, requires_grad=True) * 2).requires_grad_(False)", "you can only change requires_grad flags of "
                                                                    "leaf variables."),
    ("lib.ones(2).register_hook(lambda g: g)", "cannot register a hook on a tensor that doesn't require gradient"),
])
def test_backward_errors_match_torch(code, msg):
    for lib in LIBS:
        with pytest.raises(RuntimeError, match=msg):
            exec(code, {"lib": lib})


def test_which_tensors_require_grad_like_torch():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        assert b.requires_grad and not b.is_leaf and a.is_leaf and a.grad_fn is None
        assert not (a > 1).requires_grad
        assert not a.argmax().requires_grad
        assert not a.long().requires_grad
        d = a.detach()
        assert not d.requires_grad and d.is_leaf and np.shares_memory(arr(d), arr(a))
        b.detach_()
        assert not b.requires_grad and b.is_leaf
        c = a.clone()
        assert c.grad_fn.name() == "CloneBackward0" and not c.is_leaf


def test_next_functions_mirror_torch_structure():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        c = b + lib.tensor([1.0, 1.0])
        (fn_b, _), (fn_const, _) = c.grad_fn.next_functions
        assert fn_b is b.grad_fn and fn_const is None
        acc = b.grad_fn.next_functions[0][0]
        assert acc.variable is a and acc.name() == "torch::autograd::AccumulateGrad"


def test_backward_inputs_argument_limits_accumulation():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0], requires_grad=True)
        h = a * c
        (h * h).sum().backward(inputs=[a, h])
        return a.grad, c.grad, h.grad
    assert_same_grads(*both(run))


def test_autograd_backward_with_several_roots():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        lib.autograd.backward([(a * 2).sum(), a * a], [None, lib.tensor([1.0, -1.0])])
        return a.grad
    assert_same_grads(*both(run))


def test_autograd_backward_with_the_same_root_twice_and_a_root_inside_another():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (a * a).sum()
        lib.autograd.backward([y, y], [lib.tensor(1.0), lib.tensor(2.0)])
        first = a.grad.clone()
        h = a * 3
        lib.autograd.backward([h.sum(), h], [None, lib.tensor([1.0, -2.0])])
        return first, a.grad
    assert_same_grads(*both(run))


def test_grad_mode_restored_after_a_failing_backward():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (a * a).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()
        assert lib.is_grad_enabled()


# ---- autograd.grad --------------------------------------------------------------------------

def test_autograd_grad_values_and_no_accumulation():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([0.5, -1.0], requires_grad=True)
        h = a * w
        y = (h * h).sum()
        grads = lib.autograd.grad(y, [a, h, w])
        return grads, a.grad, w.grad
    (t_grads, t_ag, t_wg), (l_grads, l_ag, l_wg) = both(run)
    assert_same_grads(t_grads, l_grads)
    assert t_ag is None and l_ag is None and l_wg is None


def test_autograd_grad_with_grad_outputs_and_several_outputs():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = a * a
        g1 = lib.autograd.grad(y, a, lib.tensor([1.0, 3.0]), retain_graph=True)
        g2 = lib.autograd.grad([y.sum(), (y * 2).sum()], a)
        return g1, g2
    assert_same_grads(*both(run))


def test_autograd_grad_unused_inputs():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0], requires_grad=True)
        y = (a * 2).sum()
        with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used "
                                               "in the graph. Set allow_unused=True"):
            lib.autograd.grad(y, [a, b], retain_graph=True)
        ga, gb = lib.autograd.grad(y, [a, b], allow_unused=True, retain_graph=True)
        assert gb is None and ga.tolist() == [2.0, 2.0]
        _, gb = lib.autograd.grad(y, [a, b], allow_unused=True, materialize_grads=True)
        assert gb.tolist() == [0.0]


def test_autograd_grad_input_must_require_grad():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([1.0, 2.0])
        with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
            lib.autograd.grad((a * b).sum(), b)


def test_create_graph_is_refused_clearly():
    a = lamina.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        lamina.autograd.grad((a * a).sum(), a, create_graph=True)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        (a * a).sum().backward(create_graph=True)


# ---- grad modes ----------------------------------------------------------------------------

def test_grad_mode_context_managers():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            assert not (a * 2).requires_grad and not lib.is_grad_enabled()
            with lib.enable_grad():
                assert (a * 2).requires_grad
            assert not lib.is_grad_enabled()
        with lib.set_grad_enabled(False):
            assert not (a * 2).requires_grad
        with lib.inference_mode():
            assert not (a * 2).requires_grad and lib.is_inference_mode_enabled()
        with lib.inference_mode(False):
            assert (a * 2).requires_grad and not lib.is_inference_mode_enabled()
        assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()


def test_grad_mode_restored_after_exception():
    for lib in LIBS:
        with pytest.raises(ValueError):
            with lib.no_grad():
                raise ValueError
        assert lib.is_grad_enabled()


def test_set_grad_enabled_as_a_call():
    for lib in LIBS:
        lib.set_grad_enabled(False)
        try:
            assert not lib.is_grad_enabled()
        finally:
            lib.set_grad_enabled(True)
        assert lib.is_grad_enabled()


@pytest.mark.parametrize("decorator", ["no_grad()", "no_grad", "inference_mode()", "inference_mode",
                                       "set_grad_enabled(False)"])
def test_grad_modes_as_decorators(decorator):
    for lib in LIBS:
        deco = eval(f"lib.{decorator}", {"lib": lib})

        @deco
        def f(x):
            """doc"""
            return x * 2

        @deco
        def gen(x):
            yield x * 2
            yield x * 3

        a = lib.tensor([1.0], requires_grad=True)
        assert not f(a).requires_grad and f.__name__ == "f" and f.__doc__ == "doc"
        assert [r.requires_grad for r in gen(a)] == [False, False]
        assert lib.is_grad_enabled()


def test_enable_grad_decorator_inside_no_grad():
    for lib in LIBS:
        @lib.enable_grad()
        def f(x):
            return x * 2

        a = lib.tensor([1.0], requires_grad=True)
        with lib.no_grad():
            assert f(a).requires_grad


# ---- hooks and retain_grad -----------------------------------------------------------------

def test_hooks_on_leaves_and_non_leaves():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        a.register_hook(lambda g: seen.append(g.clone()))
        b = a * 2
        b.register_hook(lambda g: g * 10)
        (b * b + a * 3).sum().backward()
        return a.grad, seen
    (t_grad, t_seen), (l_grad, l_seen) = both(run)
    assert_same_grads(t_grad, l_grad)
    assert len(l_seen) == len(t_seen) == 1  # a leaf's hook sees the summed gradient once
    assert_same_grads(t_seen, l_seen)


def test_hook_handle_removes_the_hook():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        handle = a.register_hook(lambda g: g * 100)
        handle.remove()
        (a * a).sum().backward()
        return a.grad
    assert_same_grads(*both(run))


def test_retain_grad_on_non_leaf():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        b.retain_grad()
        c = b * 3
        (c * b).sum().backward()
        return b.grad, c.grad, a.grad, b.retains_grad, a.retains_grad
    t, l = both(run)
    assert_same_grads(t[:3], l[:3])
    assert t[3:] == l[3:]


def test_retain_grad_sees_hooked_gradient_in_registration_order():
    for order in ("hook_first", "retain_first"):
        def run(lib):
            a = lib.tensor([1.0, 2.0], requires_grad=True)
            b = a * 2
            if order == "hook_first":
                b.register_hook(lambda g: g * 10)
                b.retain_grad()
            else:
                b.retain_grad()
                b.register_hook(lambda g: g * 10)
            (b * b).sum().backward()
            return b.grad, a.grad
        assert_same_grads(*both(run))


# ---- custom Function --------------------------------------------------------------------------

def make_square(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x * x * scale

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 2 * x * ctx.scale, None
    return Square


def test_custom_function_matches_torch():
    def run(lib):
        Square = make_square(lib)
        a = lib.tensor([1.0, -2.0], requires_grad=True)
        y = Square.apply(a, 3.0)
        y.sum().backward()
        return a.grad, y.grad_fn.name(), y.requires_grad
    t, l = both(run)
    assert_same_grads(t[0], l[0])
    assert t[1:] == l[1:]


def test_custom_function_in_place_change_of_saved_tensor_is_an_error():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        y = make_square(lib).apply(b, 1.0)
        b.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_custom_function_with_two_outputs_calls_backward_once():
    def run(lib):
        calls = []

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                ctx.save_for_backward(x, w)
                return x * w, x + w

            @staticmethod
            def backward(ctx, g1, g2):
                calls.append(ctx.needs_input_grad)
                x, w = ctx.saved_tensors
                return g1 * w + g2, (g1 * x + g2 if ctx.needs_input_grad[1] else None)

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0])
        p, q = Two.apply(a, w)
        (p * q).sum().backward()
        return a.grad, calls
    (t_grad, t_calls), (l_grad, l_calls) = both(run)
    assert_same_grads(t_grad, l_grad)
    assert l_calls == t_calls == [(True, False)]


def test_custom_function_wrong_number_of_gradients():
    for lib in LIBS:
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g

        a = lib.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect number of gradients "
                                               r"\(expected 2, got 1\)"):
            Bad.apply(a, 2.0).sum().backward()


def test_custom_function_without_grad_inputs_records_nothing():
    for lib in LIBS:
        y = make_square(lib).apply(lib.tensor([1.0, 2.0]), 2.0)
        assert not y.requires_grad and y.grad_fn is None


def test_custom_function_setup_context_style():
    def run(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(x):
                return x ** 3

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(inputs[0])

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 3 * x * x * g

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        Cube.apply(a).sum().backward()
        return a.grad
    assert_same_grads(*both(run))


# ---- gradcheck --------------------------------------------------------------------------------

def test_gradcheck_accepts_correct_gradients():
    x = lamina.randn(3, 2, dtype=lamina.float64, requires_grad=True)
    w = lamina.randn(2, 4, dtype=lamina.float64, requires_grad=True)
    assert lamina.autograd.gradcheck(lambda x, w: (x @ w).tanh() * x.sum(), (x, w))
    t = x.detach().clone().transpose(0, 1).requires_grad_()  # non-contiguous input
    assert lamina.autograd.gradcheck(lambda t: (t * t).exp(), (t,))


def test_gradcheck_rejects_wrong_gradients():
    class Wrong(lamina.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = lamina.randn(3, dtype=lamina.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"):
        lamina.autograd.gradcheck(Wrong.apply, (x,))
    assert lamina.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    torch_x = torch.from_numpy(x.detach().numpy().copy()).requires_grad_()

    class TorchWrong(torch.autograd.Function):
        forward = staticmethod(Wrong.forward)
        backward = staticmethod(Wrong.backward)
    assert torch.autograd.gradcheck(TorchWrong.apply, (torch_x,), raise_exception=False) is False


def test_detect_anomaly_names_the_node_that_made_nan():
    for lib in LIBS:
        a = lib.tensor([0.0, 1.0], requires_grad=True)
        with pytest.warns(UserWarning) if lib is torch else _nothing():
            with lib.autograd.detect_anomaly():
                with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th "
                                                       "output."):
                    (a.sqrt() * 0).sum().backward()
        assert not (torch.is_anomaly_enabled() if lib is torch else lib.autograd.is_anomaly_enabled())
        a.grad = None
        (a.sqrt() * 0).sum().backward()  # off again: the NaN just flows into .grad
        assert np.isnan(a.grad[0].item())


def test_legacy_variable_returns_the_tensor():
    for lib in LIBS:
        t = lib.ones(2)
        v = lib.autograd.Variable(t, requires_grad=True)
        assert v.requires_grad and isinstance(v, lib.Tensor)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("lib", [torch, lamina], ids=["torch", "lamina"])
def test_grad_mode_is_per_thread(lib):
    """Grad mode belongs to a thread (as in PyTorch): no_grad in one thread leaves the others
    recording, a new thread starts with grad on, and overlapping no_grad blocks in several
    threads leave every thread as it was."""
    import threading
    seen = {}
    inside = threading.Barrier(2)

    def worker(name):
        seen[name + " start"] = lib.is_grad_enabled()
        with lib.no_grad():
            inside.wait()  # both threads are inside their no_grad blocks here
            seen[name + " inside"] = lib.is_grad_enabled()
            inside.wait()
        seen[name + " end"] = lib.is_grad_enabled()

    with lib.no_grad():  # the main thread's mode is not the new threads' starting mode
        threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not lib.is_grad_enabled()
    assert lib.is_grad_enabled()
    assert seen == {"a start": True, "b start": True, "a inside": False, "b inside": False,
                    "a end": True, "b end": True}


@pytest.mark.parametrize("expr", ["(x * 2).sum()", "(2 * x).sum()", "(x / 2).sum()", "x.sum() * 3", "(x - 2).sum()",
                                  "(x + 2).sum()", "(x * x).sum()", "x.exp().sum()", "(x ** 2).sum()"])
def test_second_backward_without_retain_graph_as_torch(expr):
    # PyTorch frees a node's saved values (a multiplier or divisor counts) after backward, so a
    # second backward raises; nodes that saved nothing (add, sub, sum) can run again
    outcomes = []
    for lib in (torch, lamina):
        x = lib.ones(3, requires_grad=True)
        y = eval(expr)
        y.backward()
        try:
            y.backward()
            outcomes.append(("ran", x.grad.tolist()))
        except RuntimeError as e:
            outcomes.append(("raised", str(e)[:60]))
    assert outcomes[0] == outcomes[1]


def test_retain_grad_needs_requires_grad():
    for lib in (torch, lamina):
        with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
            lib.ones(2).retain_grad()
        w = lib.ones(2, requires_grad=True)
        w.retain_grad()  # a leaf: nothing to do
        y = w * 3
        y.retain_grad()
        y.sum().backward()
        assert y.grad.tolist() == [1.0, 1.0] and w.grad.tolist() == [3.0, 3.0]


def _post_accumulate_log(lib):
    log = []
    w = lib.ones(2, requires_grad=True)
    handle = w.register_post_accumulate_grad_hook(lambda p: log.append(("post", p is w, p.grad.tolist())))
    w.register_hook(lambda g: log.append(("pre", g.tolist())))
    (w * 3).sum().backward()
    (w * 2).sum().backward()  # accumulates: the hook sees the sum
    handle.remove()
    (w * 1).sum().backward()
    for bad in (lib.ones(2), lib.ones(2, requires_grad=True) * 2):
        try:
            bad.register_post_accumulate_grad_hook(print)
        except RuntimeError as e:
            log.append(str(e))
    return log


def test_post_accumulate_grad_hook_matches_torch():
    assert _post_accumulate_log(lamina) == _post_accumulate_log(torch)


def test_materialize_grads_refuses_allow_unused_false():
    for lib in (torch, lamina):
        x = lib.ones(2, requires_grad=True)
        y = lib.ones(2, requires_grad=True)
        with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed when materialize_grads"):
            lib.autograd.grad((x * 2).sum(), [x, y], allow_unused=False, materialize_grads=True)
        gx, gy = lib.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
        assert gy.tolist() == [0.0, 0.0]


def test_backward_hooks_run_with_grad_mode_off_as_torch():
    """The 'optimizer step in a post-accumulate hook' pattern: an in-place update of the leaf
    inside the hook, which grad mode would refuse."""
    out = []
    for lib in (torch, lamina):
        seen = []
        v = lib.tensor([0.0, 0.0, 0.0], requires_grad=True)
        v.register_hook(lambda g: seen.append(lib.is_grad_enabled()))
        def step(p):
            seen.append(lib.is_grad_enabled())
            p.add_(p.grad, alpha=-0.01)
        v.register_post_accumulate_grad_hook(step)
        y = v * 2
        y.register_hook(lambda g: seen.append(lib.is_grad_enabled()))
        y.backward(lib.tensor([1.0, 2.0, 3.0]))
        out.append((seen, v.tolist(), lib.is_grad_enabled()))
    assert out[1] == out[0]


# ---- grad mode and inference mode together -------------------------------------------------------
def _mode_report(lib):
    """(is_grad_enabled, is_inference_mode_enabled, does x*2 record a graph) in nested modes."""
    x = lib.ones(2, requires_grad=True)
    seen = []

    def note():
        seen.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled(), (x * 2).requires_grad))
    with lib.no_grad():
        with lib.inference_mode(False):
            note()
    with lib.inference_mode():
        note()
        with lib.inference_mode(False):
            note()
        with lib.enable_grad():
            note()
        with lib.set_grad_enabled(True):
            note()
        with lib.no_grad():
            with lib.inference_mode(False):
                note()
    note()
    return seen


def test_nested_grad_and_inference_modes_as_torch():
    ours, theirs = both(_mode_report)
    assert ours == theirs
    # enable_grad inside inference_mode says grad is on and still records nothing
    assert theirs[3] == (True, True, False)


def test_grad_mode_is_off_inside_backward_hooks():
    def run(lib):
        seen = []
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: seen.append(lib.is_grad_enabled()))
        y.sum().backward()
        return seen, lib.is_grad_enabled()
    ours, theirs = both(run)
    assert ours == theirs == ([False], True)


@pytest.mark.parametrize("value", [0, None, "yes", 1.0])
def test_set_grad_enabled_takes_only_a_bool(value):
    for lib in LIBS:
        with pytest.raises(TypeError, match=rf"set_grad_enabled\(\): argument 'enabled' \(position 1\) must be bool, "
                                            rf"not {type(value).__name__}"):
            lib.set_grad_enabled(value)
        assert lib.is_grad_enabled()


# ---- what a tensor hook may return ---------------------------------------------------------------
def _named_sum(g):
    return g.sum()


HOOK_RESULTS = {
    "sum": lambda g: g.sum(), "int": lambda g: 5, "double": lambda g: g.double(), "list": lambda g: [1.0, 2.0, 3.0],
    "long": lambda g: g.long(), "unsqueezed": lambda g: g[None], "named": _named_sum,
}


@pytest.mark.parametrize("leaf", [True, False])
@pytest.mark.parametrize("kind", list(HOOK_RESULTS))
def test_hook_changing_the_gradients_size_or_type_is_refused_as_torch(kind, leaf):
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        t = x if leaf else x * 1
        t.register_hook(HOOK_RESULTS[kind])
        try:
            (t * 2).sum().backward()
        except (RuntimeError, TypeError) as e:
            return type(e), str(e)
        return "ran", arr(x.grad)
    ours, theirs = both(run)
    assert theirs[0] is not "ran"  # noqa: F632 (every hook above breaks PyTorch's rule)
    assert ours == theirs


# ---- autograd.grad: repeated inputs, retained grads, hooks ---------------------------------------
def test_grad_of_the_same_input_twice():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 3
        return list(lib.autograd.grad((h * x).sum(), [x, h, x, h]))
    ours, theirs = both(run)
    assert_same_grads(ours, theirs)


def test_grad_fills_retained_grads_and_captures_before_hooks():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 5)
        gh, gx = lib.autograd.grad((h * h).sum(), [h, x])
        return gh, gx, h.grad, x.grad
    ours, theirs = both(run)
    assert_same_grads(ours, theirs)


# ---- custom Function: what backward may return, dirty and returned inputs ------------------------
def _doubler(lib, backward_result, forward=None):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, *rest):
            return x * 2 if forward is None else forward(x, *rest)

        @staticmethod
        def backward(ctx, g):
            return backward_result(lib, g)
    return F


BACKWARD_RESULTS = {  # what a one-input Function's backward returns
    "extra trailing None": lambda lib, g: (g * 2, None),
    "extra gradient": lambda lib, g: (g * 2, g),
    "int": lambda lib, g: 3,
    "list": lambda lib, g: [g],
    "ndarray": lambda lib, g: np.ones(2, np.float32),
    "wrong shape": lambda lib, g: lib.ones(5),
    "shape that expands to the input's": lambda lib, g: lib.ones(3, 1, 2),
    "0-d": lambda lib, g: lib.tensor(1.0),
    "float64": lambda lib, g: g.double() * 3,
}


@pytest.mark.parametrize("kind", list(BACKWARD_RESULTS))
def test_function_backward_result_checked_as_torch(kind):
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        try:
            _doubler(lib, BACKWARD_RESULTS[kind]).apply(x).sum().backward()
        except RuntimeError as e:
            return str(e)
        return x.grad.dtype == lib.float32, arr(x.grad).tolist()
    ours, theirs = both(run)
    assert ours == theirs


def test_function_gradient_for_a_non_tensor_input_is_refused():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        F = _doubler(lib, lambda lib, g: (g, g), forward=lambda x, s: x * s)
        with pytest.raises(RuntimeError) as e:
            F.apply(x, 3.0).sum().backward()
        return str(e.value)
    ours, theirs = both(run)
    assert ours == theirs


def test_function_with_tensor_keyword_arguments():
    def run(lib):
        class Mul(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, w=None):
                ctx.save_for_backward(a, w)
                return a * w

            @staticmethod
            def backward(ctx, g):
                a, w = ctx.saved_tensors
                return g * w, g * a
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = Mul.apply(a, w=w)
        y.sum().backward()
        return a.grad, w.grad, Mul.apply(a=a, w=w).requires_grad
    ours, theirs = both(run)
    assert_same_grads(ours[:2], theirs[:2])
    assert ours[2] == theirs[2] is True


def test_function_vjp_is_backward_by_another_name():
    def run(lib):
        class V(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 3

        class Both(V):
            @staticmethod
            def backward(ctx, g):
                return g
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        V.apply(x).sum().backward()
        with pytest.raises(RuntimeError) as e:
            Both.apply(x).sum().backward()
        return arr(x.grad).tolist(), str(e.value)
    ours, theirs = both(run)
    assert ours == theirs


def _add_one_in_place(lib, returned=True):
    class AddOne_(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x if returned else x * 2

        @staticmethod
        def backward(ctx, g):
            return g
    return AddOne_


def test_function_mark_dirty_returns_the_input_with_new_history():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        c = _add_one_in_place(lib).apply(b)
        same, name = c is b, b.grad_fn.name()
        c.sum().backward()
        plain = lib.tensor([1.0, 2.0])
        out = _add_one_in_place(lib).apply(plain)
        return same, name, arr(a.grad).tolist(), out is plain, arr(plain).tolist()
    ours, theirs = both(run)
    assert ours == theirs


@pytest.mark.parametrize("case", ["leaf requiring grad", "dirty input not returned"])
def test_function_mark_dirty_errors(case):
    def run(lib):
        if case == "leaf requiring grad":
            x, fn = lib.tensor([1.0, 2.0], requires_grad=True), _add_one_in_place(lib)
        else:
            x, fn = lib.tensor([1.0, 2.0], requires_grad=True) * 1, _add_one_in_place(lib, returned=False)
        with pytest.raises(RuntimeError) as e:
            fn.apply(x)
        return str(e.value)
    ours, theirs = both(run)
    assert ours == theirs


def test_function_returning_its_input_gives_a_view():
    def run(lib):
        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        class Marked(Ident):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_non_differentiable(x)
                return x
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        c = Ident.apply(a)
        return c is a, c._base is a, c.requires_grad, Marked.apply(a).requires_grad
    ours, theirs = both(run)
    assert ours == theirs


def test_function_saved_tensors_during_forward_and_bad_saves():
    def run(lib):
        class Peek(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2, len(ctx.saved_tensors)

            @staticmethod
            def backward(ctx, g, _):
                return g

        class SaveInt(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, 3)
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return g
        seen = Peek.apply(lib.tensor([1.0], requires_grad=True))[1]
        SaveInt.apply(lib.tensor([1.0]))  # nothing recorded: nothing checked
        with pytest.raises(TypeError) as e:
            SaveInt.apply(lib.tensor([1.0], requires_grad=True))
        return seen, str(e.value)
    ours, theirs = both(run)
    assert ours == theirs


def test_legacy_function_instance_call_is_refused():
    def run(lib):
        class Old(lib.autograd.Function):
            def forward(self, x):
                return x
        with pytest.raises(RuntimeError) as e:
            Old()(lib.tensor([1.0]))
        return str(e.value)
    ours, theirs = both(run)
    assert ours == theirs


# ---- .grad, ._version, detach_(), float() as a user sees them --------------------------------------
GRAD_VALUES = {
    "wrong size": lambda lib, x: lib.ones(2),
    "float64": lambda lib, x: lib.ones(3, dtype=lib.float64),
    "float16 of wrong size": lambda lib, x: lib.ones(2, dtype=lib.float16),
    "int64": lambda lib, x: lib.ones(3, dtype=lib.int64),
    "a list": lambda lib, x: [1.0, 2.0, 3.0],
    "an int": lambda lib, x: 5,
    "itself": lambda lib, x: x,
    "fine": lambda lib, x: lib.full((3,), 2.0),
}


@pytest.mark.parametrize("kind", list(GRAD_VALUES))
def test_grad_assignment_checked_as_torch(kind):
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        try:
            x.grad = GRAD_VALUES[kind](lib, x)
        except (RuntimeError, TypeError) as e:
            return type(e), str(e), x.grad
        return "assigned", arr(x.grad).tolist()
    ours, theirs = both(run)
    assert ours == theirs


def _grad_reads(lib):
    """Which .grad reads warn: a leaf, a non-leaf, a non-leaf that retains its grad."""
    import warnings
    x = lib.ones(3, requires_grad=True)
    y, z = x * 2, x * 3
    z.retain_grad()
    seen = []
    for t in (x, y, z):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = t.grad
        seen.append((value is None, [str(w.message).split(" (Triggered")[0] for w in caught]))
    return seen


def test_reading_grad_of_a_non_leaf_warns_as_torch():
    ours, theirs = both(_grad_reads)
    assert ours == theirs
    assert theirs[1][1] and not theirs[0][1] and not theirs[2][1]


def test_version_is_an_int_shared_by_views():
    def run(lib):
        x = lib.zeros(2, 3)
        v = x[0]
        seen = [x._version]
        x.add_(1)
        v.mul_(2)
        seen += [x._version, v._version, type(x._version).__name__]
        return seen
    ours, theirs = both(run)
    assert ours == theirs


@pytest.mark.parametrize("kind", ["view of a plain tensor", "view of a leaf", "detached", "non-leaf"])
def test_detach_in_place_refused_on_views(kind):
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        t = {"view of a plain tensor": lambda: lib.ones(3)[:2], "view of a leaf": lambda: x[:2],
             "detached": lambda: x.detach(), "non-leaf": lambda: x * 2}[kind]()
        try:
            t.detach_()
        except RuntimeError as e:
            return str(e)
        return t.requires_grad, t.grad_fn is None
    ours, theirs = both(run)
    assert ours == theirs


def test_float_of_a_tensor_requiring_grad_warns_once_as_torch():
    import subprocess
    code = ("import warnings, {lib} as L\n"
            "warnings.simplefilter('always')\n"
            "x = L.tensor([1.5], requires_grad=True)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    float(x); float(x * 2); int(x); x.item()\n"
            "print([str(m.message).split(' (Triggered')[0] for m in w])\n")
    outs = [subprocess.run([sys.executable, "-c", code.format(lib=lib)], capture_output=True, text=True,
                           check=True).stdout for lib in ("torch", "lamina")]
    assert outs[0] == outs[1] and "requires_grad=True" in outs[0]


# ---- backward(inputs=), grad_outputs counts, is_grads_batched --------------------------------------
BAD_CALLS = {
    "backward with no inputs": lambda lib, x: (x * 2).sum().backward(inputs=[]),
    "backward input not requiring grad": lambda lib, x: (x * 2).sum().backward(inputs=[lib.ones(1)]),
    "fewer grad_outputs than outputs": lambda lib, x: lib.autograd.grad([x * 2, (x * 2).sum()], x,
                                                                        grad_outputs=[lib.ones(3)]),
    "empty grad_outputs": lambda lib, x: lib.autograd.grad([x * 2], x, grad_outputs=[]),
    "backward with fewer gradients": lambda lib, x: lib.autograd.backward([x * 2, x * 3], [lib.ones(3)]),
    "batched grad of the wrong shape": lambda lib, x: lib.autograd.grad(x * 2, x, grad_outputs=lib.ones(3, 2),
                                                                        is_grads_batched=True),
}


@pytest.mark.parametrize("kind", list(BAD_CALLS))
def test_backward_and_grad_argument_errors_as_torch(kind):
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            BAD_CALLS[kind](lib, x)
        return str(e.value)
    ours, theirs = both(run)
    assert ours == theirs


def test_extra_grad_outputs_are_ignored_as_torch():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        return lib.autograd.grad([x * 2], x, grad_outputs=[lib.ones(3), lib.ones(3)])
    ours, theirs = both(run)
    assert_same_grads(ours, theirs)


def test_grad_with_batched_grad_outputs():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * x * w
        rows = lib.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, -3.0]])
        return lib.autograd.grad(y, [x, w], grad_outputs=rows, is_grads_batched=True)
    ours, theirs = both(run)
    assert_same_grads(ours, theirs)


# ---- torch.autograd.graph ----------------------------------------------------------------------------
def test_gradient_edges_and_version_bumps_as_torch():
    def run(lib):
        graph = lib.autograd.graph
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        edge, leaf_edge = graph.get_gradient_edge(y), graph.get_gradient_edge(x)
        with pytest.raises(RuntimeError) as e:
            graph.get_gradient_edge(lib.ones(2))
        z = lib.ones(2)
        versions = [z._version]
        graph.increment_version(z)
        versions.append(z._version)
        graph.increment_version([z, z])
        versions.append(z._version)
        return (edge.node.name(), edge.output_nr, leaf_edge.node.name(), isinstance(y.grad_fn, graph.Node),
                str(e.value), versions)
    ours, theirs = both(run)
    assert ours == theirs


def test_save_on_cpu_and_disabled_hooks():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        with lib.autograd.graph.save_on_cpu(pin_memory=False):
            (x * 3).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
        with lib.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass


def test_saved_tensor_hooks_refused_with_a_reason():
    with pytest.raises(NotImplementedError, match="backward"):
        with lamina.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass


def test_view_taken_under_no_grad_still_requires_grad_as_torch():
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        with lib.no_grad():
            v = x[:2]
            w = x.view(3)
            d = x.detach()[:1]
        with lib.inference_mode():
            q = x[:2]
        flags = [(t.requires_grad, t.is_leaf, t.grad_fn is None) for t in (v, w, d, q)]
        (v * 2).sum().backward()  # PyTorch runs this and no gradient reaches v or x
        return flags, v.grad, x.grad, repr(v)
    ours, theirs = both(run)
    assert ours == theirs


GRAD_FN_CASES = {
    "adaptive avg 2-d to 1": lambda lib, x: lib.nn.AdaptiveAvgPool2d(1)(x),
    "adaptive avg 2-d to (1, 2)": lambda lib, x: lib.nn.AdaptiveAvgPool2d((1, 2))(x),
    "adaptive avg 3-d to 1": lambda lib, x: lib.nn.AdaptiveAvgPool3d(1)(x),
    "adaptive avg 1-d": lambda lib, x: lib.nn.AdaptiveAvgPool1d(2)(x[0]),
    "adaptive max 1-d": lambda lib, x: lib.nn.AdaptiveMaxPool1d(1)(x[0]),
    "adaptive max 2-d": lambda lib, x: lib.nn.AdaptiveMaxPool2d(2)(x),
    "kl_div none": lambda lib, x: lib.nn.functional.kl_div(x.log_softmax(-1), x.softmax(-1).detach(), reduction="none"),
    "kl_div none, log target": lambda lib, x: lib.nn.functional.kl_div(x, x.detach(), reduction="none",
                                                                        log_target=True),
    "kl_div sum": lambda lib, x: lib.nn.functional.kl_div(x.log_softmax(-1), x.softmax(-1).detach(), reduction="sum"),
    "kl_div batchmean": lambda lib, x: lib.nn.KLDivLoss(reduction="batchmean")(x.log_softmax(-1),
                                                                               x.softmax(-1).detach()),
    "Linear on 3-D input": lambda lib, x: lib.nn.functional.linear(x[0], x[0, 0, :2]),
    "linear without bias on 3-D input": lambda lib, x: lib.nn.functional.linear(x[0], x[0, 0]),
    "linear without bias on a vector": lambda lib, x: lib.nn.functional.linear(x[0, 0, 0], x[0, 0]),
    "number ** tensor": lambda lib, x: 2 ** x,
    "0-d integer tensor index": lambda lib, x: x[lib.tensor(1)],
}


@pytest.mark.parametrize("case", list(GRAD_FN_CASES))
def test_grad_fn_names_printed_as_torch(case):
    def run(lib):
        x = lib.from_numpy(np.linspace(-1, 1, 2 * 3 * 4 * 4).astype(np.float32).reshape(2, 3, 4, 4))
        x.requires_grad_()
        return GRAD_FN_CASES[case](lib, x).grad_fn.name()
    ours, theirs = both(run)
    assert ours == theirs
