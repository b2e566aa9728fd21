"""lamina's own safetensors reader/writer against the `safetensors` package (torch API) as oracle:
files lamina writes load in safetensors.torch.load_file with equal tensors and metadata; files
safetensors writes load in lamina; invalid files — ones the reference implementation refuses too —
raise CheckpointError."""
import io
import json
import os
import struct

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import lamina
from lamina.io import CheckpointError, load_safetensors, load_safetensors_metadata, save_safetensors

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _sample(dtype, shape=(3, 5)):
    rng = np.random.default_rng(0)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


def _same(lam_t, torch_t):
    assert str(lam_t.dtype).split(".")[-1] == str(torch_t.dtype).split(".")[-1]
    assert tuple(lam_t.shape) == tuple(torch_t.shape)
    np.testing.assert_array_equal(lam_t.detach().numpy(), torch_t.numpy())


def test_lamina_file_loads_in_safetensors_every_dtype(tmp_path):
    tensors = {d: lamina.from_numpy(_sample(d)) for d in DTYPES}
    save_safetensors(tensors, tmp_path / "a.safetensors", metadata={"format": "pt", "note": "é"})
    out = load_file(tmp_path / "a.safetensors")
    assert sorted(out) == sorted(tensors)
    for k, v in tensors.items():
        _same(v, out[k])
    with safe_open(tmp_path / "a.safetensors", framework="pt") as f:
        assert f.metadata() == {"format": "pt", "note": "é"}


def test_layouts_are_written_contiguous(tmp_path):
    x = lamina.arange(36.0).reshape(6, 6)
    tensors = {"t": x.t(), "steps": x[::2, 1::3], "expanded": x[1:2].expand(4, 6), "empty": x[:0],
               "zero_d": x[2, 3], "param": lamina.nn.Parameter(lamina.ones(2))}
    save_safetensors(tensors, tmp_path / "l.safetensors")
    out = load_file(tmp_path / "l.safetensors")
    for k, v in tensors.items():
        _same(v, out[k])
    back = load_safetensors(tmp_path / "l.safetensors")
    for k, v in tensors.items():
        np.testing.assert_array_equal(back[k].numpy(), v.detach().numpy())
        assert back[k].shape == v.shape


@pytest.mark.parametrize("dtype", DTYPES)
def test_safetensors_file_loads_in_lamina(tmp_path, dtype):
    t = torch.from_numpy(_sample(dtype, (4, 2, 3)).copy())
    save_file({"x": t, "s": t[0, 0, 0].clone()}, tmp_path / "t.safetensors", metadata={"k": "v"})
    out = load_safetensors(tmp_path / "t.safetensors")
    _same(out["x"], t)
    _same(out["s"], t[0, 0, 0])
    assert load_safetensors_metadata(tmp_path / "t.safetensors") == {"k": "v"}


@pytest.mark.parametrize("dtype", ["bfloat16", "float8_e4m3fn", "float8_e5m2"])
def test_narrow_floats_load_as_float32(tmp_path, dtype):
    t = torch.randn(4, 5).to(getattr(torch, dtype))
    save_file({"x": t}, tmp_path / "n.safetensors")
    with pytest.warns(UserWarning, match=f"{dtype}.*as float32"):
        out = load_safetensors(tmp_path / "n.safetensors")
    assert out["x"].dtype == lamina.float32
    np.testing.assert_array_equal(out["x"].numpy(), t.float().numpy())


@pytest.mark.parametrize("dtype, expected", [("uint16", "int32"), ("uint32", "int64")])
def test_unsigned_widen(tmp_path, dtype, expected):
    t = torch.tensor([0, 7, 40000], dtype=getattr(torch, dtype))
    save_file({"x": t}, tmp_path / "u.safetensors")
    with pytest.warns(UserWarning, match=f"{dtype}.*as {expected}"):
        out = load_safetensors(tmp_path / "u.safetensors")
    assert out["x"].dtype == getattr(lamina, expected) and out["x"].tolist() == [0, 7, 40000]


def test_complex_is_refused(tmp_path):
    save_file({"x": torch.randn(3, dtype=torch.complex64)}, tmp_path / "c.safetensors")
    with pytest.raises(CheckpointError, match="complex"):
        load_safetensors(tmp_path / "c.safetensors")


