"""Training end to end: from the same weights and the same batches, lamina's losses follow
torch's step by step; and the optional lamina.training helper records what a plain loop sees."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import lamina
import lamina.utils.data as ldata
from lamina.training import History, accuracy, binary_accuracy, evaluate, fit

from oracle import copy_weights


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 4))


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, stride=2),
                         nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))


def cnn1d(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv1d(2, 6, 5, stride=2, padding=1), nn.ReLU(), nn.Conv1d(6, 6, 3, stride=2, padding=1),
                         nn.ReLU(), nn.Flatten(), nn.Linear(36, 5))


def gru(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 5, batch_first=True, bidirectional=True)
            self.head = nn.Linear(10, 2)

        def forward(self, x):
            h, _ = self.gru(x)
            return self.head(h[:, -1])
    return Net()


CASES = {
    # name: (model, input shape per sample, classes, optimizer factory)
    "mlp-adam": (mlp, (20,), 4, lambda lib, p: lib.optim.Adam(p, lr=1e-2)),
    "cnn-sgd-momentum": (cnn, (1, 8, 8), 3, lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.9)),
    "cnn1d-adamw": (cnn1d, (2, 24), 5, lambda lib, p: lib.optim.AdamW(p, lr=5e-3, weight_decay=0.1)),
    "gru-rmsprop": (gru, (7, 3), 2, lambda lib, p: lib.optim.RMSprop(p, lr=1e-2)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_losses_follow_torch_step_by_step(case):
    """50 steps, data through each library's DataLoader (shuffle=False): same losses within 1e-4."""
    build, shape, classes, make_opt = CASES[case]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200,) + shape).astype(np.float32)
    y = rng.integers(0, classes, 200)
    t_model, l_model = build(torch), build(lamina)
    copy_weights(t_model, l_model)
    losses = {}
    for lib, data, model in ((torch, tdata, t_model), (lamina, ldata, l_model)):
        loader = data.DataLoader(data.TensorDataset(lib.from_numpy(x.copy()), lib.from_numpy(y.copy())),
                                 batch_size=16, shuffle=False)
        opt = make_opt(lib, model.parameters())
        out, step = [], 0
        while step < 50:
            for xb, yb in loader:
                loss = lib.nn.functional.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                out.append(loss.item())
                step += 1
                if step == 50:
                    break
        losses[lib.__name__] = np.array(out)
    np.testing.assert_allclose(losses["lamina"], losses["torch"], atol=1e-4, rtol=1e-4)
    assert losses["lamina"][-10:].mean() < losses["lamina"][:10].mean(), "the loss did not fall"
    for (name, p), q in zip(t_model.named_parameters(), l_model.parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), atol=1e-4, err_msg=name)


# ---- the helper -----------------------------------------------------------------------------------------

def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 20)).astype(np.float32)
    y = (x[:, :4].argmax(1)).astype(np.int64)  # learnable
    return x, y


def _loaders(data, x, y, lib, batch_size=16):
    split = len(x) * 3 // 4
    train = data.DataLoader(data.TensorDataset(lib.from_numpy(x[:split].copy()), lib.from_numpy(y[:split].copy())),
                            batch_size=batch_size)
    val = data.DataLoader(data.TensorDataset(lib.from_numpy(x[split:].copy()), lib.from_numpy(y[split:].copy())),
                          batch_size=batch_size)
    return train, val


def test_fit_history_equals_a_plain_torch_loop():
    """fit's per-epoch means (loss, accuracy, validation) are what a hand-written torch loop measures."""
    x, y = _data()
    t_model, l_model = mlp(torch), mlp(lamina)
    copy_weights(t_model, l_model)
    t_train, t_val = _loaders(tdata, x, y, torch)
    l_train, l_val = _loaders(ldata, x, y, lamina)
    t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-2)
    expected = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    for _ in range(3):
        sums, n = np.zeros(2), 0
        for xb, yb in t_train:
            out = t_model(xb)
            loss = torch.nn.functional.cross_entropy(out, yb)
            t_opt.zero_grad()
            loss.backward()
            t_opt.step()
            sums += [loss.item() * len(yb), (out.argmax(1) == yb).float().sum().item()]
            n += len(yb)
        expected["loss"].append(sums[0] / n)
        expected["accuracy"].append(sums[1] / n)
        with torch.no_grad():
            out = torch.cat([t_model(xb) for xb, _ in t_val])
            yv = torch.cat([yb for _, yb in t_val])
            expected["val_loss"].append(torch.nn.functional.cross_entropy(out, yv).item())
            expected["val_accuracy"].append((out.argmax(1) == yv).float().mean().item())
    l_opt = lamina.optim.Adam(l_model.parameters(), lr=1e-2)
    history = fit(l_model, l_train, l_opt, lamina.nn.functional.cross_entropy, epochs=3, val_loader=l_val,
                  metrics={"accuracy": accuracy}, progress=False)
    assert isinstance(history, History) and history.epochs == 3
    for key, values in expected.items():
        np.testing.assert_allclose(history[key], values, atol=1e-5, err_msg=key)
    assert len(history["time"]) == 3 and all(t > 0 for t in history["time"])
    assert history["loss"][-1] < history["loss"][0]
    assert "epochs=3" in repr(history)


