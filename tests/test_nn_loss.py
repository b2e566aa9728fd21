"""Loss functions and modules against PyTorch: values, input (and target) gradients, every
reduction, weights, ignore_index, label smoothing, K-dimensional input and error messages."""
import re
import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina import _accel
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module

pytestmark = pytest.mark.usefixtures("kernel_path")  # the compiled kernels (lamina/_accel) and NumPy

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = ["float32", "float64"]
rng = np.random.default_rng(1)


def _probs(shape, dtype="float32"):
    return rng.uniform(0.02, 0.98, shape).astype(dtype)


def _classes(shape, c):
    return rng.integers(0, c, shape).astype(np.int64)


# ---- regression losses --------------------------------------------------------------------------
@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                     ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0}),
                                     ("huber_loss", {}), ("huber_loss", {"delta": 0.4})])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (5,), (), (2, 0)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_regression_losses(name, kw, reduction, shape, dtype):
    check(lambda lib, x, y: getattr(lib.nn.functional, name)(x, y, reduction=reduction, **kw), [shape, shape],
          dtype=dtype)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_losses(name, reduction):
    w = rng.uniform(0.1, 2, (4, 3)).astype("float32")
    check(lambda lib, x, y, w: getattr(lib.nn.functional, name)(x, y, reduction=reduction, weight=w),
          [(4, 3), (4, 3), w], grad_inputs=[0, 1])


def test_weight_shape_error():
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        LF.mse_loss(lamina.randn(3), lamina.randn(3), weight=lamina.ones(2))


def test_broadcasting_target_warns_and_matches_torch():
    for lib in (torch, lamina):
        with pytest.warns(UserWarning, match=r"Using a target size \((torch|lamina)\.Size\(\[3, 1\]\)\) that is "
                                             r"different to the input size"):
            lib.nn.functional.mse_loss(lib.ones(3), lib.ones(3, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda lib, x, y: lib.nn.functional.mse_loss(x, y), [(3,), (3, 1)])
        check(lambda lib, x, y: lib.nn.functional.l1_loss(x, y, reduction="none"), [(2, 3), (3,)])


def test_mixed_precision_promotes_like_torch():
    check(lambda lib, x, y: lib.nn.functional.mse_loss(x, y), [np.ones(3, "float32"), np.zeros(3, "float64")])


@pytest.mark.parametrize("bad", ["avg", "elementwise"])
def test_invalid_reduction(bad):
    for lib in (torch, lamina):
        with pytest.raises(ValueError, match=f"{bad} is not a valid value for reduction"):
            lib.nn.functional.mse_loss(lib.ones(2), lib.ones(2), reduction=bad)
    with pytest.raises(ValueError, match=f"{bad} is not a valid value for reduction"):
        LF.cross_entropy(lamina.ones(2, 3), lamina.tensor([0, 1]), reduction=bad)


def test_legacy_size_average_reduce():
    for kw in [{"size_average": False}, {"reduce": False}, {"size_average": True, "reduce": True}]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(lambda lib, x, y: lib.nn.functional.mse_loss(x, y, **kw), [(3, 2), (3, 2)])
            assert lnn.MSELoss(**kw).reduction == torch.nn.MSELoss(**kw).reduction


# ---- binary cross-entropy ------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (6,), ()])
@pytest.mark.parametrize("dtype", DTYPES)
def test_bce(reduction, shape, dtype):
    check(lambda lib, x, y: lib.nn.functional.binary_cross_entropy(x, y, reduction=reduction),
          [_probs(shape, dtype), _probs(shape, dtype)], dtype=dtype)


@pytest.mark.parametrize("wshape", [(4, 3), (3,)])
def test_bce_weight(wshape):
    w = rng.uniform(0.5, 2, wshape).astype("float32")
    check(lambda lib, x, y, w: lib.nn.functional.binary_cross_entropy(x, y, weight=w),
          [_probs((4, 3)), _probs((4, 3)), w], grad_inputs=[0, 1])


def test_bce_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.5, 0.0], dtype="float32")
    y = np.array([1.0, 0.0, 1.0, 0.0], dtype="float32")
    check(lambda lib, x, y: lib.nn.functional.binary_cross_entropy(x, y, reduction="none"), [x, y],
          grad_inputs=[0], rtol=1e-5)
    check(lambda lib, x, y: lib.nn.functional.binary_cross_entropy(x, y), [x, y], grad_inputs=[0])


