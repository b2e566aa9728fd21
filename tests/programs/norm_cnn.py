import torch
import torch.nn as nn
import torch.nn.functional as F
class Block(nn.Module):
    def __init__(self, c_in, c_out, norm):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.norm = {"group": nn.GroupNorm(2, c_out), "instance": nn.InstanceNorm2d(c_out, affine=True, track_running_stats=True),
                     "batch": nn.BatchNorm2d(c_out, momentum=0.2)}[norm]
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
    def forward(self, x):
        return F.silu(self.norm(self.conv(x)) + self.skip(x))
class ResNetLite(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.Hardswish())
        self.b1 = Block(4, 4, "group")
        self.b2 = Block(4, 6, "instance")
        self.b3 = Block(6, 6, "batch")
        self.ln = nn.LayerNorm([6, 4, 4])
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(6, 2)
    def forward(self, x):
        x = self.b3(self.b2(self.b1(self.stem(x))))
        x = self.ln(F.avg_pool2d(x, 2) if x.shape[-1] == 8 else x)
        return self.fc(self.pool(x).flatten(1))
model = ResNetLite()
sync(model)
emit("buffers", [n for n, _ in model.named_buffers()])
rng = np.random.default_rng(8)
x = torch.from_numpy(rng.standard_normal((4, 3, 16, 16)).astype(np.float32))
y = torch.tensor([0, 1, 1, 0])
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, dampening=0.1)
for _ in range(3):
    out = model(x)
    loss = F.cross_entropy(out, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    emit("loss", loss.item())
emit("in_stats", (model.b2.norm.running_mean, model.b2.norm.running_var))
emit("bn_stats", (model.b3.norm.running_mean, model.b3.norm.num_batches_tracked))
emit("gn_grad", model.b1.norm.weight.grad)
model.eval()
with torch.no_grad():
    emit("eval", model(x))
    emit("eval_single", model(x[:1]))
seq = torch.from_numpy(rng.standard_normal((2, 5, 10)).astype(np.float32))
c1 = nn.Sequential(nn.Conv1d(5, 6, 3, padding=2, dilation=2, padding_mode="reflect"), nn.InstanceNorm1d(6), nn.ReLU(),
                   nn.Conv1d(6, 4, 3, stride=2, padding_mode="circular", padding=1), nn.BatchNorm1d(4), nn.AdaptiveAvgPool1d(3))
sync(c1)
out1 = c1(seq)
out1.mean().backward()
emit("conv1d", (out1, c1[0].weight.grad))
ln = nn.LayerNorm(10, eps=1e-6, bias=False)
sync(ln)
emit("ln_nobias", (ln(seq)[0, 0], list(ln.state_dict().keys())))
emit("fn_norms", (F.group_norm(x[:, :2], 1), F.instance_norm(x[:1, :2]).mean(), F.normalize(seq, dim=-1)[0, 0]))
emit("local_resp", nn.LocalResponseNorm(2)(x[:1, :, :2, :2]))
