"""torch.* odds and ends (lamina/_compat.py, lamina/ops/compat.py, cuda, backends) against PyTorch."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes,p", [(((4, 3), (5, 3)), 2.0), (((2, 4, 3), (2, 1, 3)), 2.0), (((3, 2), (3, 2)), 1.0)])
def test_cdist(shapes, p, dtype):
    check(lambda lib, a, b: lib.cdist(a, b, p=p), list(shapes), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logaddexp_deg2rad(dtype):
    check(lambda lib, a, b: (lib.logaddexp(a, b), a.logaddexp(b), lib.deg2rad(a), a.rad2deg()),
          [(3, 4), (1, 4)], dtype=dtype)


@pytest.mark.parametrize("kw", [dict(), dict(n=2), dict(dim=0), dict(prepend=np.ones((3, 1), np.float32))])
def test_diff(kw):
    def fn(lib, x):
        k = dict(kw)
        if "prepend" in k:
            k["prepend"] = lib.from_numpy(k["prepend"].copy())
        return lib.diff(x, **k)
    check(fn, [(3, 5)])


@pytest.mark.parametrize("args", [(2,), (2, 0), (2, 1), ("t", 0)])
def test_repeat_interleave(args):
    def fn(lib, x):
        a = (lib.tensor([1, 0, 3]),) + args[1:] if args[0] == "t" else args
        return x.repeat_interleave(*a), lib.repeat_interleave(x, *a)
    check(fn, [(3, 2)])
    assert lamina.repeat_interleave(lamina.tensor([2, 0, 1])).tolist() == torch.repeat_interleave(
        torch.tensor([2, 0, 1])).tolist()


def test_integer_helpers():
    x = np.array([0, 3, 1, 3], np.int64)
    w = np.array([0.5, 1.0, 2.0, 0.25], np.float32)
    check(lambda lib, x, w: (lib.bincount(x), lib.bincount(x, w, minlength=6), x.bincount()), [x, w], grad=False)
    seq = np.array([[1, 3, 5, 7], [2, 4, 6, 8]], np.int64)
    v = np.array([[3, 6], [1, 9]], np.int64)
    check(lambda lib, s, v: (lib.searchsorted(s, v), lib.searchsorted(s, v, right=True),
                             lib.bucketize(v, s[0]), lib.isin(v, s[0]), lib.isin(v, s[0], invert=True)),
          [seq, v], grad=False)
    with pytest.raises(RuntimeError, match="non-negative"):
        lamina.bincount(lamina.tensor([-1, 2]))


def test_torch_level_layer_spellings():
    check(lambda lib, x, w, b: (lib.layer_norm(x, (4,), w, b, 1e-5), lib.dropout(x, 0.5, False),
                                lib.group_norm(x.reshape(2, 4, 3), 2)), [(6, 4), (4,), (4,)])
    check(lambda lib, x, w, b: lib.batch_norm(x, w, b, lib.zeros(4), lib.ones(4), False, 0.1, 1e-5, False),
          [(6, 4), (4,), (4,)])
    idx = np.array([[0, 2], [1, 1]], np.int64)
    check(lambda lib, w, i: lib.embedding(w, i), [(3, 5), idx])
    check(lambda lib, x, w: (lib.conv2d(x, w, padding=1), lib.max_pool2d(x, 2), lib.selu(x), lib.celu(x, 0.5),
                             lib.cosine_similarity(x, x.flip(-1), dim=1)), [(2, 3, 4, 4), (5, 3, 3, 3)])
    check(lambda lib, x, t: (lib.binary_cross_entropy_with_logits(x, t.sigmoid()),
                             lib.binary_cross_entropy_with_logits(x, t.sigmoid(), None, None, 1),
                             lib.kl_div(x.log_softmax(1), t.softmax(1)), lib.kl_div(x, t.softmax(1), 2)), [(3, 4), (3, 4)])


def test_misc_predicates():
    for lib in (torch, lamina):
        x = lib.tensor([1.5, -2.0])
        assert (lib.is_complex(x), x.is_complex(), lib.is_nonzero(lib.tensor([3])), lib.is_same_size(x, x)) == \
            (False, False, True, True)
        assert lib.sgn(x).tolist() == [1.0, -1.0] and lib.positive(x) is x
        assert not lib.detach(x.requires_grad_()).requires_grad
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        lamina.is_nonzero(lamina.tensor([1, 2]))


@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_finfo(name):
    t, l_ = torch.finfo(getattr(torch, name)), lamina.finfo(getattr(lamina, name))
    for f in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(l_, f) == getattr(t, f), f
    assert repr(l_) == repr(t)
    assert lamina.finfo().eps == torch.finfo().eps


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "int8", "uint8"])
def test_iinfo(name):
    t, l_ = torch.iinfo(getattr(torch, name)), lamina.iinfo(getattr(lamina, name))
    assert (l_.bits, l_.max, l_.min, l_.dtype, repr(l_)) == (t.bits, t.max, t.min, t.dtype, repr(t))


def test_info_errors():
    with pytest.raises(TypeError, match="requires a floating point input type"):
        lamina.finfo(lamina.int32)
    with pytest.raises(TypeError, match="requires an integer input type"):
        lamina.iinfo(lamina.float32)
    with pytest.raises(TypeError, match="torch.bool is not supported by torch.iinfo"):
        lamina.iinfo(lamina.bool)


def test_constants_and_typename():
    assert (lamina.inf, lamina.pi, lamina.e) == (torch.inf, torch.pi, torch.e) and lamina.nan != lamina.nan
    for obj in ("x", 1.0, [1]):
        assert lamina.typename(obj) == torch.typename(obj)
    assert lamina.typename(lamina.zeros(1, dtype=lamina.int64)) == torch.typename(torch.zeros(1, dtype=torch.int64))
    # lamina's classes in PyTorch's spelling, as dtypes and sizes print (lamina mirrors torch's module layout)
    assert lamina.typename(lamina.nn.Linear(1, 1)) == torch.typename(torch.nn.Linear(1, 1))


def test_determinism_flags():
    try:
        lamina.use_deterministic_algorithms(True, warn_only=True)
        assert lamina.are_deterministic_algorithms_enabled() and lamina.get_deterministic_debug_mode() == 1
        assert lamina.is_deterministic_algorithms_warn_only_enabled()
        lamina.set_deterministic_debug_mode("error")
        assert lamina.get_deterministic_debug_mode() == 2
    finally:
        lamina.use_deterministic_algorithms(False)
    assert not lamina.are_deterministic_algorithms_enabled()
    lamina.set_float32_matmul_precision("high")
    assert lamina.get_float32_matmul_precision() == "high"
    lamina.set_float32_matmul_precision("highest")


def test_cuda_and_backends():
    assert lamina.cuda.is_available() is torch.cuda.is_available() is False
    assert lamina.cuda.device_count() == 0 and not lamina.cuda.is_initialized()
    lamina.cuda.manual_seed_all(0)
    lamina.cuda.empty_cache()
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        lamina.cuda.current_device()
    assert lamina.backends.mps.is_available() is False and lamina.backends.cudnn.is_available() is False
    old = lamina.backends.cudnn.deterministic
    lamina.backends.cudnn.deterministic = True
    assert lamina.backends.cudnn.deterministic is True
    lamina.backends.cudnn.deterministic = old
    assert lamina.accelerator.is_available() is False and lamina.accelerator.current_accelerator() is None


@pytest.mark.parametrize("value", [False, True])
def test_mha_fastpath_switch(value):
    # scripts turn the fused attention path off to compare it with the normal one
    for lib in (torch, lamina):
        before = lib.backends.mha.get_fastpath_enabled()
        lib.backends.mha.set_fastpath_enabled(value)
        try:
            assert lib.backends.mha.get_fastpath_enabled() is value
        finally:
            lib.backends.mha.set_fastpath_enabled(before)


def test_cuda_loads_lazily():
    import subprocess
    import sys
    code = "import sys, lamina; assert 'lamina.cuda' not in sys.modules and 'lamina.backends' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_clip_grad_norm_deprecated_alias():
    p = lamina.nn.Parameter(lamina.ones(3))
    p.grad = lamina.full((3,), 2.0)
    with pytest.warns(FutureWarning, match="deprecated"):
        norm = lamina.nn.utils.clip_grad_norm(p, 1.0)
    assert abs(norm.item() - 12 ** 0.5) < 1e-5 and abs(p.grad.norm().item() - 1.0) < 1e-4


DEVICE_CASES = [
    "repr(L.device('cuda:1'))", "str(L.device('cuda', 0))", "repr(L.device('cpu'))", "L.device('cpu') == 'cpu'",
    "L.device('cuda:0') == L.device('cuda', 0)", "L.device('cuda') == L.device('cuda:0')",
    "L.ones(2).device == L.device('cpu')", "L.device('xyz')", "L.device('cuda:x')", "L.ones(2).to('cuda')",
    "L.ones(2, device='cuda')", "L.ones(2).cuda()", "L.nn.Linear(2, 2).cuda()", "L.nn.Linear(2, 2).to('cuda:1')",
    "L.ones(2).to(L.device('cuda', 0))", "L.ones(2).to('mps')", "L.ones(2).to(0)", "str(L.ones(2).to('cpu').device)",
    "str(L.zeros(2, device=L.device('cpu')).device)",
]


@pytest.mark.parametrize("code", DEVICE_CASES)
def test_devices_behave_like_a_cpu_build_of_torch(code):
    # any device can be named (code builds torch.device('cuda') unconditionally); putting a tensor
    # or a module there raises what a CPU build of PyTorch raises
    def outcome(L):
        try:
            return "ok", str(eval(code))
        except Exception as e:
            return type(e).__name__, str(e)
    assert outcome(lamina) == outcome(torch)


def test_set_num_threads_sets_the_blas_threads():
    before = lamina.get_num_threads()
    try:
        for n in (1, 2):
            lamina.set_num_threads(n)
            assert lamina.get_num_threads() == n  # read back from OpenBLAS itself
    finally:
        lamina.set_num_threads(before)


@pytest.mark.parametrize("value", [0, -1, 2.5, "2", True])
def test_set_num_threads_refuses_as_torch(value):
    messages = []
    for lib in (torch, lamina):
        with pytest.raises(RuntimeError) as e:
            lib.set_num_threads(value)
        messages.append(str(e.value))
    assert messages[0] == messages[1]
