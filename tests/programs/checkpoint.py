import io
import copy
import torch
import torch.nn as nn
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    def forward(self, x):
        return self.net(x)
rng = np.random.default_rng(4)
X = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32))
Y = torch.from_numpy(rng.integers(0, 2, 16))
def train_steps(model, opt, sched, n):
    model.train()
    for _ in range(n):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        sched.step()
    return loss.item()
model = MLP()
sync(model)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
emit("loss_a", train_steps(model, opt, sched, 3))
buf = io.BytesIO()
torch.save({"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
            "scheduler": sched.state_dict(), "loss": 0.5, "note": "ckpt"}, buf)
buf.seek(0)
ckpt = torch.load(buf)
emit("ckpt_keys", sorted(ckpt.keys()))
emit("opt_sd", (sorted(ckpt["optimizer_state_dict"]["state"].keys()), ckpt["optimizer_state_dict"]["param_groups"][0]["params"]))
emit("step_t", ckpt["optimizer_state_dict"]["state"][0]["step"])
model2 = MLP()
opt2 = torch.optim.Adam(model2.parameters(), lr=1e-2)
sched2 = torch.optim.lr_scheduler.ExponentialLR(opt2, gamma=0.9)
res = model2.load_state_dict(ckpt["model_state_dict"])
emit("res", (res.missing_keys, res.unexpected_keys))
opt2.load_state_dict(ckpt["optimizer_state_dict"])
sched2.load_state_dict(ckpt["scheduler"])
emit("lr_resumed", opt2.param_groups[0]["lr"])
emit("loss_b", train_steps(model, opt, sched, 2))
emit("loss_c", train_steps(model2, opt2, sched2, 2))
emit("same", all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), model2.state_dict().values())))
emit("bn_buf", model2.net[1].running_var)
path = os.path.join(tmpdir, "ckpt.pt")
torch.save(model.state_dict(), path)
sd = torch.load(path, map_location="cpu", weights_only=True)
emit("sd", sd)
best = copy.deepcopy(model.state_dict())
with torch.no_grad():
    model.net[0].weight.add_(1.0)
emit("deep_copy_kept", torch.equal(best["net.0.weight"] + 1.0, model.net[0].weight))
model.load_state_dict(best)
emit("restored", model.net[0].weight)
strict_fail = MLP()
missing = strict_fail.load_state_dict({k: v for k, v in best.items() if "3." not in k}, strict=False)
emit("missing", missing.missing_keys)
try:
    strict_fail.load_state_dict({"net.0.weight": torch.zeros(3, 3)}, strict=False)
except RuntimeError as e:
    emit("size_err", str(e))