def test_fit_metric_names_and_binary_accuracy():
    x, y = _data()
    yb = (y == 0).astype(np.float32)[:, None]
    model = lamina.nn.Sequential(lamina.nn.Linear(20, 1), lamina.nn.Sigmoid())
    loader = ldata.DataLoader(ldata.TensorDataset(lamina.from_numpy(x), lamina.from_numpy(yb)), batch_size=32)
    h = fit(model, loader, lamina.optim.SGD(model.parameters(), lr=0.5), lamina.nn.functional.binary_cross_entropy,
            epochs=2, metrics=["binary_accuracy"], progress=False)
    assert 0 <= h["binary_accuracy"][-1] <= 1
    out = model(lamina.from_numpy(x))
    expected = ((out.detach().numpy() > 0.5) == (yb > 0.5)).mean()
    assert binary_accuracy(out, lamina.from_numpy(yb)) == pytest.approx(expected)
    with pytest.raises(ValueError, match="unknown metric name"):
        fit(model, loader, lamina.optim.SGD(model.parameters(), lr=0.1), lamina.nn.functional.mse_loss,
            metrics=["f1"], progress=False)


def test_evaluate_uses_eval_mode_and_restores_it():
    x, y = _data(32)
    model = lamina.nn.Sequential(lamina.nn.Linear(20, 8), lamina.nn.Dropout(0.9), lamina.nn.Linear(8, 4))
    loader = ldata.DataLoader(ldata.TensorDataset(lamina.from_numpy(x), lamina.from_numpy(y)), batch_size=8)
    model.train()
    first = evaluate(model, loader, lamina.nn.functional.cross_entropy)
    second = evaluate(model, loader, lamina.nn.functional.cross_entropy)
    assert first == second, "dropout was active during evaluation"
    assert model.training
    with lamina.no_grad():
        direct = lamina.nn.functional.cross_entropy(model.eval()(lamina.from_numpy(x)), lamina.from_numpy(y)).item()
    assert first["loss"] == pytest.approx(direct, rel=1e-5)


def test_fit_scheduler_early_stop_and_bad_batches():
    x, y = _data()
    model = mlp(lamina)
    opt = lamina.optim.SGD(model.parameters(), lr=0.1)
    sched = lamina.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    loader = ldata.DataLoader(ldata.TensorDataset(lamina.from_numpy(x), lamina.from_numpy(y)), batch_size=32)
    seen = []
    h = fit(model, loader, opt, lamina.nn.functional.cross_entropy, epochs=10, scheduler=sched, progress=False,
            on_epoch_end=lambda epoch, logs: seen.append(epoch) or epoch == 3)
    assert h.epochs == 3 and seen == [1, 2, 3]
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)
    plateau = lamina.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    fit(model, loader, opt, lamina.nn.functional.cross_entropy, epochs=2, scheduler=plateau, progress=False)
    bad = ldata.DataLoader(ldata.TensorDataset(lamina.from_numpy(x)), batch_size=32)
    with pytest.raises(ValueError, match=r"expected batches of \(inputs..., target\)"):
        fit(model, bad, opt, lamina.nn.functional.cross_entropy, progress=False)


def test_progress_silent_off_terminal_and_plain_line_on_request():
    x, y = _data()
    model = mlp(lamina)
    loader = ldata.DataLoader(ldata.TensorDataset(lamina.from_numpy(x), lamina.from_numpy(y)), batch_size=16)
    opt = lamina.optim.SGD(model.parameters(), lr=0.1)
    quiet = io.StringIO()
    fit(model, loader, opt, lamina.nn.functional.cross_entropy, epochs=2, stream=quiet)
    assert quiet.getvalue() == "", "progress must be silent when the stream is not a terminal"
    plain = io.StringIO()
    fit(model, loader, opt, lamina.nn.functional.cross_entropy, epochs=2, stream=plain, progress="plain")
    text = plain.getvalue()
    assert "epoch 1/2" in text and "epoch 2/2" in text and "6/6" in text and "loss" in text

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    tty = Terminal()
    fit(model, loader, opt, lamina.nn.functional.cross_entropy, epochs=1, stream=tty)
    assert "epoch 1/1" in tty.getvalue(), "progress is on by default on a terminal"


def test_plot_written_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    x, y = _data()
    model = mlp(lamina)
    train, val = _loaders(ldata, x, y, lamina)
    path = tmp_path / "curves.png"
    h = fit(model, train, lamina.optim.Adam(model.parameters(), lr=1e-2), lamina.nn.functional.cross_entropy,
            epochs=2, val_loader=val, metrics=["accuracy"], plot=str(path), progress=False)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    again = tmp_path / "loss_only.png"
    h2 = History()
    h2.record(loss=1.0)
    h2.epochs = 1
    h2.plot(again)
    assert again.exists() and h.plot(tmp_path / "b.png")


def test_import_lamina_loads_no_optional_dependency():
    code = ("import sys, lamina, lamina.nn, lamina.optim, lamina.utils.data, lamina.training; "
            "print(sorted(m for m in ('tqdm', 'matplotlib', 'torch', 'scipy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.stdout.strip() == "[]", out.stdout
