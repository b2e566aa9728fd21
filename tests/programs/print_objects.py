import torch
import torch.nn as nn
class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor
    def extra_repr(self):
        return f"factor={self.factor}"
    def forward(self, x):
        return x * self.factor
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 3), Scale(0.5), nn.Sequential())
        self.empty = nn.Module()
        self.head = nn.Linear(3, 1, bias=False)
    def forward(self, x):
        return self.head(self.body(x))
net = Net()
emit("net", str(net))
emit("empty", (repr(nn.Module()), repr(nn.Sequential()), repr(nn.ModuleList()), repr(nn.ModuleDict())))
sync(net)
sd = net.state_dict()
emit("sd_repr", repr(sd).replace("\n", " ")[:60])
emit("sd_type", type(sd).__name__)
emit("param", str(net.head.weight))
emit("param_list", str(list(net.head.parameters())))
opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
emit("adam", repr(opt))
emit("sgd", str(torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)))
emit("adamw", str(torch.optim.AdamW([{"params": net.head.parameters()}, {"params": net.body.parameters(), "lr": 0.1}], lr=1e-3)))
emit("rms", str(torch.optim.RMSprop(net.parameters())))
x = torch.from_numpy(np.array([[1.0, 2.0]], dtype=np.float32))
out = net(x)
loss = (out ** 2).mean()
emit("loss_str", str(loss))
emit("out_str", str(out))
fn = loss.grad_fn
names = []
while fn is not None:
    names.append(fn.name())
    nxt = [f for f, _ in fn.next_functions if f is not None]
    fn = nxt[0] if nxt else None
emit("chain", names)
emit("leaf_acc", type(net.head.weight.grad_fn).__name__)
emit("detached_str", str(out.detach()))
emit("nograd_str", str(torch.no_grad()(lambda: net(x))()))
emit("int_div", str(torch.tensor([7, 8]) / 2))
emit("requires_grad_str", str(torch.zeros(2, dtype=torch.float64, requires_grad=True)))
emit("view_str", str(torch.arange(4.0, requires_grad=True).view(2, 2)))
emit("idx_str", str(torch.arange(4.0, requires_grad=True)[1:]))
emit("T_str", str(torch.ones(2, 1, requires_grad=True).t()))
emit("sum_str", str(torch.ones(2, 2, requires_grad=True).sum(0)))
emit("mean_str", str(torch.ones(2, 2, requires_grad=True).mean()))
emit("relu_str", str(torch.relu(torch.ones(1, requires_grad=True))))
emit("sm_str", str(torch.softmax(torch.ones(2, requires_grad=True), 0)))
emit("clone_str", str(torch.ones(1, requires_grad=True).clone()))
emit("float_str", str(torch.ones(1, requires_grad=True).double()))
emit("cat_str", str(torch.cat([torch.ones(1, requires_grad=True), torch.zeros(1)])))
emit("mm_str", str(torch.ones(1, 2, requires_grad=True) @ torch.ones(2, 1)))
emit("bce_str", str(nn.BCEWithLogitsLoss()(torch.zeros(2, requires_grad=True), torch.ones(2))))
emit("ce_str", str(nn.CrossEntropyLoss()(torch.zeros(1, 3, requires_grad=True), torch.tensor([1]))))
emit("mse_str", str(nn.MSELoss()(torch.zeros(2, requires_grad=True), torch.ones(2))))
emit("l1_str", str(nn.L1Loss()(torch.zeros(2, requires_grad=True), torch.ones(2))))
emit("nll_str", str(nn.NLLLoss()(torch.zeros(1, 3, requires_grad=True), torch.tensor([1]))))
emit("conv_str", str(nn.Conv2d(1, 1, 1)(torch.ones(1, 1, 1, 1)).grad_fn.name()))
emit("pool_str", nn.MaxPool2d(1)(torch.ones(1, 1, 1, 1, requires_grad=True)).grad_fn.name())
emit("emb_str", nn.Embedding(2, 1)(torch.tensor([1])).grad_fn.name())
emit("ln_str", nn.LayerNorm(2)(torch.ones(1, 2)).grad_fn.name())
emit("bn_str", nn.BatchNorm1d(2)(torch.ones(3, 2)).grad_fn.name())
emit("gelu_str", nn.GELU()(torch.ones(1, requires_grad=True)).grad_fn.name())
emit("where_str", torch.where(torch.tensor([True]), torch.ones(1, requires_grad=True), 0.0).grad_fn.name())
emit("size_fmt", (f"{torch.ones(2, 3).shape}", str(torch.ones(2, 3).size(0)), str(list(torch.ones(2, 3).shape))))
emit("device", (str(torch.device("cpu")), repr(torch.device("cpu", 0)) if False else "", str(torch.ones(1).device)))
emit("dtypes", [str(d) for d in (torch.float, torch.double, torch.half, torch.long, torch.int, torch.short, torch.uint8, torch.bool)])
emit("generator", type(torch.Generator()).__name__)
emit("no_grad_repr", type(torch.no_grad()).__name__)
