"""The Tensor surface against PyTorch: repr (exact text, PyTorch's spelling included), shape and
size queries, conversions (.item/.tolist/.numpy/.to/.float/...), dtype casts and their
gradients, detach/clone/contiguous, Size, and PyTorch's errors."""
import copy
import pickle

import numpy as np
import pytest
import torch

import lamina
from oracle import check

LIBS = [torch, lamina]


def torch_repr(t):
    return repr(t)


REPR_CASES = [
    np.array([1.0, 2.0, 3.0], np.float32), np.array([1.5, -2.25, 3.0], np.float32),
    np.array([1e-5, 1.0, 2.0], np.float32), np.array([1e5, 1.0, 2.0], np.float32),
    np.array([1e10, 1.0], np.float32), np.array([0.0, 0.0], np.float32), np.array([-0.0, 0.5], np.float32),
    np.array([np.nan, 1.0, np.inf, -np.inf], np.float32), np.array([np.nan, 1.5], np.float32),
    np.array(3.5, np.float32), np.array(np.nan, np.float32), np.array(1e-7, np.float32), np.array(-0.0, np.float32),
    np.array(12345678.9, np.float32), np.array(3, np.int64), np.array(True), np.array([True, False]),
    np.arange(12, dtype=np.int64).reshape(3, 4), np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    np.arange(2000, dtype=np.float32), np.arange(2000, dtype=np.float32).reshape(40, 50),
    np.arange(7 ** 4, dtype=np.float32).reshape(7, 7, 7, 7), np.arange(1001, dtype=np.int64),
    np.arange(30, dtype=np.float32) * 1.123, np.arange(100, dtype=np.int64) * 1000,
    np.linspace(-1, 1, 40).astype(np.float32), np.zeros((0,), np.float32), np.zeros((0, 3), np.float32),
    np.zeros((2, 0), np.int64), np.zeros((0,), np.float64), np.zeros((1, 0, 2), np.bool_),
    np.array([1.0, 2.0], np.float64), np.array([1.0, 2.5], np.float16), np.array([1, 2], np.int32),
    np.array([1, 2], np.uint8), np.array([-5, 3], np.int8), np.array([1, -2], np.int16),
    np.array([-1e-3, 123.456], np.float32), np.array([1e-10, 1e-9], np.float32), np.array([123456789.0, 1.0], np.float32),
    np.array([1e8, 1.0], np.float32), np.array([0.1, 100.5], np.float32), np.array([1e-4, 1], np.float32),
    np.array([[1e-4, 0.5]], np.float64), np.array([2.0 ** 60, 1.0], np.float64), np.array([[True]]),
    np.array([[4204086.6358, -19429424.0067, 802527.8468]]),  # suffix wrapped where PyTorch wraps it
    np.array([-32.2716, 3.0699, 14.6822, -12.9221, -5.4885]),
    np.array([[-1081170, 355874, 75232, -1326383, 514992]] * 4, np.int32),
]


