import torch
import torch.nn as nn
from torch.optim.lr_scheduler import OneCycleLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau, LambdaLR
model = nn.Sequential(nn.Linear(6, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 1))
sync(model)
decay, no_decay = [], []
for name, p in model.named_parameters():
    (no_decay if name.endswith("bias") or "1." in name else decay).append(p)
emit("groups", (len(decay), len(no_decay)))
optimizer = torch.optim.AdamW([
    {"params": decay, "weight_decay": 0.05},
    {"params": no_decay, "weight_decay": 0.0},
], lr=1e-2, betas=(0.9, 0.95), eps=1e-6)
emit("pg", [(g["lr"], g["weight_decay"], g["betas"], g["amsgrad"]) for g in optimizer.param_groups])
rng = np.random.default_rng(1)
X = torch.from_numpy(rng.standard_normal((32, 6)).astype(np.float32))
y = X[:, :1] * 2 - X[:, 1:2]
scheduler = OneCycleLR(optimizer, max_lr=0.05, total_steps=8, pct_start=0.25)
for step in range(8):
    optimizer.zero_grad()
    loss = nn.functional.smooth_l1_loss(model(X), y, beta=0.5)
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5, norm_type=2.0)
    nn.utils.clip_grad_value_(model.parameters(), clip_value=0.1)
    optimizer.step()
    scheduler.step()
    emit("lr", (scheduler.get_last_lr(), optimizer.param_groups[0]["betas"]))
    emit("loss", loss.item())
    emit("total_norm", total)
emit("w_after", model[0].weight)
opt2 = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, momentum=0.5, centered=True)
warm = CosineAnnealingWarmRestarts(opt2, T_0=3, T_mult=2, eta_min=1e-5)
for epoch in range(10):
    opt2.zero_grad()
    nn.functional.mse_loss(model(X), y).backward()
    opt2.step()
    warm.step()
    emit("warm", opt2.param_groups[0]["lr"])
emit("w_rms", model[3].weight)
emit("rms_state", sorted(opt2.state[model[3].weight].keys()))
opt3 = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
plateau = ReduceLROnPlateau(opt3, mode="max", factor=0.5, patience=0, threshold=0.01, cooldown=1, min_lr=0.02)
for metric in [0.5, 0.6, 0.6, 0.6, 0.6, 0.61, 0.61]:
    plateau.step(metric)
    emit("plateau", (opt3.param_groups[0]["lr"], plateau.num_bad_epochs))
warmup = LambdaLR(opt3, lr_lambda=lambda e: min(1.0, (e + 1) / 3))
for _ in range(4):
    opt3.step()
    warmup.step()
    emit("lambda", warmup.get_last_lr())
opt4 = torch.optim.Adagrad(model.parameters(), lr=0.1, lr_decay=0.01)
for _ in range(2):
    opt4.zero_grad()
    nn.functional.l1_loss(model(X), y).backward()
    opt4.step()
emit("w_adagrad", model[3].weight)
