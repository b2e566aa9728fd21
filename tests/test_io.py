"""lamina.save / lamina.load against PyTorch's torch.save / torch.load, in both directions.

Every round trip is checked by the other library: files lamina writes must load in
torch.load(weights_only=True) with equal values, strides and storage sharing; files torch writes
(zip and the old format) must load in lamina the same way. Also: model and optimizer states,
mmap, map_location, atomic saves, convert/inspect_file."""
import collections
import io
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
from lamina.io import CheckpointError, UnpicklingError

LAMINA_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _sample(dtype, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return (rng.standard_normal(shape) * 100).astype(dtype)


def _lam(arr):
    return lamina.from_numpy(np.array(arr, copy=True))


def _torch(arr):
    return torch.from_numpy(np.array(arr, copy=True))


def _same_values(lam_t, torch_t):
    assert str(lam_t.dtype).split(".")[-1] == str(torch_t.dtype).split(".")[-1]
    assert tuple(lam_t.shape) == tuple(torch_t.shape)
    np.testing.assert_array_equal(lam_t.detach().numpy(), torch_t.detach().numpy())


def _torch_equal(a, b, **_):
    """Two torch objects (tensors or containers of them) are exactly equal, dtypes included."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(b, dict):
        assert list(a) == list(b)
        for k in b:
            _torch_equal(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _torch_equal(x, y)
    else:
        assert a == b


def _torch_roundtrip(obj, tmp_path, name="x.pt"):
    path = tmp_path / name
    lamina.save(obj, path)
    return torch.load(path, weights_only=True)


def _lamina_roundtrip(obj, tmp_path, name="t.pt", **save_kw):
    path = tmp_path / name
    torch.save(obj, path, **save_kw)
    return lamina.load(path)


# ---- every dtype, both directions -------------------------------------------------------------
@pytest.mark.parametrize("dtype", LAMINA_DTYPES)
def test_lamina_to_torch_every_dtype(tmp_path, dtype):
    arr = _sample(dtype)
    out = _torch_roundtrip({"x": _lam(arr), "scalar": _lam(arr[0, 0])}, tmp_path)
    _same_values(_lam(arr), out["x"])
    _same_values(_lam(arr[0, 0]), out["scalar"])


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("dtype", LAMINA_DTYPES)
def test_torch_to_lamina_every_dtype(tmp_path, dtype, legacy):
    arr = _sample(dtype)
    out = _lamina_roundtrip({"x": _torch(arr)}, tmp_path, _use_new_zipfile_serialization=not legacy)
    _same_values(out["x"], _torch(arr))
    assert out["x"]._data.flags.writeable, "loaded tensors must be writable, as torch's are"


NARROW = ["bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu"]


# The old format predates the float8 types, so only bfloat16 is tried there.
@pytest.mark.parametrize("dtype, legacy", [(d, False) for d in NARROW] + [("bfloat16", True)])
def test_torch_narrow_floats_load_as_float32(tmp_path, dtype, legacy):
    tdtype = getattr(torch, dtype)
    if dtype == "bfloat16":
        t = torch.randn(5, 7).to(tdtype)
    else:  # every one of the 256 codes, including NaN and inf where the format has them
        t = torch.arange(256, dtype=torch.uint8).view(tdtype).reshape(16, 16)
    with pytest.warns(UserWarning, match=f"lamina has no {dtype} dtype.*as float32"):
        out = _lamina_roundtrip({"x": t}, tmp_path, _use_new_zipfile_serialization=not legacy)
    assert out["x"].dtype == lamina.float32
    np.testing.assert_array_equal(out["x"].numpy(), t.float().numpy())


@pytest.mark.parametrize("dtype, expected", [("uint16", "int32"), ("uint32", "int64"), ("uint64", "int64")])
def test_torch_unsigned_widen(tmp_path, dtype, expected):
    t = torch.tensor([0, 1, 200, 60000], dtype=getattr(torch, dtype))
    with pytest.warns(UserWarning, match=f"{dtype}.*as {expected}"):
        out = _lamina_roundtrip(t, tmp_path)
    assert out.dtype == getattr(lamina, expected)
    np.testing.assert_array_equal(out.numpy(), [0, 1, 200, 60000])


def test_uint64_too_large_is_refused(tmp_path):
    t = torch.tensor([2**63 + 5], dtype=torch.uint64)
    with pytest.raises(CheckpointError, match="uint64 tensor holds values above"):
        _lamina_roundtrip(t, tmp_path)


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor")
@pytest.mark.parametrize("make, what", [(lambda: torch.randn(3, dtype=torch.complex64), "complex"),
                                        (lambda: torch.quantize_per_tensor(torch.randn(3), 0.1, 0, torch.qint8),
                                         "quantized"),
                                        (lambda: torch.randn(3, 3).to_sparse(), "sparse")])
def test_torch_types_lamina_lacks_are_refused(tmp_path, make, what):
    with pytest.raises(CheckpointError, match=what):
        _lamina_roundtrip({"x": make()}, tmp_path)


# ---- tricky layouts ---------------------------------------------------------------------------------
TRICKY = {
    "transposed": lambda lib, x: x.t(),
    "sliced_steps": lambda lib, x: x[::2, 1::3],
    "expanded": lambda lib, x: x[1:2].expand(5, 6),
    "empty": lambda lib, x: x[:0],
    "zero_d": lambda lib, x: x[1, 2],
    "offset_row": lambda lib, x: x[3],
    "permuted_3d": lambda lib, x: x.reshape(2, 3, 6).permute(2, 0, 1),
}


@pytest.mark.parametrize("name", list(TRICKY))
def test_tricky_layouts_lamina_to_torch(tmp_path, name):
    base = np.arange(36, dtype=np.float32).reshape(6, 6)
    lx = _lam(base)
    view = TRICKY[name](lamina, lx)
    out = _torch_roundtrip({"base": lx, "view": view}, tmp_path)
    expected = TRICKY[name](torch, _torch(base))
    _same_values(view, out["view"])
    np.testing.assert_array_equal(out["view"].numpy(), expected.numpy())
    if view.numel():
        assert out["view"].stride() == view.stride(), "strides are saved as they are, not made contiguous"
        assert out["view"].untyped_storage().data_ptr() == out["base"].untyped_storage().data_ptr(), \
            "a view and its base must be one storage in the file"
        out["base"].fill_(-1.0)
        assert (out["view"] == -1).all(), "torch sees the loaded view alias its base"


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("name", list(TRICKY))
def test_tricky_layouts_torch_to_lamina(tmp_path, name, legacy):
    base = np.arange(36, dtype=np.float32).reshape(6, 6)
    tx = _torch(base)
    view = TRICKY[name](torch, tx)
    out = _lamina_roundtrip({"base": tx, "view": view}, tmp_path, _use_new_zipfile_serialization=not legacy)
    _same_values(out["view"], view)
    if view.numel():
        assert out["view"].stride() == view.stride(), "strides from the file are honoured"
        assert np.shares_memory(out["view"]._data, out["base"]._data), "views of one storage load as views of one array"
        out["base"]._data[...] = -1
        assert (out["view"].numpy() == -1).all()


def test_shared_storage_survives_lamina_save_load(tmp_path):
    x = lamina.arange(24.0).reshape(4, 6)
    obj = {"x": x, "t": x.t(), "row": x[2], "same": x}
    lamina.save(obj, tmp_path / "s.pt")
    with zipfile.ZipFile(tmp_path / "s.pt") as z:
        assert [n for n in z.namelist() if "/data/" in n] == ["s/data/0"], "one storage for all the views"
    back = lamina.load(tmp_path / "s.pt")
    assert back["x"] is back["same"], "the same tensor object saved twice loads as one object"
    back["x"]._data[2, 0] = 99.0
    assert back["t"].numpy()[0, 2] == 99.0 and back["row"].numpy()[0] == 99.0


def test_only_the_viewed_part_of_a_big_array_is_written(tmp_path):
    big = lamina.zeros(1000, 1000)
    lamina.save({"corner": big[:2, :3]}, tmp_path / "c.pt")
    assert os.path.getsize(tmp_path / "c.pt") < 20_000
    out = torch.load(tmp_path / "c.pt", weights_only=True)
    assert out["corner"].shape == (2, 3) and out["corner"].stride() == (1000, 1)


def test_different_dtype_views_of_one_buffer_are_saved_apart(tmp_path):
    arr = np.arange(8, dtype=np.int32)
    a = lamina.from_numpy(arr)
    b = lamina.from_numpy(arr.view(np.float32))
    out = _torch_roundtrip([a, b], tmp_path)
    np.testing.assert_array_equal(out[0].numpy(), arr)
    np.testing.assert_array_equal(out[1].numpy(), arr.view(np.float32))


def test_negative_strides_are_saved_as_copies(tmp_path):
    arr = np.arange(10, dtype=np.float64)
    out = _torch_roundtrip(lamina.from_numpy(arr[::-2]), tmp_path)
    np.testing.assert_array_equal(out.numpy(), arr[::-2])


# ---- Parameters, requires_grad, containers ----------------------------------------------------------
def test_parameters_both_ways(tmp_path):
    tp = torch.nn.Parameter(torch.randn(2, 3))
    frozen = torch.nn.Parameter(torch.randn(2), requires_grad=False)
    back = _lamina_roundtrip({"p": tp, "frozen": frozen}, tmp_path)
    assert isinstance(back["p"], lnn.Parameter) and back["p"].requires_grad
    assert isinstance(back["frozen"], lnn.Parameter) and not back["frozen"].requires_grad
    _same_values(back["p"], tp)

    lp = lnn.Parameter(lamina.randn(4, 2))
    out = _torch_roundtrip({"p": lp, "grad_tensor": lamina.ones(2).requires_grad_()}, tmp_path)
    assert isinstance(out["p"], torch.nn.Parameter) and out["p"].requires_grad
    _same_values(lp, out["p"])
    assert out["grad_tensor"].requires_grad and not isinstance(out["grad_tensor"], torch.nn.Parameter)


def test_tensor_requiring_grad_from_torch(tmp_path):
    back = _lamina_roundtrip(torch.ones(3, requires_grad=True), tmp_path)
    assert back.requires_grad and back.is_leaf


NESTED = lambda lib: {  # noqa: E731
    "epoch": 7, "loss": 0.25, "name": "run-1", "flag": True, "nothing": None, "big": -(2 ** 80),
    "blob": b"\x00\x01\xff", "tags": {"a", "b"}, "pair": (1, (2.5, "x")), "size": lib.Size([2, 3]),
    "dtype": lib.float16, "device": lib.device("cpu"),
    "layers": [lib.ones(2), [lib.zeros(1, 2), {"deep": lib.arange(3)}]],
    "od": OrderedDict([("z", lib.tensor(1.5)), ("a", 2)]),
    3: "int key", (1, 2): "tuple key",
}


def _compare_nested(lam, ref):
    if isinstance(ref, torch.Tensor):
        _same_values(lam, ref)
    elif isinstance(ref, dict):
        assert type(lam) is type(ref) and list(lam) == list(ref)
        for k in ref:
            _compare_nested(lam[k], ref[k])
    elif isinstance(ref, (list, tuple)) and not isinstance(ref, torch.Size):
        assert type(lam) is type(ref) and len(lam) == len(ref)
        for a, b in zip(lam, ref):
            _compare_nested(a, b)
    elif isinstance(ref, torch.Size):
        assert isinstance(lam, lamina.Size) and tuple(lam) == tuple(ref)
    elif isinstance(ref, torch.dtype):
        assert lam is getattr(lamina, str(ref).split(".")[-1])
    elif isinstance(ref, torch.device):
        assert str(lam) == "cpu"
    else:
        assert type(lam) is type(ref) and lam == ref


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_nested_containers_torch_to_lamina(tmp_path, legacy):
    ref = NESTED(torch)
    _compare_nested(_lamina_roundtrip(ref, tmp_path, _use_new_zipfile_serialization=not legacy), ref)


def test_nested_containers_lamina_to_torch(tmp_path):
    out = _torch_roundtrip(NESTED(lamina), tmp_path)
    ref = NESTED(torch)
    assert list(out) == list(ref)
    for k in ref:
        if k in ("size", "dtype", "device"):
            assert out[k] == ref[k]
        elif isinstance(ref[k], (dict, list)) or isinstance(ref[k], torch.Tensor):
            _torch_equal(out[k], ref[k], rtol=0, atol=0)
        else:
            assert out[k] == ref[k] and type(out[k]) is type(ref[k])


def test_numpy_scalars_are_saved_as_python_numbers(tmp_path):
    out = _torch_roundtrip({"acc": np.float32(0.5), "n": np.int64(3), "ok": np.bool_(True)}, tmp_path)
    assert out == {"acc": 0.5, "n": 3, "ok": True} and type(out["n"]) is int and type(out["ok"]) is bool


def test_recursive_list_round_trips(tmp_path):
    a = [1]
    a.append(a)
    lamina.save(a, tmp_path / "r.pt")
    back = lamina.load(tmp_path / "r.pt")
    assert back[1] is back
    assert torch.load(tmp_path / "r.pt", weights_only=True)[1][1][0] == 1


def test_unsupported_object_says_where(tmp_path):
    with pytest.raises(TypeError, match=r"numpy.ndarray \(at \['model'\]\['w'\]\[1\]\)"):
        lamina.save({"model": {"w": [1, np.zeros(2)]}}, tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists(), "a refused save creates no file"
    with pytest.raises(TypeError, match="lamina.nn.modules.linear.Linear"):
        lamina.save(lnn.Linear(2, 2), tmp_path / "model.pt")


def test_save_argument_errors(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .*missing does not exist"):
        lamina.save({}, tmp_path / "missing" / "x.pt")
    with pytest.raises(NotImplementedError, match="only PyTorch's zip checkpoint format"):
        lamina.save({}, tmp_path / "x.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(IsADirectoryError):
        lamina.save({}, tmp_path)


# ---- models and optimizers -------------------------------------------------------------------------
def _torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 3))


def _lamina_mlp():
    return lnn.Sequential(lnn.Linear(5, 8), lnn.ReLU(), lnn.Linear(8, 8), lnn.Tanh(), lnn.Linear(8, 3))


def test_linear_stack_torch_checkpoint_runs_in_lamina(tmp_path):
    tm = _torch_mlp()
    torch.save(tm.state_dict(), tmp_path / "mlp.pt")
    sd = lamina.load(tmp_path / "mlp.pt")
    assert type(sd) is OrderedDict and list(sd) == list(tm.state_dict())
    assert sd._metadata == tm.state_dict()._metadata
    lm = _lamina_mlp()
    lm.load_state_dict(sd)
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(lm(_lam(x)).detach().numpy(), tm(_torch(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_linear_stack_lamina_checkpoint_runs_in_torch(tmp_path):
    lm = _lamina_mlp()
    lamina.save(lm.state_dict(), tmp_path / "mlp.pt")
    sd = torch.load(tmp_path / "mlp.pt", weights_only=True)
    assert type(sd) is OrderedDict and sd._metadata == lm.state_dict()._metadata
    tm = _torch_mlp()
    tm.load_state_dict(sd)
    x = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(lm(_lam(x)).detach().numpy(), tm(_torch(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


LAYERS = {
    "conv_bn": lambda nn: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                        nn.Flatten(), nn.Linear(4 * 5 * 5, 2)),
    "norms": lambda nn: nn.Sequential(nn.LayerNorm(6), nn.GroupNorm(2, 6), nn.BatchNorm1d(6)),
    "lstm": lambda nn: nn.LSTM(4, 5, num_layers=2, bidirectional=True),
    "gru": lambda nn: nn.GRU(3, 4),
    "embedding": lambda nn: nn.Embedding(10, 3),
    "attention": lambda nn: nn.MultiheadAttention(8, 2),
    "transformer": lambda nn: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_state_dicts_both_ways(tmp_path, name):
    tm = LAYERS[name](torch.nn)
    if name == "conv_bn":
        tm(torch.randn(2, 3, 5, 5))  # move BatchNorm's running statistics off their initial values
    lm = LAYERS[name](lnn)
    torch.save(tm.state_dict(), tmp_path / "t.pt")
    lm.load_state_dict(lamina.load(tmp_path / "t.pt"))
    lamina.save(lm.state_dict(), tmp_path / "l.pt")
    back = torch.load(tmp_path / "l.pt", weights_only=True)
    ref = tm.state_dict()
    assert list(back) == list(ref)
    for k in ref:
        _torch_equal(back[k], ref[k], rtol=0, atol=0)
    tm2 = LAYERS[name](torch.nn)
    tm2.load_state_dict(back)


def _adam_pair():
    tm = _torch_mlp()
    lm = _lamina_mlp()
    lm.load_state_dict({k: _lam(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, lm


def _train_step(model, lib, opt, x, y):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()


def test_torch_adam_state_loads_in_lamina(tmp_path):
    tm, lm = _adam_pair()
    topt = torch.optim.Adam(tm.parameters(), lr=0.01, betas=(0.8, 0.95))
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((6, 5)).astype(np.float32) for _ in range(4)]
    ys = [rng.standard_normal((6, 3)).astype(np.float32) for _ in range(4)]
    for x, y in zip(xs[:2], ys[:2]):
        _train_step(tm, torch, topt, _torch(x), _torch(y))
    torch.save({"model": tm.state_dict(), "optimizer": topt.state_dict(), "epoch": 2}, tmp_path / "ckpt.pt")

    ckpt = lamina.load(tmp_path / "ckpt.pt")
    ref = topt.state_dict()
    state = ckpt["optimizer"]
    assert sorted(state["state"]) == sorted(ref["state"]) and all(type(k) is int for k in state["state"])
    for i, s in ref["state"].items():
        for name, value in s.items():
            _same_values(state["state"][i][name], value)
    assert state["param_groups"][0]["betas"] == (0.8, 0.95) and state["param_groups"][0]["params"] == \
        ref["param_groups"][0]["params"]

    lm.load_state_dict(ckpt["model"])
    lopt = lamina.optim.Adam(lm.parameters(), lr=0.5)
    lopt.load_state_dict(state)
    for x, y in zip(xs[2:], ys[2:]):
        _train_step(tm, torch, topt, _torch(x), _torch(y))
        _train_step(lm, lamina, lopt, _lam(x), _lam(y))
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(lm.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6)


def test_lamina_adam_state_loads_in_torch(tmp_path):
    tm, lm = _adam_pair()
    lopt = lamina.optim.Adam(lm.parameters(), lr=0.01)
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal((6, 3)).astype(np.float32)
    _train_step(lm, lamina, lopt, _lam(x), _lam(y))
    lamina.save({"model": lm.state_dict(), "optimizer": lopt.state_dict()}, tmp_path / "ckpt.pt")
    ckpt = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    tm.load_state_dict(ckpt["model"])
    topt = torch.optim.Adam(tm.parameters(), lr=0.5)
    topt.load_state_dict(ckpt["optimizer"])
    assert topt.param_groups[0]["lr"] == 0.01
    _train_step(tm, torch, topt, _torch(x), _torch(y))
    _train_step(lm, lamina, lopt, _lam(x), _lam(y))
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(lm.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6)


# ---- file objects, mmap, map_location, the old format ----------------------------------------------------
def test_bytesio_both_ways():
    buf = io.BytesIO()
    lamina.save({"w": lamina.arange(4.0)}, buf)
    buf.seek(0)
    _same_values(lamina.arange(4.0), torch.load(buf, weights_only=True)["w"])
    buf = io.BytesIO()
    torch.save({"w": torch.arange(5)}, buf)
    buf.seek(0)
    _same_values(lamina.load(buf)["w"], torch.arange(5))


def test_mmap_maps_the_file_copy_on_write(tmp_path):
    t = torch.randn(64, 32)
    torch.save({"w": t, "wt": t.t()}, tmp_path / "m.pt")
    before = (tmp_path / "m.pt").read_bytes()
    out = lamina.load(tmp_path / "m.pt", mmap=True)
    _same_values(out["w"], t)
    base = out["w"]._data
    while base.base is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap), "mmap=True must map the file, not read it"
    assert np.shares_memory(out["w"]._data, out["wt"]._data)
    out["w"]._data[:] = 0.0  # copy-on-write: the file does not change
    assert (tmp_path / "m.pt").read_bytes() == before


def test_mmap_refusals(tmp_path):
    torch.save(torch.ones(2), tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="mmap can only be used with files saved with"):
        lamina.load(tmp_path / "old.pt", mmap=True)
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf)
    buf.seek(0)
    with pytest.raises(ValueError, match="mmap=True needs a file path"):
        lamina.load(buf, mmap=True)


@pytest.mark.parametrize("loc", ["cpu", "cpu:0", lamina.device("cpu"), torch.device("cpu"), {"cuda:0": "cpu"},
                                 lambda storage, location: storage])
def test_map_location_accepted(tmp_path, loc):
    torch.save({"w": torch.ones(2)}, tmp_path / "w.pt")
    _same_values(lamina.load(tmp_path / "w.pt", map_location=loc)["w"], torch.ones(2))


def test_map_location_refused(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "w.pt")
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        lamina.load(tmp_path / "w.pt", map_location="cuda:0")
    with pytest.raises(RuntimeError, match="CPU-only machine"):
        lamina.load(tmp_path / "w.pt", map_location={"cpu": "cuda"})
    with pytest.raises(TypeError, match="map_location should be"):
        lamina.load(tmp_path / "w.pt", map_location=3)


def test_legacy_file_with_storage_views_and_py2_strings(tmp_path):
    # An old-format file as PyTorch 0.4 wrote it: a storage *view* in the persistent id, and
    # Python 2 byte strings (SHORT_BINSTRING) for keys.
    raw = np.arange(6, dtype="<f4").tobytes()
    import pickle
    pickles = [pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2), pickle.dumps(1001, protocol=2),
               b"\x80\x02}q\x00(U\rlittle_endianq\x01\x88U\ntype_sizesq\x02}q\x03(U\x05shortK\x02U\x03intK"
               b"\x04U\x04longK\x04uU\x10protocol_versionq\x04M\xe9\x03u."]
    body = (b"\x80\x02}q\x00U\x01wctorch._utils\n_rebuild_tensor_v2\n((U\x07storagectorch\nFloatStorage\nU\x011"
            b"U\x03cpuK\x06(U\x012K\x02K\x03ttQK\x01K\x02\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtRs.")
    keys = b"\x80\x02]U\x011a."
    data = b"".join(pickles) + body + keys + struct.pack("<q", 6) + raw
    (tmp_path / "old.pt").write_bytes(data)
    out = lamina.load(tmp_path / "old.pt")
    # the view starts at element 2 of the root storage; the tensor at element 1 of the view
    np.testing.assert_array_equal(out["w"].numpy(), [3.0, 4.0])
    assert torch.load(tmp_path / "old.pt", weights_only=True)["w"].tolist() == [3.0, 4.0]
    assert lamina.load(tmp_path / "old.pt", encoding="bytes")[b"w"].tolist() == [3.0, 4.0]


def test_big_endian_checkpoint(tmp_path):
    # Rewrite a little-endian checkpoint as a big-endian machine would have written it; torch
    # reads it (the oracle) and so must lamina.
    t = {"f": torch.randn(3, 4), "i": torch.arange(5, dtype=torch.int64), "h": torch.randn(2).half(),
         "b": torch.tensor([True, False])}
    torch.save(t, tmp_path / "le.pt")
    keys = {"f": torch.float32, "i": torch.int64, "h": torch.float16, "b": torch.bool}
    with zipfile.ZipFile(tmp_path / "le.pt") as zin, zipfile.ZipFile(tmp_path / "be.pt", "w") as zout:
        order = [n for n in zin.namelist() if "/data/" in n]
        for name in zin.namelist():
            data = zin.read(name)
            if name.endswith("/byteorder"):
                data = b"big"
            elif name in order:
                dtype = list(keys.values())[order.index(name)]
                itemsize = torch.empty(0, dtype=dtype).element_size()
                data = np.frombuffer(data, dtype=f"<u{itemsize}").byteswap().tobytes()
            zout.writestr(name, data)
    ref = torch.load(tmp_path / "be.pt", weights_only=True)
    out = lamina.load(tmp_path / "be.pt")
    for k in t:
        _same_values(out[k], ref[k])
        _same_values(out[k], t[k])


def test_torch_offset_calculation_matches_lamina_layout(tmp_path, monkeypatch):
    # torch can compute storage offsets from miniz's layout rules instead of reading headers;
    # with its debug asserts on, any difference in lamina's layout is an error.
    from torch.utils.serialization import config
    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")
    obj = {f"t{i}": lamina.randn(*([i + 1] * 2)) for i in range(7)}
    obj["empty"] = lamina.zeros(0)
    obj["bytes"] = lamina.ones(3, dtype=lamina.int8)
    lamina.save(obj, tmp_path / "offsets_file_name.pt")
    with config.patch({"load.calculate_storage_offsets": True}):
        out = torch.load(tmp_path / "offsets_file_name.pt", weights_only=True, mmap=True)
    for k in obj:
        _same_values(obj[k], out[k])


def test_zip64_records_are_readable(tmp_path, monkeypatch):
    from lamina.io import zip_archive
    monkeypatch.setattr(zip_archive, "ZIP64_LIMIT", 0)  # every record and offset takes the zip64 path
    obj = {"w": lamina.randn(3, 5), "i": lamina.arange(4)}
    lamina.save(obj, tmp_path / "z64.pt")
    with zipfile.ZipFile(tmp_path / "z64.pt") as z:
        assert z.testzip() is None
    out = torch.load(tmp_path / "z64.pt", weights_only=True)
    back = lamina.load(tmp_path / "z64.pt")
    for k in obj:
        _same_values(obj[k], out[k])
        _same_values(back[k], out[k])


def test_archive_folder_is_named_after_the_file(tmp_path):
    lamina.save({"a": lamina.ones(1)}, tmp_path / "my_model.pth")
    with zipfile.ZipFile(tmp_path / "my_model.pth") as z:
        assert all(n.startswith("my_model/") for n in z.namelist())
        assert z.read("my_model/version") == b"3\n" and z.read("my_model/byteorder") == b"little"
        assert z.read("my_model/.storage_alignment") == b"64"
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())


# ---- atomic saves ----------------------------------------------------------------------------------
def test_failed_save_leaves_previous_file(tmp_path, monkeypatch):
    from lamina.io import zip_archive
    path = tmp_path / "ckpt.pt"
    lamina.save({"w": lamina.ones(3)}, path)
    before = path.read_bytes()
    calls = []

    def failing_write(self, data):
        calls.append(len(data))
        if len(calls) > 3:
            raise OSError("disk full")
        self.fh.write(data)
        self.pos += len(data)

    monkeypatch.setattr(zip_archive.ZipWriter, "_write", failing_write)
    with pytest.raises(OSError, match="disk full"):
        lamina.save({"w": lamina.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"], "the temporary file is removed"
    monkeypatch.undo()
    _same_values(lamina.load(path)["w"], torch.ones(3))


def test_killed_save_leaves_previous_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    lamina.save({"w": lamina.ones(3)}, path)
    before = path.read_bytes()
    child = (
        "import time, lamina\n"
        "from lamina.io import zip_archive\n"
        "orig = zip_archive.ZipWriter._write\n"
        "def slow(self, data):\n"
        "    orig(self, data)\n"
        "    self.fh.flush()\n"
        "    time.sleep(0.02)\n"
        "zip_archive.ZipWriter._write = slow\n"
        "zip_archive.CHUNK = 1 << 16\n"
        f"lamina.save({{'w': lamina.zeros(4_000_000)}}, {str(path)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", child])
    try:
        deadline = time.time() + 60
        while time.time() < deadline:  # wait until the child is writing its temporary file
            tmps = [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
            if tmps and os.path.getsize(tmp_path / tmps[0]) > 1 << 17:
                break
            assert proc.poll() is None, "the child finished before it could be killed"
            time.sleep(0.005)
        else:
            pytest.fail("the child never started writing")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before, "the target still holds the previous checkpoint"
    _same_values(lamina.load(path)["w"], torch.ones(3))


def test_save_keeps_file_permissions(tmp_path):
    path = tmp_path / "p.pt"
    lamina.save({}, path)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()
    os.chmod(path, 0o640)
    lamina.save({"w": lamina.ones(1)}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_save_through_symlink_replaces_the_target(tmp_path):
    target = tmp_path / "real.pt"
    lamina.save({"v": 1}, target)
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    lamina.save({"v": 2}, link)
    assert link.is_symlink() and lamina.load(target) == {"v": 2}


# ---- convert and inspect_file ------------------------------------------------------------------------
def test_inspect_file_lists_without_reading_data(tmp_path, monkeypatch):
    torch.save({"model": OrderedDict([("w", torch.zeros(2, 3, dtype=torch.bfloat16)), ("b", torch.zeros(3))]),
                "epoch": 4, "betas": (0.9, 0.99)}, tmp_path / "c.pt")
    from lamina.io import zip_archive
    monkeypatch.setattr(zip_archive.ZipReader, "read_array", lambda *a: pytest.fail("inspect read tensor data"))
    out = io.StringIO()
    entries = lamina.io.inspect_file(tmp_path / "c.pt", file=out)
    assert [(e.key, e.shape, e.dtype) for e in entries] == [
        ("model.w", (2, 3), "bfloat16"), ("model.b", (3,), "float32"), ("epoch", None, "int"),
        ("betas", None, "tuple")]
    assert entries[2].value == 4
    text = out.getvalue()
    assert "model.w" in text and "(2, 3)" in text and "bfloat16" in text and "2 tensors, 9 elements" in text


def test_inspect_legacy_and_safetensors(tmp_path):
    torch.save({"a": torch.ones(4, dtype=torch.int16)}, tmp_path / "o.pt", _use_new_zipfile_serialization=False)
    assert lamina.io.inspect_file(tmp_path / "o.pt") == [lamina.io.Entry("a", (4,), "int16", None)]
    lamina.io.save_safetensors({"x": lamina.ones(2, 2)}, tmp_path / "x.safetensors", {"k": "v"})
    assert [tuple(e) for e in lamina.io.inspect_file(tmp_path / "x.safetensors")] == [
        ("x", (2, 2), "float32", None), ("__metadata__.k", None, "str", "v")]


def test_convert_pt_safetensors_pt(tmp_path):
    from safetensors.torch import load_file
    sd = _torch_mlp().state_dict()
    torch.save(sd, tmp_path / "a.pt")
    lamina.io.convert(tmp_path / "a.pt", tmp_path / "a.safetensors")
    st = load_file(tmp_path / "a.safetensors")
    assert sorted(st) == sorted(sd)
    for k in sd:
        _torch_equal(st[k], sd[k], rtol=0, atol=0)
    lamina.io.convert(tmp_path / "a.safetensors", tmp_path / "b.pt")
    back = torch.load(tmp_path / "b.pt", weights_only=True)
    for k in sd:
        _torch_equal(back[k], sd[k], rtol=0, atol=0)


def test_convert_picks_a_key_and_explains_non_tensors(tmp_path):
    sd = _torch_mlp().state_dict()
    torch.save({"model": sd, "epoch": 3}, tmp_path / "ckpt.pt")
    with pytest.raises(CheckpointError, match=r"other entries: 'model', 'epoch'.*key='model'"):
        lamina.io.convert(tmp_path / "ckpt.pt", tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()
    lamina.io.convert(tmp_path / "ckpt.pt", tmp_path / "x.safetensors", key="model")
    assert sorted(lamina.io.load_safetensors(tmp_path / "x.safetensors")) == sorted(sd)
    with pytest.raises(CheckpointError, match="has no entry 'opt'"):
        lamina.io.convert(tmp_path / "ckpt.pt", tmp_path / "y.safetensors", key="opt")


def test_convert_old_format_to_zip(tmp_path):
    torch.save({"w": torch.arange(6.0).reshape(2, 3)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    lamina.io.convert(tmp_path / "old.pt", tmp_path / "new.pt")
    assert zipfile.is_zipfile(tmp_path / "new.pt")
    _torch_equal(torch.load(tmp_path / "new.pt", weights_only=True)["w"], torch.arange(6.0).reshape(2, 3))


def test_load_points_safetensors_files_to_their_reader(tmp_path):
    lamina.io.save_safetensors({"x": lamina.ones(1)}, tmp_path / "x.safetensors")
    with pytest.raises(CheckpointError, match="safetensors file; read it with lamina.io.load_safetensors"):
        lamina.load(tmp_path / "x.safetensors")


def test_lamina_save_is_top_level_and_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        lamina.load(tmp_path / "nope.pt")
    assert lamina.save is lamina.io.save and lamina.load is lamina.io.load
    assert issubclass(UnpicklingError, CheckpointError) and issubclass(CheckpointError, RuntimeError)


def test_negative_view_bit_is_applied(tmp_path):
    x = torch.randn(5)
    torch.save({"n": x._neg_view()}, tmp_path / "n.pt")
    expected = torch.load(tmp_path / "n.pt", weights_only=True)["n"].resolve_neg()
    np.testing.assert_array_equal(lamina.load(tmp_path / "n.pt")["n"].numpy(), expected.numpy())
    np.testing.assert_array_equal(expected.numpy(), -x.numpy())


def test_tensor_python_attributes_are_dropped_with_a_warning(tmp_path):
    p = torch.nn.Parameter(torch.ones(2))
    p.tag = "w"
    t = torch.arange(3.0)
    t.note = 5
    torch.save({"p": p, "t": t}, tmp_path / "a.pt")
    with pytest.warns(UserWarning, match="2 tensor.*Python attributes.*dropped"):
        out = lamina.load(tmp_path / "a.pt")
    assert isinstance(out["p"], lnn.Parameter) and out["p"].requires_grad
    _same_values(out["t"], t)


def test_multistep_scheduler_state_round_trips_with_torch(tmp_path):
    """MultiStepLR's state_dict holds its milestones as a collections.Counter."""
    def ckpt(lib):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.1)
        sched = lib.optim.lr_scheduler.MultiStepLR(opt, [2, 4, 4])
        for _ in range(3):
            opt.step()
            sched.step()
        return sched.state_dict()
    lamina.save({"sched": ckpt(lamina)}, tmp_path / "l.pt")
    torch.save({"sched": ckpt(torch)}, tmp_path / "t.pt")
    from_lamina = torch.load(tmp_path / "l.pt", weights_only=True)["sched"]
    from_torch = lamina.load(tmp_path / "t.pt")["sched"]
    assert type(from_torch["milestones"]) is collections.Counter
    assert from_lamina == ckpt(torch) and from_torch == ckpt(lamina)
    opt = lamina.optim.SGD([lamina.nn.Parameter(lamina.zeros(2))], lr=0.1)
    sched = lamina.optim.lr_scheduler.MultiStepLR(opt, [1])
    sched.load_state_dict(from_torch)
    assert sched.milestones == collections.Counter({2: 1, 4: 2})
