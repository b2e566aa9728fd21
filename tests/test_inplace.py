"""In-place ops against PyTorch: values, version counters, the leaf and saved-tensor errors, graph
rebasing of non-leaves (x = a*2; x.add_(1); x[0] = 5), writes through views (CopySlices), and the
ops optimizers and nn.init rely on."""
import numpy as np
import pytest
import torch

import lamina

LIBS = [torch, lamina]


def run_both(code):
    """Run `code` with lib=torch and lib=lamina; return the two namespaces' `out` (or the error)."""
    results = []
    for lib in LIBS:
        ns = {"lib": lib, "np": np}
        try:
            exec(code, ns)
            results.append(ns.get("out"))
        except Exception as e:  # noqa: BLE001 - the error itself is compared
            results.append((type(e), str(e)))
    return results


def as_plain(x):
    if isinstance(x, (list, tuple)):
        return [as_plain(i) for i in x]
    if hasattr(x, "detach"):
        return np.round(x.detach().numpy().astype(float), 5).tolist()
    return x


def same(code):
    t, l = run_both(code)
    if isinstance(t, tuple) and isinstance(t[0], type):
        assert isinstance(l, tuple) and l[0] is t[0] and l[1][:60] == t[1][:60], f"torch raised {t}, lamina gave {l}"
        return
    assert as_plain(l) == as_plain(t)


LEAF = "a = lib.tensor([[1., -2., 3.], [4., 5., -6.]], requires_grad=True); "

GRAPH_CASES = [
    # rebasing a non-leaf: gradients flow through the in-place op
    LEAF + "x = a * 2; x.add_(1); x.sum().backward(); out = [a.grad, x, x.grad_fn.name()]",
    LEAF + "x = a * 2; x.mul_(a); x.sum().backward(); out = [a.grad, x]",
    LEAF + "x = a * 2; x.add_(1); x[0] = 5; (x * x).sum().backward(); out = [a.grad, x]",
    LEAF + "x = a * 2; x[0, 1] = a[1, 1] * 3; (x * x).sum().backward(); out = a.grad",
    LEAF + "x = a * 2; x[:, 1:] *= 3; (x * x).sum().backward(); out = [a.grad, x]",
    LEAF + "x = a * 2; x[x > 3] = 0.; (x * x).sum().backward(); out = [a.grad, x, x.grad_fn.name()]",
    LEAF + "x = a * 2; x[lib.tensor([1, 0, 1])] += 1; x.sum().backward(); out = [a.grad, x]",
    LEAF + "x = a * 2; x.clamp_(min=0, max=5); x.sum().backward(); out = [a.grad, x]",
    LEAF + "x = a * 1; x.masked_fill_(x > 2, -1.); (x * a).sum().backward(); out = a.grad",
    LEAF + "x = a.sin(); x.div_(2); x.sum().backward(); out = a.grad",
    LEAF + "x = a * 1; x.sub_(a, alpha=3); x.sum().backward(); out = a.grad",
    # an op that used the value before the in-place change keeps that value's graph
    LEAF + "x = a * 2; y = x + 1; x.mul_(3); (y * y).sum().backward(); out = a.grad",
    # writes through views rebase the base
    LEAF + "b = a * 1; v = b[0]; v.mul_(2); b.sum().backward(); out = [a.grad, b, b.grad_fn.name()]",
    LEAF + "b = a * 1; b[:, 1].mul_(3); (b * b).sum().backward(); out = [a.grad, b]",
    LEAF + "b = a * 1; b.t()[0].zero_(); (b * a).sum().backward(); out = [a.grad, b]",
    LEAF + "b = a * 1; b.view(-1)[1:4].mul_(a.view(-1)[:3]); (b * b).sum().backward(); out = [a.grad, b]",
    LEAF + "b = a * 1; w = b[1]; b[0].mul_(2); b.mul_(2); (w * w).sum().backward(); out = a.grad",
    LEAF + "b = a * 1; v = b[0]; b.mul_(2); v.sum().backward(); out = a.grad",
    LEAF + "b = a * 1; v = b.transpose(0, 1); u = v[1]; u.add_(10); (b * b).sum().backward(); out = [a.grad, b]",
    LEAF + "c = lib.zeros(2, 3); c[0] = a[1] * 2; c[1, :2] = a[0, 1:]; (c * c).sum().backward(); "
           "out = [a.grad, c, c.is_leaf, c.grad_fn.name()]",
    LEAF + "b = a * 1; b.zero_(); b.sum().backward(); out = [a.grad, b.grad_fn.name()]",
    LEAF + "b = a * 1; b.fill_(3); b.sum().backward(); out = [a.grad, b]",
    LEAF + "c = lib.tensor([1., 2., 3.], requires_grad=True); b = a * 1; b.copy_(c * 2); (b * b).sum().backward(); "
           "out = [a.grad, c.grad, b, b.grad_fn.name()]",
    LEAF + "b = a * 1; b.uniform_(); b.sum().backward(); out = [a.grad, b.grad_fn.name()]",
    LEAF + "b = a * 1; b.normal_(); b.sum().backward(); out = [a.grad, b.grad_fn.name()]",
    LEAF + "b = a * 2; b.unsqueeze_(0); b.t_() if False else None; (b * b).sum().backward(); out = [a.grad, b]",
    "c = lib.tensor([3., 4.], requires_grad=True); a = lib.zeros(2); a.add_(c); a.sum().backward(); "
    "out = [c.grad, a.is_leaf, a.requires_grad]",
]


