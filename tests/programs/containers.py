from collections import OrderedDict
import torch
import torch.nn as nn
class MultiHead(nn.Module):
    def __init__(self, tasks):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
        self.blocks.append(nn.Linear(4, 6))
        self.heads = nn.ModuleDict({t: nn.Linear(6, n) for t, n in tasks.items()})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(4)) for _ in range(2)])
        self.temps = nn.ParameterDict({"a": nn.Parameter(torch.tensor(1.5))})
        self.emb = nn.Embedding(10, 4, max_norm=1.0)
    def forward(self, tok):
        h = self.emb(tok)
        for i, blk in enumerate(self.blocks[:-1]):
            h = torch.relu(blk(h)) * self.scales[i]
        h = self.blocks[-1](h)
        return {name: head(h) / self.temps["a"] for name, head in self.heads.items()}
model = MultiHead({"color": 3, "size": 2})
emit("repr", repr(model))
emit("keys", list(model.state_dict().keys()))
emit("lens", (len(model.blocks), len(model.heads), len(model.scales), "color" in model.heads))
emit("heads", list(model.heads.keys()))
sync(model)
tok = torch.tensor([1, 3, 3, 7])
with torch.no_grad():
    before = model.emb.weight.clone()
out = model(tok)
emit("out", out)
emit("renormed", model.emb.weight.norm(dim=1))
emit("untouched", torch.equal(before[0], model.emb.weight[0]))
loss = sum(o.sum() for o in out.values())
loss.backward()
emit("scale_grad", [p.grad for p in model.scales])
emit("temp_grad", model.temps["a"].grad)
emit("emb_grad", model.emb.weight.grad[[1, 3, 7, 0]])
seq = nn.Sequential(OrderedDict([("fc1", nn.Linear(3, 5)), ("act", nn.ReLU()), ("fc2", nn.Linear(5, 1))]))
emit("seq_repr", repr(seq))
emit("seq_idx", (type(seq[0]).__name__, type(seq[-1]).__name__, len(seq), type(seq[:2]).__name__, repr(seq[1:])))
emit("seq_attr", seq.fc1.out_features)
seq.append(nn.Sigmoid())
emit("seq2", [type(m).__name__ for m in seq])
del seq[1]
emit("seq3", [n for n, _ in seq.named_children()])
layers = []
for d_in, d_out in [(3, 8), (8, 8), (8, 2)]:
    layers += [nn.Linear(d_in, d_out), nn.ReLU()]
mlp = nn.Sequential(*layers[:-1])
emit("mlp", repr(mlp))
ml = nn.ModuleList()
ml.extend([nn.Conv1d(2, 2, 3), nn.Tanh()])
ml.insert(1, nn.BatchNorm1d(2))
emit("ml", repr(ml))
emit("ml_iter", [type(m).__name__ for m in ml[::-1]])
md = nn.ModuleDict()
md["enc"] = nn.GRU(3, 4)
md.update({"dec": nn.Linear(4, 3)})
emit("md", (repr(md), list(md.items())[0][0], "enc" in md))
pl = nn.ParameterList([torch.zeros(2), nn.Parameter(torch.ones(3))])
emit("pl", (repr(pl), [type(p).__name__ for p in pl], [p.requires_grad for p in pl]))
pd = nn.ParameterDict({"w": nn.Parameter(torch.zeros(2, 2))})
emit("pd", repr(pd))
emb = nn.Embedding(5, 3, max_norm=0.5, norm_type=1.0, scale_grad_by_freq=True)
sync(emb)
e = emb(torch.tensor([[0, 2, 2], [4, 2, 0]]))
e.sum().backward()
emit("emb", (e, emb.weight.grad, emb.weight.abs().sum(1)))
emit("emb_repr", repr(emb))
eb = nn.EmbeddingBag(6, 3, mode="mean")
sync(eb)
emit("bag", eb(torch.tensor([1, 2, 4, 5, 4, 3]), torch.tensor([0, 2])))
