import torch
import torch.nn as nn
activations = {}
def save_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook
model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
sync(model)
handles = [model[i].register_forward_hook(save_activation(f"layer{i}")) for i in range(3)]
x = torch.from_numpy(np.array([[0.1, -0.2, 0.3], [1.0, 0.5, -1.0]], dtype=np.float32))
out = model(x)
emit("acts", {k: activations[k] for k in sorted(activations)})
for h in handles:
    h.remove()
activations.clear()
model(x)
emit("removed", len(activations))
calls = []
def pre_hook(module, args):
    calls.append(("pre", args[0].shape))
    return (args[0] * 2,)
h = model[0].register_forward_pre_hook(pre_hook)
emit("pre_out", model(x))
h.remove()
def double_output(module, inp, out):
    return out * 2
h = model[1].register_forward_hook(double_output)
emit("hooked_out", model(x))
h.remove()
grads = {}
def bwd_hook(module, grad_input, grad_output):
    grads["in"] = [g.shape if g is not None else None for g in grad_input]
    grads["out"] = grad_output[0].detach().clone()
h = model[2].register_full_backward_hook(bwd_hook)
model(x).sum().backward()
emit("bwd", (grads["in"], grads["out"]))
h.remove()
w_grads = []
model.zero_grad()
hh = model[0].weight.register_hook(lambda g: w_grads.append(g.norm()))
scale = model[0].bias.register_hook(lambda g: g * 0.5)
model(x).pow(2).sum().backward()
emit("tensor_hook", (w_grads[0], model[0].bias.grad))
hh.remove()
scale.remove()
y = torch.tensor([1.0, 2.0], requires_grad=True)
z = y * 3
z.retain_grad()
z.register_hook(lambda g: print("grad of z", g))
(z ** 2).sum().backward()
emit("retained", (z.grad, y.grad, z.is_leaf, y.is_leaf, z.grad_fn.name()))
class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))
        self.register_buffer("running", torch.zeros(2))
    def forward(self, x):
        if self.training:
            self.calls += 1
            with torch.no_grad():
                self.running.mul_(0.9).add_(0.1 * x.mean(0))
        return self.lin(x)
c = Counter()
for _ in range(3):
    c(x[:, :2])
emit("buffers", dict(c.named_buffers()))
emit("sd_keys", list(c.state_dict().keys()))
c.eval()
c(x[:, :2])
emit("calls", c.calls.item())
emit("double", c.double().running.dtype)
