import contextlib
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint
from torch.cuda.amp import GradScaler
torch.backends.cudnn.benchmark = True
torch.set_float32_matmul_precision("high")
device = "cuda" if torch.cuda.is_available() else "cpu"
use_amp = device == "cuda"
class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
    def forward(self, x):
        return x + self.ff(self.norm(x))
class Net(nn.Module):
    def __init__(self, d=8, n_blocks=2, grad_ckpt=True):
        super().__init__()
        self.inp = nn.Linear(4, d)
        self.blocks = nn.ModuleList(Block(d) for _ in range(n_blocks))
        self.out = nn.Linear(d, 3)
        self.grad_ckpt = grad_ckpt
    def forward(self, x):
        h = self.inp(x)
        for blk in self.blocks:
            h = checkpoint(blk, h, use_reentrant=False) if self.grad_ckpt and self.training else blk(h)
        return self.out(h)
model = Net().to(device)
sync(model)
rng = np.random.default_rng(77)
X = torch.from_numpy(rng.standard_normal((12, 4)).astype(np.float32)).to(device, non_blocking=True)
Y = torch.from_numpy(rng.integers(0, 3, 12)).to(device)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, fused=None)
scaler = GradScaler(enabled=use_amp)
cpu_scaler = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
for step in range(4):
    opt.zero_grad(set_to_none=True)
    ctx = torch.autocast(device_type="cuda", dtype=torch.float16) if use_amp else contextlib.nullcontext()
    with ctx:
        loss = F.cross_entropy(model(X), Y, label_smoothing=0.05)
    s = cpu_scaler if step % 2 else scaler
    s.scale(loss).backward()
    s.unscale_(opt)
    gn = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    s.step(opt)
    s.update()
    emit("step", (loss.item(), gn.item(), s.get_scale()))
emit("scaler_state", (scaler.state_dict(), cpu_scaler.state_dict()))
model.eval()
with torch.inference_mode():
    logits = model(X)
emit("eval", (logits, logits.requires_grad))
emit("amp_types", (type(scaler).__name__, scaler.is_enabled(), cpu_scaler.is_enabled()))