@pytest.mark.parametrize("a", REPR_CASES, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_repr_matches_torch_exactly(a):
    assert repr(lamina.from_numpy(a.copy())) == torch_repr(torch.from_numpy(a.copy()))


@pytest.mark.parametrize("a", [np.array([1.0, 2.0], np.float32), np.array([[3.0, 4.0]], np.float64),
                               np.array(2.0, np.float32), np.array([3.9427e-08, -1.3294e-07]),
                               np.arange(12, dtype=np.float32).reshape(3, 4) * 1.5])
def test_repr_with_autograd_suffixes_matches_torch(a):
    lt, tt = lamina.from_numpy(a.copy()), torch.from_numpy(a.copy())
    lt.requires_grad_()
    tt.requires_grad_()
    assert repr(lt) == torch_repr(tt)
    assert repr(lt * 2) == torch_repr(tt * 2)
    assert repr(lt.sum()) == torch_repr(tt.sum())
    assert repr(lt[0]) == torch_repr(tt[0]) if a.ndim else True


def test_repr_fuzz_matches_torch():
    rng = np.random.default_rng(1)
    for _ in range(300):
        nd = rng.integers(0, 4)
        shape = tuple(rng.integers(0, 6, nd))
        dt = rng.choice(["float32", "float64", "float16", "int64", "int32", "bool"])
        a = np.asarray(rng.standard_normal(shape) * 10.0 ** rng.integers(-9, 12))
        if rng.random() < 0.3:
            a = np.round(a)
        with np.errstate(all="ignore"):
            a = np.asarray(a.astype(dt) if dt != "bool" else a > 0)
        assert repr(lamina.from_numpy(a.copy())) == torch_repr(torch.from_numpy(a.copy())), (dt, shape)


def test_printoptions_follow_torch():
    rng = np.random.default_rng(5)
    for _ in range(200):
        kw = {}
        if rng.random() < 0.5:
            kw["precision"] = int(rng.integers(0, 8))
        if rng.random() < 0.5:
            kw["sci_mode"] = bool(rng.random() < 0.5)
        if rng.random() < 0.3:
            kw["linewidth"] = int(rng.integers(10, 120))
        if rng.random() < 0.3:
            kw["threshold"] = int(rng.integers(1, 50))
            kw["edgeitems"] = int(rng.integers(0, 4))
        shape = tuple(int(v) for v in rng.integers(1, 8, rng.integers(0, 4)))
        a = np.asarray(rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 9)).astype(
            rng.choice(["float32", "float64", "int64"]))
        torch.set_printoptions(**kw)
        lamina.set_printoptions(**kw)
        try:
            assert repr(lamina.from_numpy(a.copy())) == torch_repr(torch.from_numpy(a.copy())), kw
        finally:
            torch.set_printoptions(profile="default")
            lamina.set_printoptions(profile="default")


def test_size_prints_and_behaves_like_torch_size():
    s = lamina.zeros(1, 4).shape
    assert repr(s) == "torch.Size([1, 4])" and str(s) == "torch.Size([1, 4])"  # as PyTorch prints it
    assert s == (1, 4) and s[1] == 4 and s.numel() == 4
    assert isinstance(s[1:], lamina.Size) and repr(s[1:]) == "torch.Size([4])"
    assert isinstance(s + (2,), lamina.Size) and list((2,) + s) == [2, 1, 4]
    assert repr(lamina.Size([])) == repr(torch.Size([]))


def test_shape_queries_match_torch():
    for lib in LIBS:
        x = lib.zeros(2, 3, 4)
        assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4 and x.size(dim=0) == 2
        assert x.dim() == x.ndim == x.ndimension() == 3
        assert x.numel() == x.nelement() == 24 and len(x) == 2
        assert x.stride() == (12, 4, 1) and x.transpose(0, 2).stride() == (1, 4, 12) and x.stride(1) == 4
        assert x.is_contiguous() and not x.transpose(0, 1).is_contiguous()
        assert x.element_size() == x.itemsize == 4 and x.nbytes == 96
        assert x[1].storage_offset() == 12 and x.storage_offset() == 0
        assert str(x.device) == "cpu" and x.device.type == "cpu" and not x.is_cuda
        assert x.is_floating_point() and not x.long().is_floating_point()
        with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
            len(lib.tensor(1.0))
        with pytest.raises(IndexError, match="Dimension out of range"):
            x.size(3)