def test_bce_errors():
    for lib, size in ((torch, "torch.Size"), (lamina, "torch.Size")):
        with pytest.raises(ValueError, match=rf"Using a target size \({size}\(\[3, 1\]\)\) that is different to the "
                                             rf"input size \({size}\(\[3\]\)\) is deprecated. Please ensure they "
                                             r"have the same size."):
            lib.nn.functional.binary_cross_entropy(lib.rand(3), lib.rand(3, 1))
    for lib in (torch, lamina):
        for bad in ([1.5, 0.5], [0.5, -0.25], [0.5, float("nan")]):
            with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
                lib.nn.functional.binary_cross_entropy(lib.tensor(bad), lib.tensor([1.0, 0.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_weight,with_pos", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits(reduction, dtype, with_weight, with_pos):
    x = (rng.standard_normal((5, 3)) * 4).astype(dtype)
    y = _probs((5, 3), dtype)
    w = rng.uniform(0.5, 2, (5, 3)).astype(dtype)
    pw = rng.uniform(0.5, 3, (3,)).astype(dtype)

    def fn(lib, x, y, w, pw):
        return lib.nn.functional.binary_cross_entropy_with_logits(
            x, y, weight=w if with_weight else None, pos_weight=pw if with_pos else None, reduction=reduction)
    check(fn, [x, y, w, pw], dtype=dtype, grad_inputs=[0, 1])


def test_non_differentiable_arguments_refused_like_torch():
    x, y = lamina.randn(3, requires_grad=True), lamina.rand(3)
    w = lamina.rand(3, requires_grad=True)
    for call, fn, arg in [
        (lambda: LF.binary_cross_entropy_with_logits(x, y, weight=w), "binary_cross_entropy_with_logits", "weight"),
        (lambda: LF.binary_cross_entropy_with_logits(x, y, pos_weight=w), "binary_cross_entropy_with_logits",
         "pos_weight"),
        (lambda: LF.binary_cross_entropy(y, y, weight=w), "binary_cross_entropy", "weight"),
        (lambda: LF.cross_entropy(lamina.randn(2, 3), lamina.tensor([0, 1]), weight=w), "nll_loss_forward", "weight"),
        (lambda: LF.soft_margin_loss(x, w), "soft_margin_loss", "target"),
    ]:
        with pytest.raises(RuntimeError, match=f"The function '{fn}' is not differentiable with respect to "
                                               f"argument '{arg}'. This input cannot have requires_grad True."):
            call()


def test_bce_with_logits_is_stable_for_huge_logits():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype="float32")
    y = np.array([1.0, 0.0, 0.5, 1.0, 0.0], dtype="float32")
    check(lambda lib, x, y: lib.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none"), [x, y])


def test_bce_with_logits_size_error():
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3, 1\]\)\) must be the same as input size "
                                         r"\(torch.Size\(\[3\]\)\)"):
        LF.binary_cross_entropy_with_logits(lamina.rand(3), lamina.rand(3, 1))


# ---- cross-entropy and NLL ------------------------------------------------------------------------
CE_SHAPES = [((4, 5), (4,)), ((5,), ()), ((3, 4, 6), (3, 6)), ((2, 3, 4, 5), (2, 4, 5)), ((2, 3, 2, 2, 2), (2, 2, 2, 2)),
             ((0, 5), (0,))]


@pytest.mark.parametrize("ishape,tshape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_class_indices(ishape, tshape, reduction, dtype):
    c = ishape[0] if len(ishape) == 1 else ishape[1]
    check(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, reduction=reduction),
          [ishape, _classes(tshape, c)], dtype=dtype)


