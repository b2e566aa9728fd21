import math
import torch
import torch.nn as nn
class MyLayer(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(d_out, d_in))
        self.bias = nn.Parameter(torch.zeros(d_out))
        self.register_buffer("scale", torch.ones(d_out))
        self.register_buffer("step", torch.tensor(0), persistent=False)
        nn.init.xavier_uniform_(self.weight)
    def forward(self, x):
        self.step += 1
        return (x @ self.weight.t() + self.bias) * self.scale
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = MyLayer(4, 6)
        self.l2 = nn.Linear(6, 2)
        self.act = nn.GELU()
    def forward(self, x):
        return self.l2(self.act(self.l1(x)))
def init_weights(m):
    if isinstance(m, nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight)
        with torch.no_grad():
            m.bias.fill_(0.01)
model = Model()
model.apply(init_weights)
emit("keys", list(model.state_dict().keys()))
emit("bias", model.l2.bias)
emit("named", [n for n, _ in model.named_parameters()])
emit("buffers", [n for n, _ in model.named_buffers()])
emit("isparam", isinstance(model.l1.weight, nn.Parameter))
emit("istensor", isinstance(model.l1.weight, torch.Tensor))
emit("std", abs(model.l1.weight.std().item() - math.sqrt(2.0 / 10)) < 0.3)
sync(model)
x = torch.from_numpy(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
out = model(x)
out.sum().backward()
emit("out", out)
emit("g", model.l1.weight.grad)
emit("step", model.l1.step.item())
emit("children", [type(c).__name__ for c in model.children()])
emit("modules", len(list(model.modules())))
for name, param in model.named_parameters():
    if "bias" in name:
        param.requires_grad = False
emit("trainable", sum(p.numel() for p in model.parameters() if p.requires_grad))
model.zero_grad()
emit("grad_none", model.l1.weight.grad is None)