@pytest.mark.parametrize("code", GRAPH_CASES)
def test_inplace_graph_matches_torch(code):
    same(code)


ERROR_CASES = [
    ("a = lib.ones(2, requires_grad=True); a.add_(1)", "a leaf Variable that requires grad is being used in an "
                                                       "in-place operation."),
    ("a = lib.ones(2, requires_grad=True); a[0] = 2.", "a view of a leaf Variable that requires grad is being used "
                                                       "in an in-place operation."),
    ("a = lib.ones(2, requires_grad=True); a[0].mul_(2)", "a view of a leaf Variable that requires grad"),
    ("a = lib.ones(2, requires_grad=True); a.zero_()", "a leaf Variable that requires grad"),
    ("a = lib.ones(2, requires_grad=True); a.uniform_()", "a leaf Variable that requires grad"),
    ("a = lib.ones(2, requires_grad=True); a.copy_(lib.zeros(2))", "a leaf Variable that requires grad"),
    ("a = lib.ones(2, requires_grad=True); a += 1", "a leaf Variable that requires grad"),
    ("a = lib.ones(2, requires_grad=True); x = a * 2\nwith lib.no_grad(): v = x[0]\nv.mul_(3)",
     "A view was created in no_grad mode and is being modified inplace with grad mode enabled."),
    ("a = lib.ones(2, requires_grad=True); x = a * 2; y = x * x; x.add_(1); y.sum().backward()",
     r"one of the variables needed for gradient computation has been modified by an inplace operation: "
     r"\[torch.FloatTensor \[2\]\], which is output 0 of Add, is at version 1; expected version 0 instead."),
    ("a = lib.ones(2, requires_grad=True); x = a.exp(); x.add_(1); x.sum().backward()",
     r"modified by an inplace operation: \[torch.FloatTensor \[2\]\], which is output 0 of Exp, is at version 1; "
     r"expected version 0 instead."),
    ("a = lib.ones(2, requires_grad=True); y = a * a\nwith lib.no_grad(): a.add_(1)\ny.sum().backward()",
     r"modified by an inplace operation: \[torch.FloatTensor \[2\]\] is at version 1; expected version 0"),
    ("a = lib.ones(2, requires_grad=True); d = a.detach(); y = a * a; d.add_(1); y.sum().backward()",
     r"\[torch.FloatTensor \[2\]\] is at version 1; expected version 0"),
    ("a = lib.ones(2, requires_grad=True); x = a.sigmoid(); x.mul_(2); x.sum().backward()",
     "which is output 0 of Sigmoid"),
    ("a = lib.ones(2, requires_grad=True); x = a * 2; x.mul_(x); x.sum().backward()",
     "modified by an inplace operation"),
    ("a = lib.ones(2, 2, requires_grad=True); b = a * 1; v = b[0]; y = v * v; b.mul_(2); y.sum().backward()",
     "modified by an inplace operation"),
    ("x = lib.ones(3); x.expand(2, 3).add_(1)", "unsupported operation: more than one element of the written-to "
                                                "tensor refers to a single memory location"),
    ("x = lib.ones(3, dtype=lib.int64); x.div_(2)", "result type Float can't be cast to the desired output type Long"),
    ("x = lib.ones(3, dtype=lib.int64); x.add_(1.5)", "result type Float can't be cast to the desired output type "
                                                      "Long"),
    ("x = lib.ones(2, 1); x.add_(lib.ones(2, 3))", r"output with shape \[2, 1\] doesn't match the broadcast shape "
                                                   r"\[2, 3\]"),
    ("x = lib.ones(2, 3); x.copy_(lib.ones(4))", r"The size of tensor a \(3\) must match the size of tensor b \(4\) "
                                                 r"at non-singleton dimension 1"),
    ("x = lib.ones(2, dtype=lib.int64); x.uniform_()", "\"check_uniform_bounds\" not implemented for 'Long'"),
    ("x = lib.ones(2, dtype=lib.int64); x.normal_()", "\"normal_kernel_cpu\" not implemented for 'Long'"),
]


