"""The `lamina` command: demo trains, convert/inspect-file work on files torch reads and writes."""
import os
import subprocess
import sys

import numpy as np
import torch


def run(*args):
    return subprocess.run([sys.executable, "-m", "lamina.cli", *args], capture_output=True, text=True, check=True,
                          timeout=300).stdout


def test_demo_builds_the_seed_network_and_the_loss_falls():
    out = run("demo", "--epochs", "2", "--samples", "512")
    assert "Parameters: 235,146" in out
    assert "256 × (784 + 1) = 200,960" in out
    assert "after (4) Linear: torch.Size([1, 10])" in out
    losses = [float(line.split("loss ")[1].split(",")[0]) for line in out.splitlines() if "epoch" in line]
    assert len(losses) == 2 and losses[1] < losses[0]


def test_convert_torch_checkpoint_to_safetensors_and_back(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    torch.save(model.state_dict(), tmp_path / "m.pt")
    run("convert", str(tmp_path / "m.pt"), str(tmp_path / "m.safetensors"))
    run("convert", str(tmp_path / "m.safetensors"), str(tmp_path / "back.pt"))
    back = torch.load(tmp_path / "back.pt", weights_only=True)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back[key].numpy(), value.numpy())
        assert back[key].dtype == value.dtype


def test_inspect_file_lists_keys_shapes_dtypes(tmp_path):
    torch.save({"w": torch.zeros(2, 3, dtype=torch.float64), "step": 7}, tmp_path / "c.pt")
    out = run("inspect-file", str(tmp_path / "c.pt"))
    assert "w" in out and "(2, 3)" in out and "float64" in out and "7" in out


# ---- lamina bench ----------------------------------------------------------------------------------
BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")


def _table(out, title):
    """{first cell: [other cells]} of the markdown table under the heading containing `title`."""
    lines = out[out.index(title):].splitlines()[2:]
    rows = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_bench_prints_time_memory_and_gemm_tables_for_one_workload():
    proc = subprocess.run([sys.executable, "-m", "lamina.cli", "bench", "--workload", "clinical", "--steps", "2"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "Machine: " in out and "PyTorch 2.13.0" in out
    lam, tor, ratio, _ = _table(out, "### Time per step")["ClinicalMLP b32 Adam"]
    assert float(lam) > 0 and float(tor) > 0
    assert abs(float(ratio.rstrip("x")) - float(tor) / float(lam)) < 0.02
    lam_mb, tor_mb, mem_ratio, lam_add, tor_add = _table(out, "### Peak RSS")["ClinicalMLP b32 Adam"]
    # each library alone: torch's import alone is far above a NumPy-only process
    assert 0 < float(lam_mb) < float(tor_mb) and float(lam_add) >= 0 and float(tor_add) >= 0
    assert abs(float(mem_ratio) - float(lam_mb) / float(tor_mb)) < 0.01
    gemm, step, fraction, count, _ = _table(out, "### GEMM fraction")["ClinicalMLP b32 Adam"]
    assert 0 < float(fraction) and abs(float(fraction) - float(gemm) / float(step)) < 0.01
    assert count.startswith("9 ")  # fwd + weight grad for 3 Linear layers, and their 3 input grads


def test_bench_lamina_only_process_never_imports_torch():
    code = ("import runpy, sys; sys.argv = [sys.argv[1], '--memory', 'lamina', '--workload', 'mlp', '--steps', '1'];"
            "runpy.run_path(sys.argv[0], run_name='__main__'); print('torch loaded:', 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, os.path.join(BENCH, "bench_mlp.py")], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    assert "memory mlp lamina: peak RSS" in out and "torch loaded: False" in out


def test_bench_says_where_it_looked_when_bench_dir_is_missing(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "lamina.cli", "bench"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "LAMINA_BENCH_DIR": str(tmp_path)})
    assert proc.returncode == 2
    assert "bench/run.py not found" in proc.stderr and str(tmp_path) in proc.stderr
