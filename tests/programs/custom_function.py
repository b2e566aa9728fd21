import torch
from torch.autograd import Function
class ClampedExp(Function):
    @staticmethod
    def forward(ctx, x, limit):
        ctx.limit = limit
        y = torch.exp(x.clamp(max=limit))
        ctx.save_for_backward(x, y)
        return y
    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        grad = grad_out * y * (x <= ctx.limit).to(y.dtype)
        return grad, None
class SortWithIndex(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = torch.sort(x, dim=-1)
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return values, idx
    @staticmethod
    def backward(ctx, grad_values, grad_idx):
        (idx,) = ctx.saved_tensors
        return torch.zeros_like(grad_values).scatter_(-1, idx, grad_values)
class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        return x.view_as(x)
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.alpha, None
x = torch.from_numpy(np.array([[-1.0, 0.5, 2.0], [3.0, 0.0, -0.5]], dtype=np.float32)).requires_grad_()
y = ClampedExp.apply(x, 1.0)
y.sum().backward()
emit("clamped", (y, x.grad, type(y.grad_fn).__name__ == "BackwardCFunction"))
x.grad = None
v, i = SortWithIndex.apply(x)
(v * torch.arange(3.0)).sum().backward()
emit("sorted", (v, i, x.grad, i.requires_grad, v.requires_grad))
x.grad = None
GradReverse.apply(x * 2, 0.5).sum().backward()
emit("reverse", x.grad)
xd = torch.tensor([0.3, -0.7, 1.1], dtype=torch.float64, requires_grad=True)
emit("gradcheck", torch.autograd.gradcheck(lambda t: ClampedExp.apply(t, 1.0), (xd,)))
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
out = (a ** 3).sum()
(g,) = torch.autograd.grad(out, a, retain_graph=True)
emit("g1", g)
b = a * 2
l1 = b.sum()
l1.backward(retain_graph=True)
l1.backward()
emit("accum", a.grad)
try:
    l1.backward()
except RuntimeError as e:
    emit("err", str(e).split(".")[0])
w = torch.ones(2, 2, requires_grad=True)
o = w @ torch.tensor([[1.0], [2.0]])
o.backward(torch.tensor([[1.0], [-1.0]]))
emit("vjp", w.grad)
p = torch.tensor([2.0], requires_grad=True)
q = p.detach().requires_grad_()
(q * 5).backward()
emit("detached", (p.grad, q.grad))
with torch.enable_grad():
    r = torch.tensor(2.0, requires_grad=True)
    s = torch.autograd.grad(torch.sin(r) * r, r)[0]
emit("autograd_grad", s)
t = torch.tensor([1.0, 4.0], requires_grad=True)
jac = torch.autograd.functional.jacobian(lambda u: u.sqrt() * u, t)
emit("jacobian", jac)
