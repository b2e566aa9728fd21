"""tensor.untyped_storage() / storage(): the memory a tensor views, as PyTorch shows it (shared
pointers between views, sizes, element access, writes seen by the tensor, printing), and
pin_memory's answer in a CPU-only build. Each case runs with torch and lamina and compares."""
import subprocess
import sys

import pytest

SCRIPT = r'''
import sys, warnings
torch = __import__(sys.argv[1])
warnings.simplefilter("always")
x = torch.arange(6.).reshape(2, 3); v = x[1]
try: x.pin_memory()
except Exception as e: print(type(e).__name__, e)
print(x.is_pinned())
s = v.untyped_storage()
print(type(s).__name__, s.nbytes(), len(s), s.data_ptr() == x.untyped_storage().data_ptr(), s.size(),
      s.element_size(), s.device)
print(v.storage_offset(), v.data_ptr() - x.data_ptr())
with warnings.catch_warnings(record=True) as w:
    ts = v.storage()
print([str(m.message) for m in w])
print(type(ts).__name__, len(ts), ts.size(), ts.dtype, ts.data_ptr() == x.data_ptr(), ts.tolist(), ts.element_size())
ts[0] = 9
print(x)
print(repr(ts))
print(s[0], s[4], s.tolist()[:8])
print(torch.is_storage(s), torch.is_storage(ts), torch.is_storage(x))
print(x.detach().untyped_storage().data_ptr() == x.untyped_storage().data_ptr())
print(x.clone().untyped_storage().data_ptr() == x.untyped_storage().data_ptr())
print(x.t().untyped_storage().data_ptr() == x.untyped_storage().data_ptr(), x.t().untyped_storage().nbytes())
print(repr(torch.ones(0).untyped_storage()))
print(repr(torch.tensor([1, 2], dtype=torch.int32).untyped_storage()))
print(isinstance(s, torch.UntypedStorage), isinstance(ts, torch.TypedStorage))
'''


def _output(lib):
    return subprocess.run([sys.executable, "-c", SCRIPT, lib], capture_output=True, text=True, check=True).stdout


def test_storage_as_torch_shows_it():
    ours, theirs = _output("lamina"), _output("torch")
    assert ours == theirs


@pytest.mark.parametrize("lib", ["torch", "lamina"])
def test_storage_script_runs(lib):
    assert "UntypedStorage" in _output(lib)  # the comparison above is between two real outputs
