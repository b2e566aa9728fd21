"""The `lamina` command: demo trains, convert/inspect-file work on files torch reads and writes."""
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
    assert "after (4) Linear: lamina.Size([1, 10])" in out
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