@pytest.mark.parametrize("code, msg", ERROR_CASES)
def test_inplace_errors_match_torch(code, msg):
    for lib in LIBS:
        with pytest.raises((RuntimeError, NotImplementedError), match=msg):
            exec(code, {"lib": lib})


def test_inplace_under_no_grad_on_leaves_is_allowed_and_keeps_leaf():
    for lib in LIBS:
        w = lib.ones(2, 3, requires_grad=True)
        with lib.no_grad():
            w.mul_(2).add_(1)
            w[0, 0] = 0.0
            w.uniform_(-1, 1).zero_()
            w.copy_(lib.full((2, 3), 0.5))
            w.clamp_(max=0.25)
        assert w.is_leaf and w.requires_grad and w.grad_fn is None
        assert w.tolist() == [[0.25] * 3] * 2


@pytest.mark.parametrize("code", [
    "x = lib.ones(2, 3); x.add_(2).mul_(3).sub_(1).div_(4); out = x",
    "x = lib.arange(6.).reshape(2, 3); x.add_(lib.ones(3), alpha=2); out = x",
    "x = lib.arange(6.).reshape(2, 3); x.clamp_(1, 4); out = x",
    "x = lib.arange(6.).reshape(2, 3); x.fill_(lib.tensor(2.5)); out = x",
    "x = lib.arange(6.).reshape(2, 3); x.masked_fill_(x > 2, -1); out = x",
    "x = lib.arange(6).reshape(2, 3); x.mul_(2); x.add_(1); out = x",
    "x = lib.zeros(2, 3); x.copy_(lib.arange(3)); out = x",
    "x = lib.zeros(2, 3, dtype=lib.int64); x.copy_(lib.tensor([1.7, -1.7, 2.2])); out = x",
    "x = lib.zeros(3); x += 1; x *= 4; x -= 1; x /= 2; out = x",
    "x = lib.zeros(2, 3); x[0] = lib.arange(3.); x[:, 0] += 10; x[x > 5] = 7; out = x",
    "x = lib.zeros(4); x[lib.tensor([0, 0, 2])] = lib.tensor([1., 2., 3.]); out = x",
    "x = lib.arange(6.).reshape(2, 3); x.t_(); out = [x, list(x.shape)]",
    "x = lib.arange(6.).reshape(2, 3); x.unsqueeze_(1).squeeze_(); out = [x, list(x.shape)]",
])
def test_inplace_values_match_torch(code):
    same(code)


def test_version_counter_moves_with_every_write_and_is_shared_by_views():
    for lib in LIBS:
        x = lib.zeros(2, 3)
        view = x[0]
        version = (lambda t: t._version)
        assert version(x) == 0
        x.add_(1)
        x[1] = 2.0
        view.mul_(3)
        x.zero_()
        assert version(x) == version(view) == 4


def test_random_fills_draw_from_the_right_distribution():
    lamina.manual_seed(0)
    x = lamina.empty(20000)
    x.uniform_(-2, 3)
    assert -2 <= x.min().item() and x.max().item() < 3 and abs(x.mean().item() - 0.5) < 0.05
    x.normal_(1.0, 2.0)
    assert abs(x.mean().item() - 1.0) < 0.06 and abs(x.std().item() - 2.0) < 0.06
    assert x.dtype == lamina.float32
    b = lamina.empty(20000).bernoulli_(0.25)
    assert set(np.unique(b.numpy()).tolist()) <= {0.0, 1.0} and abs(b.mean().item() - 0.25) < 0.02
    r = lamina.empty(1000, dtype=lamina.int64).random_(3, 7)
    assert set(np.unique(r.numpy()).tolist()) == {3, 4, 5, 6}


def test_write_through_numpy_from_numpy_share_memory():
    arr = np.zeros(3, dtype=np.float32)
    t = lamina.from_numpy(arr)
    t.add_(1)
    assert arr.tolist() == [1.0, 1.0, 1.0]
    arr[0] = 5
    assert t[0].item() == 5.0