def test_scalar_conversions_match_torch():
    for lib in LIBS:
        s = lib.tensor(2.5)
        assert s.item() == 2.5 and isinstance(s.item(), float)
        assert isinstance(lib.tensor([3]).item(), int) and isinstance(lib.tensor(True).item(), bool)
        assert float(s) == 2.5 and int(s) == 2 and bool(s) and f"{s:.2f}" == "2.50" and f"{s}" == "2.5"
        assert lib.tensor([[1.5, 2]]).tolist() == [[1.5, 2.0]] and s.tolist() == 2.5
        assert isinstance(lib.tensor([1, 2]).tolist()[0], int)
        assert 2.0 in lib.tensor([1.0, 2.0]) and 3.0 not in lib.tensor([1.0, 2.0])
        with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
            lib.tensor([1.0, 2.0]).item()
        with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
            int(lib.tensor([1, 2]))
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
            bool(lib.tensor([1, 2]))


def test_numpy_shares_memory_and_refuses_grad_tensors():
    for lib in LIBS:
        x = lib.zeros(3)
        n = x.numpy()
        n[0] = 4
        assert x[0].item() == 4.0
        w = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad. Use "
                                               "tensor.detach\\(\\).numpy\\(\\) instead."):
            w.numpy()
        assert w.detach().numpy().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "short", "char", "byte", "bool"])
def test_dtype_cast_methods_match_torch(method):
    a = np.array([[1.7, -1.2, 0.0], [2.5, 300.0, -0.5]], np.float32)
    with np.errstate(invalid="ignore"):
        t = getattr(torch.from_numpy(a.copy()), method)()
        ll = getattr(lamina.from_numpy(a.copy()), method)()
    assert str(ll.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    if method in ("byte", "char"):  # out-of-range float->small int casts are undefined in C; skip 300.0
        np.testing.assert_array_equal(ll.numpy()[0], t.numpy()[0])
    else:
        np.testing.assert_array_equal(ll.numpy(), t.numpy())


def test_to_variants_match_torch():
    for lib in LIBS:
        x = lib.ones(2, 3)
        assert x.to(lib.float32) is x and x.float() is x and x.to("cpu") is x and x.cpu() is x
        assert x.to(lib.float32, copy=True) is not x
        assert x.to(lib.float64).dtype == lib.float64 and x.to(dtype=lib.int32).dtype == lib.int32
        assert x.to("cpu", lib.float16).dtype == lib.float16
        assert x.to(device="cpu", dtype=lib.float64).dtype == lib.float64
        assert x.to(lib.ones(1, dtype=lib.int64)).dtype == lib.int64
        assert x.type() == "torch.FloatTensor" and x.type(lib.int32).dtype == lib.int32
        assert x.type("torch.DoubleTensor").dtype == lib.float64
        assert x.type_as(lib.ones(1, dtype=lib.float16)).dtype == lib.float16


def test_casts_are_differentiable_between_float_dtypes():
    check(lambda lib, x: (x.double() * 2, x.half().float(), x.to(lib.float64), x.type_as(x.double())), [(2, 3)])
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        assert x.double().grad_fn.name() == "ToCopyBackward0"
        assert not x.long().requires_grad


def test_clone_contiguous_detach_match_torch():
    check(lambda lib, x: (x.clone(), x.t().contiguous(), x.detach()), [(2, 3)])
    for lib in LIBS:
        x = lib.ones(2, 3)
        c = x.clone()
        c[0, 0] = 5
        assert x[0, 0].item() == 1.0
        assert x.contiguous() is x
        t = x.t().contiguous()
        assert t.is_contiguous() and t.stride() == (2, 1)
        d = x.detach()
        d[0, 0] = 7
        assert x[0, 0].item() == 7.0


def test_new_factories_match_torch():
    for lib in LIBS:
        x = lib.ones(2, dtype=lib.int32)
        assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2, 3)).dtype == lib.int32
        assert x.new_ones(2).tolist() == [1, 1] and x.new_full((2,), 3).tolist() == [3, 3]
        assert x.new_empty(4).shape == (4,) and x.new_tensor([1.5]).dtype == lib.int32
        assert x.new_zeros(2, dtype=lib.float64).dtype == lib.float64


