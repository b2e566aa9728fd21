import copy
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(101)
raw = rng.normal([50.0, 0.3, 1000.0], [10.0, 0.1, 300.0], (60, 3))
target = (raw[:, 0] * 0.05 - raw[:, 1] * 2 + raw[:, 2] / 500)[:, None]
X = torch.tensor(raw)
y = torch.tensor(target)
emit("dtype", (X.dtype, torch.get_default_dtype(), torch.zeros(1).dtype, torch.tensor([1.5]).dtype, torch.arange(3.0).dtype))
mean, std = X[:40].mean(0, keepdim=True), X[:40].std(0, keepdim=True)
Xn = (X - mean) / std
emit("norm", (mean, std, Xn[:2]))
train = DataLoader(TensorDataset(Xn[:40], y[:40]), batch_size=10, shuffle=False)
Xv, yv = Xn[40:], y[40:]
model = nn.Sequential(nn.Linear(3, 8), nn.ELU(), nn.Dropout(0.0), nn.Linear(8, 1))
emit("param_dtype", model[0].weight.dtype)
sync(model)
opt = torch.optim.NAdam(model.parameters(), lr=0.02)
best, best_state, patience, bad = float("inf"), None, 2, 0
history = []
for epoch in range(8):
    model.train()
    total = 0.0
    for xb, yb in train:
        opt.zero_grad()
        loss = nn.functional.huber_loss(model(xb), yb, delta=0.5)
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    model.eval()
    with torch.no_grad():
        val = nn.functional.mse_loss(model(Xv), yv).item()
    history.append((round(total / 40, 6), round(val, 6)))
    if val < best - 1e-4:
        best, best_state, bad = val, copy.deepcopy(model.state_dict()), 0
    else:
        bad += 1
        if bad >= patience:
            break
emit("history", history)
emit("epochs", len(history))
model.load_state_dict(best_state)
with torch.no_grad():
    pred = model(Xv)
emit("pred", pred[:5])
emit("r2", 1 - ((pred - yv) ** 2).sum() / ((yv - yv.mean()) ** 2).sum())
emit("f32_model", nn.Linear(2, 2).float().weight.dtype)
torch.set_default_dtype(torch.float32)
emit("restored", (torch.zeros(1).dtype, torch.tensor([1.5]).dtype, nn.Linear(1, 1).weight.dtype))
