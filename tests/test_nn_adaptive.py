"""AdaptiveLogSoftmaxWithLoss: (output, loss) namedtuple, log_prob and predict against PyTorch,
with gradients for the input and every head and tail weight; structure, repr and errors."""
import numpy as np
import pytest
import torch

import lamina
from oracle import assert_same, check_error, copy_weights

CONFIGS = [  # in_features, n_classes, cutoffs, div_value, head_bias
    (8, 10, [3, 6], 2.0, False),
    (16, 20, [5], 4.0, True),
    (12, 30, [4, 10, 20], 1.5, False),
]


def _pair(cfg, dtype="float32"):
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(*cfg[:3], div_value=cfg[3], head_bias=cfg[4])
    l = lamina.nn.AdaptiveLogSoftmaxWithLoss(*cfg[:3], div_value=cfg[3], head_bias=cfg[4])
    if dtype == "float64":
        t, l = t.double(), l.double()
    copy_weights(t, l)
    return t, l


def _grads_match(t, l, tx, lx, tol):
    assert_same(tx.grad, lx.grad, tol, tol, "input grad")
    lp = dict(l.named_parameters())
    for name, p in t.named_parameters():
        if p.grad is None:
            assert lp[name].grad is None, name
        else:
            assert_same(p.grad, lp[name].grad, tol, tol, f"grad of {name}")


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_output_loss_and_grads(cfg, dtype):
    t, l = _pair(cfg, dtype)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9, cfg[0])).astype(dtype)
    y = rng.integers(0, cfg[1], 9)
    y[:2] = [0, cfg[1] - 1]
    tx, lx = torch.tensor(x, requires_grad=True), lamina.tensor(x, requires_grad=True)
    tr, lr = t(tx, torch.tensor(y)), l(lx, lamina.tensor(y))
    assert type(lr).__name__ == "_ASMoutput" and lr._fields == ("output", "loss")
    tol = 1e-5 if dtype == "float32" else 1e-10
    assert_same(tr.output, lr.output, tol, tol * 10, "output")
    assert_same(tr.loss, lr.loss, tol, tol * 10, "loss")
    up = rng.standard_normal(9).astype(dtype)
    (tr.loss + (tr.output * torch.tensor(up)).sum()).backward()
    (lr.loss + (lr.output * lamina.tensor(up)).sum()).backward()
    _grads_match(t, l, tx, lx, tol * 10)


def test_only_shortlist_targets_and_unbatched():
    t, l = _pair(CONFIGS[0])
    x = np.random.default_rng(1).standard_normal((4, 8)).astype("float32")
    for y in ([0, 1, 2, 1], [9, 8, 7, 6]):
        tr, lr = t(torch.tensor(x), torch.tensor(y)), l(lamina.tensor(x), lamina.tensor(y))
        assert_same(tr.output, lr.output, 1e-5, 1e-4)
        assert_same(tr.loss, lr.loss, 1e-5, 1e-4)
    tr, lr = t(torch.tensor(x[0]), torch.tensor(5)), l(lamina.tensor(x[0]), lamina.tensor(5))
    assert tuple(lr.output.shape) == () and tuple(tr.output.shape) == ()
    assert_same(tr.output, lr.output, 1e-5, 1e-4)
    assert_same(tr.loss, lr.loss, 1e-5, 1e-4)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_log_prob_and_predict(cfg):
    t, l = _pair(cfg, "float64")
    x = np.random.default_rng(2).standard_normal((12, cfg[0])) * 3
    tx, lx = torch.tensor(x, requires_grad=True), lamina.tensor(x, requires_grad=True)
    tlp, llp = t.log_prob(tx), l.log_prob(lx)
    assert_same(tlp, llp, 1e-10, 1e-8, "log_prob")
    np.testing.assert_allclose(np.exp(llp.detach().numpy()).sum(1), 1.0, rtol=1e-10)
    up = np.random.default_rng(3).standard_normal(tlp.shape)
    (tlp * torch.tensor(up)).sum().backward()
    (llp * lamina.tensor(up)).sum().backward()
    _grads_match(t, l, tx, lx, 1e-9)
    assert_same(t.predict(torch.tensor(x)), l.predict(lamina.tensor(x)), 0, 0, "predict")


def test_predict_all_in_shortlist_or_all_in_clusters():
    t, l = _pair(CONFIGS[0], "float64")
    x = np.random.default_rng(4).standard_normal((6, 8))
    for bias_col in (0, 4):  # push every row's head argmax into the shortlist, then into cluster 2
        w = np.zeros((5, 8))
        w[bias_col] = 100.0
        t.head.weight.data = torch.tensor(w)
        l.head.weight.data = lamina.tensor(w)
        xp = np.abs(x)
        expected = t.predict(torch.tensor(xp))
        assert bool((expected >= 3).all()) == (bias_col == 4)
        assert_same(expected, l.predict(lamina.tensor(xp)), 0, 0, "predict")


def test_structure_repr_and_state_dict():
    cfg = CONFIGS[2]
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(*cfg[:3], div_value=cfg[3], head_bias=True)
    l = lamina.nn.AdaptiveLogSoftmaxWithLoss(*cfg[:3], div_value=cfg[3], head_bias=True)
    assert repr(l) == repr(t)
    assert {k: tuple(v.shape) for k, v in l.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in t.state_dict().items()}
    for attr in ("cutoffs", "shortlist_size", "n_clusters", "head_size", "div_value", "in_features", "n_classes"):
        assert getattr(l, attr) == getattr(t, attr), attr


def test_errors():
    def mod(lib, cutoffs=(3, 6)):
        return lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, list(cutoffs))
    for bad in ([6, 3], [0, 3], [3, 10], [3, 3], [2.5]):
        check_error(lambda lib: mod(lib, bad), ValueError,
                    "cutoffs should be a sequence of unique, positive integers sorted in an increasing order")
    check_error(lambda lib: mod(lib, []), ValueError, "cutoffs should be a sequence of length larger than 0")
    check_error(lambda lib: mod(lib)(lib.ones(3, 8), lib.tensor([0, 1])), RuntimeError,
                "Input and target should have the same size in the batch dimension.")
    check_error(lambda lib: mod(lib)(lib.ones(2, 2, 8), lib.tensor([0, 1])), RuntimeError,
                r"1D target tensor expects 2D input tensors, but found inputs with size torch.Size\(\[2, 2, 8\]\)")
    check_error(lambda lib: mod(lib)(lib.ones(2, 8), lib.tensor(1)), RuntimeError,
                r"0D target tensor expects 1D input tensors, but found inputs with size torch.Size\(\[2, 8\]\)")
    check_error(lambda lib: mod(lib)(lib.ones(2, 8), lib.zeros(2, 1, dtype=lib.long)), RuntimeError,
                "0D or 1D target tensor expected, multi-target not supported")
    check_error(lambda lib: mod(lib)(lib.ones(3, 8), lib.tensor([0, 12, -1])), RuntimeError,
                r"Target values should be in \[0, 9\], but values in range \[-1, 12\] were found. ")