def test_legacy_constructor():
    for lib in LIBS:
        assert lib.Tensor(2, 3).shape == (2, 3) and lib.Tensor(2, 3).dtype == lib.float32
        assert lib.Tensor([1, 2]).tolist() == [1.0, 2.0] and lib.Tensor([1, 2]).dtype == lib.float32
        assert lib.Tensor().shape == (0,)
        assert lib.Tensor(lib.Size([2, 3])).shape == (2, 3) and lib.Tensor((2, 3)).tolist() == [2.0, 3.0]


@pytest.mark.parametrize("expr", [
    "lib.FloatTensor(2, 3).zero_()", "lib.FloatTensor([1, 2])", "lib.LongTensor([1.7, -2.5])",
    "lib.LongTensor(np.array([1.5]))", "lib.DoubleTensor((2,))", "lib.FloatTensor(lib.Size([2, 3])).zero_()",
    "lib.FloatTensor()", "lib.ByteTensor([1, 2])", "lib.BoolTensor([1, 0])", "lib.HalfTensor([1.5])",
    "lib.IntTensor([[1], [2]])", "lib.ShortTensor([3])", "lib.CharTensor([-3])", "lib.LongTensor(3).fill_(1)",
    "lib.FloatTensor(lib.tensor([1.5]))", "lib.zeros(2).type(lib.LongTensor)", "lib.ones(2).type(lib.DoubleTensor)",
])
def test_legacy_typed_tensors_match_torch(expr):
    """torch.FloatTensor(...), torch.LongTensor(...), x.type(torch.LongTensor): old tutorials' spelling."""
    t, lt = (eval(expr, {"lib": lib, "np": np}) for lib in LIBS)
    assert str(lt.dtype) == str(t.dtype) and lt.tolist() == t.tolist() and not lt.requires_grad


def test_legacy_typed_tensor_classes_behave_like_torch():
    for lib in LIBS:
        assert isinstance(lib.zeros(2), lib.FloatTensor) and not isinstance(lib.zeros(2), lib.LongTensor)
        assert isinstance(lib.tensor([1]), lib.LongTensor) and not isinstance(lib.zeros(2), lib.cuda.FloatTensor)
        assert repr(lib.FloatTensor) == "<class 'torch.FloatTensor'>" and lib.FloatTensor.dtype == lib.float32
        assert repr(lib.cuda.LongTensor) == "<class 'torch.cuda.LongTensor'>" and lib.FloatTensor.is_cuda is False
        assert not issubclass(lib.FloatTensor, lib.Tensor)
        with pytest.raises(TypeError, match="type torch.cuda.FloatTensor not available. Torch not compiled with CUDA"):
            lib.cuda.FloatTensor([1.0])
        with pytest.raises(TypeError):
            lib.FloatTensor(lib.tensor([1]))


def test_dtypes_are_exposed_like_torch():
    pairs = [("float32", "float"), ("float64", "double"), ("float16", "half"), ("int64", "long"),
             ("int32", "int"), ("int16", "short"), ("int8", None), ("uint8", None), ("bool", None)]
    for name, alias in pairs:
        d = getattr(lamina, name)
        assert repr(d) == repr(getattr(torch, name)) and d == getattr(lamina, name)
        if alias:
            assert getattr(lamina, alias) is d
        assert d.is_floating_point == getattr(torch, name).is_floating_point
        assert d.is_signed == getattr(torch, name).is_signed
        assert d.itemsize == getattr(torch, name).itemsize
    assert lamina.get_default_dtype() == lamina.float32


def test_deepcopy_and_pickle_keep_values_and_flags():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y.tolist() == [1.0, 2.0] and y.requires_grad and y.grad.tolist() == [2.0, 2.0]
    assert not np.shares_memory(y.detach().numpy(), x.detach().numpy())
    z = pickle.loads(pickle.dumps(x))
    assert z.tolist() == [1.0, 2.0] and z.requires_grad
    for lib in LIBS:
        with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
            copy.deepcopy(lib.ones(2, requires_grad=True) * 2)


