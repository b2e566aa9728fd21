"""Untrusted checkpoints are data, not code: lamina.load refuses every pickle global outside its
allow-list (without running or importing anything) whatever weights_only says, refuses whole-model
files, and turns every corrupt, truncated or inconsistent file into CheckpointError.
A hypothesis fuzzer feeds it mutated real checkpoints: it may only return a value or raise
lamina's error — never crash, hang, or run code."""
import argparse
import io
import os
import pickle
import signal
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamina
from lamina.io import CheckpointError, UnpicklingError


# ---- building checkpoints by hand ------------------------------------------------------------------
def _zip(data_pkl, records=None, prefix="archive", byteorder=b"little", version=b"3\n"):
    """A checkpoint archive like torch.save's, with any data.pkl and data records."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{prefix}/data.pkl", data_pkl)
        if byteorder is not None:
            z.writestr(f"{prefix}/byteorder", byteorder)
        for key, data in (records or {}).items():
            z.writestr(f"{prefix}/data/{key}", data)
        z.writestr(f"{prefix}/version", version)
    return buf.getvalue()


def _int(n):
    return b"J" + struct.pack("<i", n)


def _tup(items):
    return b"(" + b"".join(_int(x) if isinstance(x, int) else x for x in items) + b"t"


def _tensor_pkl(numel=6, offset=0, size=(2, 3), stride=(3, 1), storage=b"FloatStorage", key=b"0"):
    """data.pkl for one tensor, each field settable (also to invalid values)."""
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + b"(X\x07\x00\x00\x00storagectorch\n" + storage + b"\n"
            + b"X" + struct.pack("<I", len(key)) + key + b"X\x03\x00\x00\x00cpu" + _int(numel) + b"tQ" + _int(offset)
            + _tup(size) + _tup(stride) + b"\x89ccollections\nOrderedDict\n)RtR.")


_SIX_FLOATS = np.arange(6, dtype="<f4").tobytes()


def _load_bytes(data, **kw):
    return lamina.load(io.BytesIO(data), **kw)


def test_handmade_checkpoint_is_valid():
    # The builder itself must be right, or the refusals below prove nothing: torch agrees.
    data = _zip(_tensor_pkl(), {"0": _SIX_FLOATS})
    expected = torch.load(io.BytesIO(data), weights_only=True)
    np.testing.assert_array_equal(_load_bytes(data).numpy(), expected.numpy())


@pytest.mark.parametrize("protocol", range(6))
def test_plain_data_in_every_pickle_protocol(protocol):
    od = OrderedDict(a=1)
    od._metadata = {"x": {"version": 1}}
    items = [1, 2.5, "x", None, True, False, (1, 2, 3, 4), b"xy", {3, 4}, frozenset([1]), 2 ** 100, -7, -2 ** 40,
             "\u00e9" * 300, bytearray(b"ab"), 1.5e300, complex(1, 2), [], {}]
    obj = {"items": items, "od": od, "empty": ()}
    obj["again"] = items
    out = _load_bytes(_zip(pickle.dumps(obj, protocol=protocol)))
    assert out == obj and out["od"]._metadata == od._metadata
    assert out["again"] is out["items"], "shared references stay shared"


# ---- malicious pickles -----------------------------------------------------------------------------
class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _payloads(marker):
    """Pickles that, unpickled by Python, create `marker`."""
    return {
        "os.system REDUCE": pickle.dumps(_System(marker), protocol=2),
        "os.system STACK_GLOBAL": pickle.dumps(_System(marker), protocol=4),
        "builtins.eval GLOBAL": (b"cbuiltins\neval\n(Vopen(%r, 'w').close()\ntR." % str(marker)),
        "INST os.system": b"(V" + f"touch {marker}".encode() + b"\nios\nsystem\n.",
        "exec hidden in a state_dict": pickle.dumps({"w": 1.0, "x": _System(marker)}, protocol=2),
    }


@pytest.mark.parametrize("name", list(_payloads("m")))
@pytest.mark.parametrize("container", ["zip", "raw pickle"])
def test_malicious_pickles_are_refused_without_side_effect(tmp_path, name, container):
    marker = tmp_path / "pwned"
    payload = _payloads(marker)[name]
    pickle.loads(payload)  # the payload is live: plain pickle runs it ...
    assert marker.exists()
    marker.unlink()
    data = _zip(payload) if container == "zip" else payload
    with pytest.raises(UnpicklingError, match=r"(posix\.system|builtins\.eval|os\.system)'.*not on lamina's "
                                              r"allow-list.*nothing was run.*Whole-model files"):
        _load_bytes(data)
    assert not marker.exists(), "... lamina must not"


def test_whole_model_file_is_refused(tmp_path):
    torch.save(torch.nn.Linear(2, 3), tmp_path / "model.pt")
    with pytest.raises(UnpicklingError, match=r"torch\.nn\.modules\.linear\.Linear.*whole pickled model.*"
                                              r"save model\.state_dict\(\) instead"):
        lamina.load(tmp_path / "model.pt")


def test_whole_model_file_in_old_format_is_refused(tmp_path):
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 3)), tmp_path / "model.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(UnpicklingError, match=r"torch\.nn\.modules\.container\.Sequential.*Whole-model files"):
        lamina.load(tmp_path / "model.pt")


def test_weights_only_false_loads_data_and_still_refuses_code(tmp_path):
    """Scripts pass weights_only=False for plain checkpoints: those load; a pickle that needs a
    class or function beyond the allow-list is refused all the same, and nothing runs."""
    torch.save({"w": torch.ones(2), "epoch": 3}, tmp_path / "w.pt")
    ckpt = lamina.load(tmp_path / "w.pt", weights_only=False)
    assert ckpt["w"].tolist() == [1.0, 1.0] and ckpt["epoch"] == 3
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 3)), tmp_path / "model.pt")
    with pytest.raises(UnpicklingError, match=r"torch\.nn\.modules\.container\.Sequential.*Whole-model files"):
        lamina.load(tmp_path / "model.pt", weights_only=False)

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "ran"),))
    with open(tmp_path / "evil.pt", "wb") as f:
        pickle.dump(Payload(), f)
    with pytest.raises(UnpicklingError):
        lamina.load(tmp_path / "evil.pt", weights_only=False)
    assert not (tmp_path / "ran").exists()
    with pytest.raises(UnpicklingError, match="pickle_module"):
        lamina.load(tmp_path / "w.pt", pickle_module=pickle)
    assert lamina.load(tmp_path / "w.pt", weights_only=None)["w"].tolist() == [1.0, 1.0]


def test_safe_globals_opt_in(tmp_path):
    torch.save({"args": argparse.Namespace(lr=0.1, depth=3), "w": torch.ones(1)}, tmp_path / "c.pt")
    with pytest.raises(UnpicklingError, match="argparse.Namespace"):
        lamina.load(tmp_path / "c.pt")
    with lamina.io.safe_globals([argparse.Namespace]):
        out = lamina.load(tmp_path / "c.pt")
    assert out["args"] == argparse.Namespace(lr=0.1, depth=3)
    assert argparse.Namespace not in lamina.io.get_safe_globals()
    with pytest.raises(UnpicklingError):
        lamina.load(tmp_path / "c.pt")


@pytest.mark.parametrize("body, match", [
    (b"]}b.", "sets the state of a list"),                                          # BUILD on a list
    (b"ctorch._utils\n_rebuild_tensor_v2\n}X\x08\x00\x00\x00__code__Nsb.", "sets the state of a method"),
    (b"ccollections\nOrderedDict\n)\x81.", "creates an object of"),              # NEWOBJ on a function
    (b"\x82\x01.", "extension codes"),                                              # EXT1
    (b"ctorch\nFloatStorage\n)R.", "not an allowed function"),                     # calling a storage class
    (b"K\x01}\x88a.", "APPEND on a dict"),
    (b"ccollections\nOrderedDict\n)R}X\x01\x00\x00\x00aK\x01sb.", None),           # allowed: OrderedDict metadata
])
def test_opcode_level_refusals(body, match):
    data = _zip(b"\x80\x02" + body)
    if match is None:
        out = _load_bytes(data)
        assert out.a == 1
        return
    with pytest.raises(UnpicklingError, match=match):
        _load_bytes(data)


def test_deeply_nested_tuples_are_refused_not_crashing():
    # Hashing a tuple nested ~10**5 deep overflows the C stack (a segfault) in CPython.
    body = b"\x80\x02}(" + b")" + b"\x85" * 100_000 + b"K\x01u."
    with pytest.raises(UnpicklingError, match="nested more than"):
        _load_bytes(_zip(body))


# ---- corrupt and inconsistent files -------------------------------------------------------------------
@pytest.mark.parametrize("pkl, records, match", [
    (_tensor_pkl(offset=1), {"0": _SIX_FLOATS}, "outside its storage"),
    (_tensor_pkl(stride=(4, 1)), {"0": _SIX_FLOATS}, "outside its storage"),
    (_tensor_pkl(size=(3, 3)), {"0": _SIX_FLOATS}, "outside its storage"),
    (_tensor_pkl(stride=(3, -1)), {"0": _SIX_FLOATS}, "expected a non-negative int"),
    (_tensor_pkl(offset=-2), {"0": _SIX_FLOATS}, "expected a non-negative int"),
    (_tensor_pkl(size=(2, 3), stride=(3,)), {"0": _SIX_FLOATS}, "different lengths"),
    (_tensor_pkl(numel=7), {"0": _SIX_FLOATS}, "holds 24 bytes, but its storage of 7 elements needs 28"),
    (_tensor_pkl(storage=b"DoubleStorage"), {"0": _SIX_FLOATS}, "holds 24 bytes.*needs 48"),
    (_tensor_pkl(), {}, "no data record for storage 0"),
    (_tensor_pkl(key=b"../x"), {"0": _SIX_FLOATS}, "invalid storage key"),
    (_tensor_pkl(storage=b"ComplexFloatStorage", numel=3), {"0": _SIX_FLOATS}, "complex"),
    (_tensor_pkl(storage=b"Float8Storage"), {"0": _SIX_FLOATS}, "torch.Float8Storage.*not on lamina's allow-list"),
    (b"\x80\x02ctorch\nfloat32\n.", {}, None),
])
def test_inconsistent_checkpoints_are_refused(pkl, records, match):
    data = _zip(pkl, records)
    if match is None:
        assert _load_bytes(data) is lamina.float32
        return
    with pytest.raises(CheckpointError, match=match):
        _load_bytes(data)


@pytest.mark.parametrize("kw, match", [({"byteorder": b"middle"}, "unknown byte order"),
                                       ({"version": b"abc"}, "unknown checkpoint format version"),
                                       ({"prefix": "a/b"}, "no data.pkl record")])
def test_bad_archive_metadata(kw, match):
    with pytest.raises(CheckpointError, match=match):
        _load_bytes(_zip(_tensor_pkl(), {"0": _SIX_FLOATS}, **kw))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_archive_is_refused(tmp_path):
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "ts.pt")
    with pytest.raises(CheckpointError, match="TorchScript archive"):
        lamina.load(tmp_path / "ts.pt")


def _real_checkpoint(tmp_path, legacy=False):
    path = tmp_path / "real.pt"
    torch.save({"w": torch.randn(4, 5), "b": torch.arange(3), "meta": {"epoch": 2}}, path,
               _use_new_zipfile_serialization=not legacy)
    return path.read_bytes()


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_every_truncation_is_refused(tmp_path, legacy):
    data = _real_checkpoint(tmp_path, legacy)
    cuts = sorted(set(range(0, len(data), max(1, len(data) // 150))) | {len(data) - 1, len(data) - 22})
    for cut in cuts:
        with pytest.raises(CheckpointError):
            _load_bytes(data[:cut])


def test_flipped_data_byte_fails_the_crc(tmp_path):
    data = bytearray(_real_checkpoint(tmp_path))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("real/data/0")
    start = info.header_offset + 30 + len(info.filename) + struct.unpack(
        "<H", data[info.header_offset + 28:info.header_offset + 30])[0]
    data[start + 3] ^= 0xFF
    with pytest.raises(CheckpointError, match="CRC"):
        _load_bytes(bytes(data))


def test_legacy_damage(tmp_path):
    data = _real_checkpoint(tmp_path, legacy=True)
    with pytest.raises(CheckpointError, match="invalid magic number"):
        _load_bytes(pickle.dumps(12345, protocol=2) + data[20:])
    with pytest.raises(CheckpointError, match="truncated"):
        _load_bytes(data[:-3])
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
        _load_bytes(b"")
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint: the file is neither a zip archive"):
        _load_bytes(b"not a checkpoint at all")


# ---- fuzzing -------------------------------------------------------------------------------------------
class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def _must_not_misbehave(data):
    """Loading may return a value or raise CheckpointError; anything else (or > 5 s) fails."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(5)
    try:
        _load_bytes(data)
    except CheckpointError:
        pass
    except _Hang:
        pytest.fail("lamina.load hung on a corrupt file")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _seed_files():
    lam = io.BytesIO()
    x = lamina.arange(12.0).reshape(3, 4)
    lamina.save({"x": x, "t": x.t(), "p": lamina.nn.Parameter(lamina.ones(2)), "n": [1, "a", None, (2.5,)]}, lam)
    tz, tl = io.BytesIO(), io.BytesIO()
    obj = {"w": torch.randn(3, 2), "i": torch.arange(4, dtype=torch.int16), "h": torch.ones(2).bfloat16(),
           "meta": {"step": 3, "names": ["a", "b"]}}
    torch.save(obj, tz)
    torch.save(obj, tl, _use_new_zipfile_serialization=False)
    return {"lamina zip": lam.getvalue(), "torch zip": tz.getvalue(), "torch legacy": tl.getvalue()}


SEEDS = _seed_files()
_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                 derandomize=True)


@st.composite
def _mutated(draw, data):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, ord("("), ord("t"), ord("R"), ord("c")]))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 8))]
    return bytes(data)


@pytest.mark.parametrize("seed", list(SEEDS))
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_fuzz_mutated_checkpoints(seed):
    @_FUZZ
    @given(_mutated(SEEDS[seed]))
    def run(data):
        _must_not_misbehave(data)
    run()


def _repack(data, mutate):
    """Re-zip a checkpoint with its data.pkl mutated (and valid CRCs), to fuzz the unpickler itself."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            body = zin.read(name)
            zout.writestr(name, mutate(body) if name.endswith("data.pkl") else body)
    return out.getvalue()


@pytest.mark.parametrize("seed", ["lamina zip", "torch zip"])
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_fuzz_mutated_pickles(seed):
    with zipfile.ZipFile(io.BytesIO(SEEDS[seed])) as z:
        pkl = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))

    @_FUZZ
    @given(_mutated(pkl))
    def run(mutated):
        _must_not_misbehave(_repack(SEEDS[seed], lambda _: mutated))
    run()


@_FUZZ
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data):
    _must_not_misbehave(data)