@pytest.mark.parametrize("ishape,tshape", CE_SHAPES[:4])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2, 1.0])
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("ignore", [None, 1])
def test_cross_entropy_options(ishape, tshape, reduction, smoothing, use_weight, ignore):
    c = ishape[0] if len(ishape) == 1 else ishape[1]
    w = rng.uniform(0.2, 3, c).astype("float64")
    t = _classes(tshape, c)
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    if ignore is not None:
        kw["ignore_index"] = ignore

    def fn(lib, x, t, w):
        return lib.nn.functional.cross_entropy(x, t, weight=w if use_weight else None, **kw)
    check(fn, [ishape, t, w], dtype="float64", grad_inputs=[0])


def test_cross_entropy_all_targets_ignored_gives_nan_like_torch():
    t = np.full(3, -100, dtype=np.int64)
    for reduction in REDUCTIONS:
        check(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, reduction=reduction), [(3, 4), t])


@pytest.mark.parametrize("ishape", [(4, 5), (5,), (3, 4, 6), (2, 3, 2, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("use_weight", [False, True])
def test_cross_entropy_probabilities(ishape, reduction, smoothing, use_weight):
    c = ishape[0] if len(ishape) == 1 else ishape[1]
    p = rng.uniform(0, 1, ishape)
    p = (p / p.sum(axis=0 if len(ishape) == 1 else 1, keepdims=True)).astype("float64")
    w = rng.uniform(0.2, 3, c).astype("float64")

    def fn(lib, x, p, w):
        return lib.nn.functional.cross_entropy(x, p, weight=w if use_weight else None, reduction=reduction,
                                               label_smoothing=smoothing)
    check(fn, [ishape, p, w], dtype="float64", grad_inputs=[0, 1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_common_case_matches_torch_and_the_general_path(dtype):
    # (N, C) logits, N class indices, mean: a shortcut of the general code, same values exactly on
    # NumPy; float32 with lamina's compiled kernels (exp within an ulp) agrees to a few ulps
    x = rng.standard_normal((128, 10)).astype(dtype) * 4
    t = rng.integers(0, 10, 128)
    check(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t), [x, t], dtype=dtype)

    def both_paths():
        grads = []
        for weight in (None, lamina.ones(10, dtype=getattr(lamina, dtype))):  # weights of 1: the general path
            xt = lamina.from_numpy(x.copy()).requires_grad_()
            loss = LF.cross_entropy(xt, lamina.from_numpy(t), weight=weight)
            (loss * 3).backward()
            grads.append((loss.detach().numpy(), xt.grad.numpy()))
        return grads
    with _accel.disabled():
        grads = both_paths()
    assert grads[0][0].tobytes() == grads[1][0].tobytes()
    assert grads[0][1].tobytes() == grads[1][1].tobytes()
    grads = both_paths()
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("rows", [4, 100])
def test_cross_entropy_common_case_with_transposed_logits(rows):
    x = np.asfortranarray(rng.standard_normal((rows, 6)).astype("float32"))
    check(lambda lib, x, t: lib.nn.functional.cross_entropy(x.t().contiguous().t(), t),
          [x, rng.integers(0, 6, rows)])
    xt = lamina.from_numpy(x).requires_grad_()
    LF.cross_entropy(xt, lamina.from_numpy(rng.integers(0, 6, rows))).backward()
    assert np.allclose(xt.grad.numpy().sum(1), 0, atol=1e-6)  # softmax - onehot sums to 0 per row


@pytest.mark.parametrize("ignore", [-100, 3, 50])
def test_cross_entropy_ignore_index_inside_and_outside_the_target_range(ignore):
    t = np.array([0, 3, 2, 3, 1])
    check(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, ignore_index=ignore), [(5, 4), t])


def test_cross_entropy_is_one_fused_node():
    x = lamina.randn(4, 5, requires_grad=True)
    loss = LF.cross_entropy(x, lamina.tensor([0, 1, 2, 3]))
    assert loss.grad_fn.name() == "NllLossBackward0"
    assert [type(f).__name__ for f, _ in loss.grad_fn.next_functions] == ["AccumulateGrad"]


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = lamina.randn(6, 4, requires_grad=True)
    t = lamina.tensor([0, 3, 1, 1, 2, 0])
    LF.cross_entropy(x, t).backward()
    p = np.exp(x.detach().numpy())
    p /= p.sum(1, keepdims=True)
    onehot = np.eye(4, dtype="float32")[t.numpy()]
    np.testing.assert_allclose(x.grad.numpy(), (p - onehot) / 6, rtol=1e-5, atol=1e-7)
    assert x.grad.dtype == lamina.float32


def test_cross_entropy_large_logits_stable():
    x = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], dtype="float32")
    check(lambda lib, x, t: lib.nn.functional.cross_entropy(x, t), [x, np.array([2, 1])])


CE_ERRORS = [
    ((3, 5), np.array([1, 2, 5]), IndexError, "Target 5 is out of bounds."),
    ((3, 5), np.array([1, 2, -1]), IndexError, "Target -1 is out of bounds."),
    ((3, 5), np.array([1, 2]), ValueError, r"Expected input batch_size \(3\) to match target batch_size \(2\)."),
    ((3, 5), np.array([[1, 2, 3]]), ValueError, r"Expected input batch_size \(3\) to match target batch_size \(1\)."),
    ((3, 5), np.array([1.0, 2.0, 3.0], dtype="float32"), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float"),
    ((3, 5), np.zeros((3, 4), dtype="float32"), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    ((3, 5), np.array([1, 2, 3], dtype=np.int32), RuntimeError,
     "expected target dtype to be Long or Byte, but got Int"),
    ((2, 5, 4), np.zeros((2, 3), dtype=np.int64), RuntimeError, r"Expected target size \[2, 4\], got \[2, 3\]"),
    ((2, 5, 4), np.zeros((2,), dtype=np.int64), RuntimeError, r"Expected target size \[2, 4\], got \[2\]"),
    ((5,), np.array([2, 1]), ValueError, "For 1D input, 1D target must have size 1, but got target size: 2"),
    ((3, 5), np.zeros((3, 5), dtype=np.int64), RuntimeError,
     "Expected floating point type for target with class probabilities, got Long"),
    ((2, 3, 4, 5), np.zeros((2, 4), dtype=np.int64), RuntimeError,
     "only batches of spatial targets supported \\(3D tensors\\) but got targets of dimension: 2"),
]


@pytest.mark.parametrize("ishape,target,exc,msg", CE_ERRORS)
def test_cross_entropy_errors_match_torch(ishape, target, exc, msg):
    for lib in (torch, lamina):
        with pytest.raises(exc, match=msg):
            lib.nn.functional.cross_entropy(lib.randn(*ishape), lib.from_numpy(target.copy()))


def test_cross_entropy_option_errors():
    x, t = lamina.randn(3, 5), lamina.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 classes or no classes "
                                           r"but got weight tensor of shape: \[4\]"):
        LF.cross_entropy(x, t, weight=lamina.ones(4))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        LF.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        LF.cross_entropy(x, lamina.rand(3, 5), ignore_index=1)
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        LF.cross_entropy(x, t, weight=lamina.ones(5, dtype=lamina.float64))


@pytest.mark.parametrize("ishape,tshape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
def test_nll_loss(ishape, tshape, reduction, use_weight):
    c = ishape[0] if len(ishape) == 1 else ishape[1]
    w = rng.uniform(0.2, 3, c).astype("float32")
    t = _classes(tshape, c)
    if t.size > 1:
        t.reshape(-1)[0] = -100  # one ignored target

    def fn(lib, x, t, w):
        return lib.nn.functional.nll_loss(x, t, weight=w if use_weight else None, reduction=reduction)
    check(fn, [ishape, t, w], grad_inputs=[0])


def test_nll_loss_byte_target_and_errors():
    check(lambda lib, x, t: lib.nn.functional.nll_loss(x, t), [(3, 5), np.array([1, 2, 3], dtype=np.uint8)])
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        LF.nll_loss(lamina.randn(3, 5), lamina.tensor([1, 2, 5]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ignore_index", [-100, 2, 7])
def test_nll_loss_mean_over_valid_class_indices(dtype, ignore_index):
    # (N, C) with every target in range takes a shorter path than ignored targets or weights;
    # an ignore_index inside [0, C) falls back to the general one
    t = np.array([0, 2, 4, 1, 2, 3], dtype=np.int64)
    check(lambda lib, x, t: lib.nn.functional.nll_loss(x, t, ignore_index=ignore_index), [(6, 5), t], dtype=dtype,
          grad_inputs=[0])
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        LF.nll_loss(lamina.randn(3, 5), lamina.tensor([1, -1, 0]))


# ---- other losses -------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    target = _probs((4, 3), "float64")
    target[0, 0] = 0.0 if not log_target else target[0, 0]
    if log_target:
        target = np.log(target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda lib, x, y: lib.nn.functional.kl_div(x, y, reduction=reduction, log_target=log_target),
              [(4, 3), target], dtype="float64")


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        LF.kl_div(lamina.randn(2, 3), lamina.rand(2, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin(reduction):
    y = rng.choice([-1.0, 1.0], (4, 3)).astype("float32")
    check(lambda lib, x, y: lib.nn.functional.soft_margin_loss(x, y, reduction=reduction), [(4, 3), y],
          grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking(reduction, margin):
    y = rng.choice([-1.0, 1.0], (6,)).astype("float32")
    check(lambda lib, a, b, y: lib.nn.functional.margin_ranking_loss(a, b, y, margin=margin, reduction=reduction),
          [(6,), (6,), y], grad_inputs=[0, 1])


def test_margin_ranking_dim_error():
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have same dimension"):
        LF.margin_ranking_loss(lamina.randn(3), lamina.randn(3), lamina.randn(3, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,tshape", [((5, 4), (5,)), ((4,), ())])
def test_cosine_embedding(reduction, shape, tshape):
    y = np.asarray(rng.choice([-1.0, 1.0], tshape), dtype="float32")
    check(lambda lib, a, b, y: lib.nn.functional.cosine_embedding_loss(a, b, y, margin=0.1, reduction=reduction),
          [shape, shape, y], grad_inputs=[0, 1])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding(reduction):
    y = rng.choice([-1.0, 1.0], (5, 2)).astype("float32")
    check(lambda lib, x, y: lib.nn.functional.hinge_embedding_loss(x, y, margin=0.7, reduction=reduction),
          [(5, 2), y], grad_inputs=[0])


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll(log_input, full, reduction):
    x = rng.uniform(0.1, 3, (4, 3)).astype("float64")
    y = rng.integers(0, 5, (4, 3)).astype("float64")
    check(lambda lib, x, y: lib.nn.functional.poisson_nll_loss(x, y, log_input=log_input, full=full,
                                                               reduction=reduction), [x, y], dtype="float64")


@pytest.mark.parametrize("vshape", [(4, 3), (4,), (4, 1)])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll(vshape, full, reduction):
    var = rng.uniform(0, 2, vshape).astype("float64")
    var.reshape(-1)[0] = 1e-9  # below eps: clamped, no gradient there
    check(lambda lib, x, y, v: lib.nn.functional.gaussian_nll_loss(x, y, v, full=full, reduction=reduction),
          [(4, 3), (4, 3), var], dtype="float64")


def test_gaussian_nll_errors():
    with pytest.raises(ValueError, match="var is of incorrect size"):
        LF.gaussian_nll_loss(lamina.randn(3, 2), lamina.randn(3, 2), lamina.ones(3, 3))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        LF.gaussian_nll_loss(lamina.randn(3, 2), lamina.randn(3, 2), -1.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin(reduction):
    y = rng.integers(0, 2, (4, 5)).astype("float32")
    check(lambda lib, x, y: lib.nn.functional.multilabel_soft_margin_loss(x, y, reduction=reduction), [(4, 5), y],
          grad_inputs=[0])


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [1.0, 2.0])
def test_triplet_margin(swap, p):
    check(lambda lib, a, b, c: lib.nn.functional.triplet_margin_loss(a, b, c, p=p, swap=swap), [(5, 4)] * 3,
          dtype="float64")


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("shape,tshape", [((5, 4), (5,)), ((4,), ())])
def test_multi_margin(p, reduction, use_weight, shape, tshape):
    w = rng.uniform(0.5, 2, shape[-1]).astype("float32")
    t = np.asarray(rng.integers(0, shape[-1], tshape), dtype=np.int64)
    check(lambda lib, x, t, w: lib.nn.functional.multi_margin_loss(x, t, p=p, margin=0.7,
                                                                   weight=w if use_weight else None,
                                                                   reduction=reduction),
          [shape, t, w], grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin(reduction):
    t = np.array([[0, 1, -1, 2], [3, -1, 0, 0], [1, 2, 3, 0], [-1, 1, 2, 3]], dtype=np.int64)
    check(lambda lib, x, t: lib.nn.functional.multilabel_margin_loss(x, t, reduction=reduction), [(4, 4), t])
    check(lambda lib, x, t: lib.nn.functional.multilabel_margin_loss(x, t, reduction=reduction),
          [(4,), np.array([2, 0, -1, 1], dtype=np.int64)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target", [[[0, 0, -1]], [[2, 0, 0]], [[1, 1, 1], [0, 2, 0]], [2, 2, -1]])
def test_multilabel_margin_repeated_targets_count_each_time(reduction, target):
    t = np.array(target, dtype=np.int64)
    check(lambda lib, x, t: lib.nn.functional.multilabel_margin_loss(x, t, reduction=reduction),
          [t.shape, t], dtype="float64")


def test_margin_loss_errors_match_torch():
    for lib in (torch, lamina):
        x = lib.randn(3, 4)
        with pytest.raises(RuntimeError, match="target out of range"):
            lib.nn.functional.multi_margin_loss(x, lib.tensor([0, 1, 4]))
        with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
            lib.nn.functional.multi_margin_loss(x, lib.tensor([0, 1, 3]), p=3)
        with pytest.raises(RuntimeError, match=r"Expected target size \[3\], but got \[2\]"):
            lib.nn.functional.multi_margin_loss(x, lib.tensor([0, 1]))
        with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
            lib.nn.functional.multilabel_margin_loss(x, lib.tensor([[0, 1, -1, 5], [3, -1, 0, 0], [1, 2, 3, 0]]))
        with pytest.raises(RuntimeError, match=r"inconsistent target size: \[4\] for input of size: \[3, 4\]"):
            lib.nn.functional.multilabel_margin_loss(x, lib.tensor([0, 1, -1, 2]))


# ---- modules -----------------------------------------------------------------------------------
def _w(n):
    return torch.from_numpy(rng.uniform(0.5, 2, n).astype("float32"))


MODULE_CASES = [
    ("L1Loss", {}), ("MSELoss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 2.0}),
    ("BCELoss", {}), ("BCEWithLogitsLoss", {}), ("CrossEntropyLoss", {}), ("NLLLoss", {}), ("KLDivLoss", {}),
    ("SoftMarginLoss", {}), ("MarginRankingLoss", {}), ("CosineEmbeddingLoss", {}), ("PoissonNLLLoss", {}),
    ("GaussianNLLLoss", {}), ("HingeEmbeddingLoss", {}), ("MultiLabelSoftMarginLoss", {}), ("TripletMarginLoss", {}),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 2, "reduction": "sum"}),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}), ("MultiLabelMarginLoss", {}),
]


@pytest.mark.parametrize("name,kw", MODULE_CASES)
def test_module_repr_and_attributes(name, kw):
    t, m = getattr(torch.nn, name)(**kw), getattr(lnn, name)(**kw)
    assert repr(m) == repr(t)
    for attr in ("reduction", "ignore_index", "label_smoothing", "beta", "delta", "margin", "log_target"):
        if hasattr(t, attr):
            assert getattr(m, attr) == getattr(t, attr), attr


def test_weighted_loss_buffers_in_state_dict():
    for name, kw in [("CrossEntropyLoss", {"weight": _w(3)}), ("NLLLoss", {"weight": _w(3)}),
                     ("BCELoss", {"weight": _w(3)}), ("BCEWithLogitsLoss", {"weight": _w(3), "pos_weight": _w(3)}),
                     ("CrossEntropyLoss", {})]:
        t = getattr(torch.nn, name)(**kw)
        m = getattr(lnn, name)(**{k: lamina.from_numpy(v.numpy().copy()) for k, v in kw.items()})
        assert list(m.state_dict()) == list(t.state_dict())
        assert repr(m) == repr(t)


def test_modules_compute_like_functional():
    w = _w(5)
    cases = [
        ("CrossEntropyLoss", {"weight": w, "label_smoothing": 0.1}, [(4, 5), _classes((4,), 5)]),
        ("NLLLoss", {"weight": w}, [(4, 5), _classes((4,), 5)]),
        ("BCEWithLogitsLoss", {"pos_weight": w}, [(4, 5), _probs((4, 5))]),
        ("BCELoss", {"weight": w}, [_probs((4, 5)), _probs((4, 5))]),
        ("MSELoss", {}, [(4, 5), (4, 5)]),
        ("HuberLoss", {"reduction": "none"}, [(4, 5), (4, 5)]),
    ]
    for name, kw, specs in cases:
        t = getattr(torch.nn, name)(**kw)
        m = getattr(lnn, name)(**{k: (lamina.from_numpy(v.numpy().copy()) if isinstance(v, torch.Tensor) else v)
                                  for k, v in kw.items()})
        check(lambda lib, *a: (t if lib is torch else m)(*a), specs, grad_inputs=[0])


def test_losses_keep_float32():
    x, y = lamina.randn(4, 3, requires_grad=True), lamina.rand(4, 3)
    for loss in [LF.mse_loss(x, y), LF.l1_loss(x, y), LF.huber_loss(x, y), LF.smooth_l1_loss(x, y),
                 LF.binary_cross_entropy_with_logits(x, y), LF.binary_cross_entropy(y, y),
                 LF.cross_entropy(x, lamina.tensor([0, 1, 2, 0])), LF.kl_div(x, y, reduction="batchmean"),
                 LF.soft_margin_loss(x, y)]:
        assert loss.dtype == lamina.float32
        if loss.requires_grad:
            loss.backward()
            assert x.grad.dtype == lamina.float32


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_l1_loss_with_nan_matches_torch(reduction):
    # a NaN input gives a NaN loss but, as in PyTorch, a zero gradient where it sits
    x = np.array([[np.nan, 1.0, -2.0], [3.0, np.inf, 0.5]], dtype="float32")
    y = np.array([[0.5, np.nan, -2.0], [3.0, 1.0, 0.0]], dtype="float32")
    check(lambda lib, a, b: lib.nn.functional.l1_loss(a, b, reduction=reduction), [x, y])


@pytest.mark.parametrize("fn,shape,probabilities", [
    ("cross_entropy", (3, 2), True), ("cross_entropy", (3, 2), False), ("cross_entropy", (3, 2, 4), False),
    ("nll_loss", (3, 2, 4), False), ("nll_loss", (3, 2, 4, 5), False), ("nll_loss", (3, 2), False)])
def test_class_weight_of_wrong_size_error(fn, shape, probabilities):
    x = np.zeros(shape, "float32")
    target = np.full(shape, 0.5, "float32") if probabilities else np.zeros(shape[:1] + shape[2:], "int64")
    with pytest.raises(RuntimeError) as t_err:
        getattr(torch.nn.functional, fn)(torch.from_numpy(x), torch.from_numpy(target), weight=torch.ones(5))
    with pytest.raises(RuntimeError) as l_err:
        getattr(lamina.nn.functional, fn)(lamina.from_numpy(x), lamina.from_numpy(target), weight=lamina.ones(5))
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("distance", [None, "cosine", "l1"])
@pytest.mark.parametrize("shape", [(4, 5), (5,)])
def test_triplet_margin_with_distance_loss(reduction, swap, distance, shape):
    def dist(lib):
        if distance == "cosine":
            return lambda a, b: 1.0 - lib.nn.functional.cosine_similarity(a, b, dim=-1)
        if distance == "l1":
            return lib.nn.PairwiseDistance(p=1.0)
        return None
    check(lambda lib, a, p, n: lib.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, distance_function=dist(lib), margin=0.7, swap=swap, reduction=reduction), [shape] * 3)
    check_module(torch.nn.TripletMarginWithDistanceLoss(distance_function=dist(torch), swap=swap, reduction=reduction),
                 lnn.TripletMarginWithDistanceLoss(distance_function=dist(lamina), swap=swap, reduction=reduction),
                 [shape] * 3)


@pytest.mark.parametrize("call,exc,msg", [
    (lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=0), ValueError,
     "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got 0 instead"),
    (lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(lib.ones(2, 3), lib.ones(2, 3), lib.ones(3)),
     RuntimeError, "anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(lib.ones(3), lib.ones(3), lib.ones(3),
                                                                     reduction="foo"),
     ValueError, "foo is not a valid value for reduction"),
])
def test_triplet_margin_with_distance_loss_errors(call, exc, msg):
    for lib in (torch, lamina):
        with pytest.raises(exc, match=msg):
            call(lib)


def test_nll_loss_2d_is_a_deprecated_nll_loss():
    t_x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype("float32")
    target = np.random.default_rng(1).integers(0, 3, (2, 4, 4))
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        m = lnn.NLLLoss2d(ignore_index=1)
    with pytest.warns(FutureWarning):
        t = torch.nn.NLLLoss2d(ignore_index=1)
    assert repr(m) == repr(t) and isinstance(m, lnn.NLLLoss)
    check_module(t, m, [t_x, target])


# ---- CTC ---------------------------------------------------------------------------------------------
CTC_CASES = [  # (T, N, C), targets, input_lengths, target_lengths
    ((6, 2, 4), np.array([[1, 2, 2], [3, 1, 0]]), (6, 4), (3, 2)),
    ((6, 2, 4), np.array([1, 2, 3, 1, 1]), (6, 5), (3, 2)),            # concatenated targets
    ((5, 3, 3), np.array([[1, 1, 1], [2, 1, 2], [1, 2, 1]]), (5, 2, 5), (3, 3, 0)),  # an impossible one
    ((4, 1, 5), np.array([[4, 4]]), (4,), (2,)),
    ((1, 2, 3), np.array([[1], [2]]), (1, 1), (1, 0)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("case", range(len(CTC_CASES)))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ctc_loss(reduction, zero_infinity, case, dtype):
    shape, targets, in_len, tgt_len = CTC_CASES[case]
    check(lambda lib, x: lib.nn.functional.ctc_loss(x.log_softmax(2), lib.from_numpy(targets.copy()), in_len, tgt_len,
                                                    reduction=reduction, zero_infinity=zero_infinity),
          [shape], dtype=dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_module_unbatched_and_blank(reduction):
    t_mod, l_mod = torch.nn.CTCLoss(blank=3, reduction=reduction), lnn.CTCLoss(blank=3, reduction=reduction)
    assert repr(l_mod) == repr(t_mod)
    check(lambda lib, x: (t_mod if lib is torch else l_mod)(x.log_softmax(1), lib.tensor([1, 2, 2]), lib.tensor(6),
                                                          lib.tensor(3)), [(6, 4)])
    check(lambda lib, x: (t_mod if lib is torch else l_mod)(x.log_softmax(2), lib.tensor([[1, 0, 2], [2, 2, 1]]),
                                                          lib.tensor([6, 5]), lib.tensor([3, 2])), [(6, 2, 4)])


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_shapes_that_do_not_broadcast_raise_torchs_error(name):
    with pytest.raises(RuntimeError) as expected, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(torch.nn.functional, name)(torch.ones(2, 3), torch.ones(3, 2))
    with pytest.raises(RuntimeError, match=re.escape(str(expected.value))), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(lamina.nn.functional, name)(lamina.ones(2, 3), lamina.ones(3, 2))


def test_cross_entropy_grad_fn_names_match_torch():
    # the name of PyTorch's last op: nll_loss2d past two dims (a view back for 'none' but on 4-D),
    # an addition with label smoothing, a negation (and division for 'mean') with probabilities
    def names(lib):
        out = []
        for shape in [(6,), (2, 6), (2, 6, 3), (2, 6, 3, 2), (2, 6, 3, 2, 2)]:
            x = lib.zeros(shape, requires_grad=True)
            indices = lib.zeros(shape[:1] + shape[2:] if len(shape) > 1 else (), dtype=lib.int64)
            for target, smoothing in [(indices, 0.0), (indices, 0.1), (lib.ones(shape) / 6, 0.0)]:
                for reduction in REDUCTIONS:
                    loss = lib.nn.functional.cross_entropy(x, target, reduction=reduction, label_smoothing=smoothing)
                    out.append(loss.grad_fn.name())
        return out
    assert names(lamina) == names(torch)