def test_ndarray_interop():
    x = lamina.tensor([1.0, 2.0])
    assert np.asarray(x).tolist() == [1.0, 2.0]
    r = np.array([1.0, 1.0], np.float32) + x  # the Tensor's reflected operator wins
    assert isinstance(r, lamina.Tensor) and r.tolist() == [2.0, 3.0]


def test_iteration_yields_views_like_torch():
    for lib in LIBS:
        x = lib.arange(6.).reshape(2, 3)
        rows = list(x)
        assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0, 5.0]
        rows[0][0] = 9
        assert x[0, 0].item() == 9.0
        with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
            iter(lib.tensor(1.0))


def test_legacy_new_real_can_cast_and_generator_device_match_torch():
    def run(lib):
        x = lib.tensor([1.0, 2.0])
        i = lib.tensor([1, 2])
        made = [x.new(2, 3), x.new([1, 2]), x.new(), x.new((2,)), x.new(lib.Size([2, 2])), i.new([1.5])]
        out = [(list(t.shape), repr(t.dtype)) for t in made] + [made[1].tolist(), made[3].tolist(), x.real is x]
        names = ["float64", "float32", "int32", "uint8", "bool", "int64", "float16"]
        out += [lib.can_cast(getattr(lib, a), getattr(lib, b)) for a in names for b in names]
        out.append(str(lib.Generator().device))
        with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
            x.imag
        return out
    assert run(lamina) == run(torch)


def test_truth_value_of_empty_and_many_element_tensors_errors_as_torch():
    for data, words in (([], "no values"), ([1, 2], "more than one value")):
        for lib in (torch, lamina):
            with pytest.raises(RuntimeError, match=f"Boolean value of Tensor with {words} is ambiguous"):
                bool(lib.tensor(data))


def test_docstring_example_gaps_match_torch():
    """Found by running torch's docstring examples on lamina: resize_, logical ops with out=,
    asarray's copy/requires_grad, atleast_*d with no argument, typename of a class."""
    import warnings as _w

    def run(lib):
        out = []
        x = lib.arange(1.0, 7.0).resize_(2, 3)
        y = lib.arange(6.0)
        y.resize_(4)
        out += [x.tolist(), y.tolist(), lib.arange(3.0).resize_as_(lib.zeros(2)).tolist()]
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            lib.ones(2, requires_grad=True).resize_(3)
        a, b = lib.tensor([True, False, True, False]), lib.tensor([False, False, True, True])
        o = lib.empty(4, dtype=lib.bool)
        out += [lib.logical_and(a, b, out=o) is o, o.tolist(), lib.logical_or(a, b, out=o).tolist(),
                lib.logical_not(lib.tensor([0.0, 1.0, -10.0]), out=lib.empty(3, dtype=lib.int16)).tolist()]
        with _w.catch_warnings():
            _w.simplefilter("ignore")  # the resize warning (PyTorch gives it twice)
            o2 = lib.zeros(2)
            lib.eq(lib.tensor([1, 2, 3]), 2, out=o2)
        out.append((o2.tolist(), repr(o2.dtype)))
        t = lib.tensor([1.0, 2.0])
        out += [lib.asarray(t) is t, lib.asarray(t, copy=True).data_ptr() != t.data_ptr(),
                lib.asarray(t, requires_grad=True) is t and t.requires_grad]
        with pytest.raises(ValueError, match="can't alias tensor with dtype 'Long' into dtype 'Float'"):
            lib.asarray(np.array([1, 2]), copy=False, dtype=lib.float32)
        out += [lib.atleast_1d(), lib.atleast_2d(), lib.atleast_3d()]
        out += [lib.typename(o) for o in (lib.nn.Parameter, lib.nn.Linear(1, 1), int, lib.float32, lib.Size([1]))]
        return out
    assert run(lamina) == run(torch)