def test_mmap_and_file_objects(tmp_path):
    t = torch.randn(8, 8)
    save_file({"w": t, "b": torch.arange(3)}, tmp_path / "m.safetensors")
    out = load_safetensors(tmp_path / "m.safetensors", mmap=True)
    base = out["w"]._data
    while base.base is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap)
    _same(out["w"], t)
    before = (tmp_path / "m.safetensors").read_bytes()
    out["w"]._data[:] = 0  # copy-on-write
    assert (tmp_path / "m.safetensors").read_bytes() == before
    buf = io.BytesIO()
    save_safetensors({"w": lamina.ones(2, 2)}, buf)
    buf.seek(0)
    assert load_safetensors(buf)["w"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_model_state_dict_round_trip(tmp_path):
    tm = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    save_file(tm.state_dict(), tmp_path / "m.safetensors")
    lm = lamina.nn.Sequential(lamina.nn.Linear(4, 6), lamina.nn.ReLU(), lamina.nn.Linear(6, 2))
    lm.load_state_dict(load_safetensors(tmp_path / "m.safetensors"))
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(lm(lamina.from_numpy(x)).detach().numpy(), tm(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    save_safetensors(lm.state_dict(), tmp_path / "l.safetensors")
    tm2 = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    tm2.load_state_dict(load_file(tmp_path / "l.safetensors"))
    np.testing.assert_array_equal(tm2[0].weight.detach().numpy(), tm[0].weight.detach().numpy())


def test_save_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="expects a dict of tensors"):
        save_safetensors([lamina.ones(1)], tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="value for 'epoch' is a int"):
        save_safetensors({"epoch": 3}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="'__metadata__' is reserved"):
        save_safetensors({"__metadata__": lamina.ones(1)}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        save_safetensors({"a": lamina.ones(1)}, tmp_path / "x.safetensors", metadata={"n": 1})
    assert not (tmp_path / "x.safetensors").exists()


def test_failed_save_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    save_safetensors({"a": lamina.ones(2)}, path)
    before = path.read_bytes()
    import lamina.io.safetensors as stmod
    calls = []
    real = np.ascontiguousarray

    def failing(arr):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(arr)

    monkeypatch.setattr(stmod.np, "ascontiguousarray", failing)
    with pytest.raises(OSError, match="disk full"):
        save_safetensors({"a": lamina.zeros(5), "b": lamina.zeros(5)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["w.safetensors"]


# ---- invalid files ----------------------------------------------------------------------------------
def _raw(header, data=b"", pad=True):
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


F4 = np.arange(4, dtype="<f4").tobytes()
INVALID = {
    "gap": _raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                 "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}, F4),
    "overlap": _raw({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
                     "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, F4),
    "span mismatch": _raw({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}, F4),
    "trailing bytes": _raw({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}, F4),
    "truncated data": _raw({"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 20]}}, F4),
    "unknown dtype": _raw({"a": {"dtype": "Q7", "shape": [4], "data_offsets": [0, 16]}}, F4),
    "negative dim": _raw({"a": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}, F4),
    "missing field": _raw({"a": {"dtype": "F32", "shape": [4]}}, F4),
    "header too long": struct.pack("<Q", 1 << 40) + b"{}",
    "not json": struct.pack("<Q", 8) + b"{nope!!}" + F4,
    "duplicate key": struct.pack("<Q", 120) + (b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
                                                b'"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}').ljust(120)
    + F4,
    "bad metadata": _raw({"__metadata__": {"k": 1}, "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, F4),
    "too short": b"\x01\x00",
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_files_are_refused(tmp_path, name):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(INVALID[name])
    if name not in ("duplicate key", "bad metadata"):  # the reference reader refuses these too
        with pytest.raises(Exception):
            load_file(path)
    with pytest.raises(CheckpointError):
        load_safetensors(path)


def test_every_truncation_is_refused(tmp_path):
    save_safetensors({"a": lamina.randn(3, 3), "b": lamina.arange(5)}, tmp_path / "f.safetensors")
    data = (tmp_path / "f.safetensors").read_bytes()
    for cut in range(len(data)):
        with pytest.raises(CheckpointError):
            load_safetensors(io.BytesIO(data[:cut]))


def _seed():
    buf = io.BytesIO()
    save_safetensors({"w": lamina.randn(3, 4), "i": lamina.arange(6, dtype=lamina.int16), "e": lamina.zeros(0)},
                     buf, metadata={"m": "x"})
    return buf.getvalue()


SEED = _seed()


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), min_size=1, max_size=6),
       st.integers(1, len(SEED)))
def test_fuzz_mutated_files(edits, keep):
    data = bytearray(SEED)
    for pos, value in edits:
        data[pos] = value
    try:
        out = load_safetensors(io.BytesIO(bytes(data[:keep])))
    except CheckpointError:
        return
    assert all(isinstance(v, lamina.Tensor) for v in out.values())
