import torch
import torch.nn as nn
class Seq2Seq(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.encoder = nn.GRUCell(hidden, hidden)
        self.decoder = nn.LSTMCell(hidden, hidden)
        self.out = nn.Linear(hidden, vocab)
    def forward(self, src, tgt, teacher_forcing=True):
        batch = src.size(0)
        h = torch.zeros(batch, self.encoder.hidden_size)
        for t in range(src.size(1)):
            h = self.encoder(self.embed(src[:, t]), h)
        c = torch.zeros_like(h)
        inp = self.embed(tgt[:, 0])
        logits = []
        for t in range(1, tgt.size(1)):
            h, c = self.decoder(inp, (h, c))
            step = self.out(h)
            logits.append(step)
            nxt = tgt[:, t] if teacher_forcing else step.argmax(-1)
            inp = self.embed(nxt)
        return torch.stack(logits, dim=1)
rng = np.random.default_rng(17)
src = torch.from_numpy(rng.integers(1, 12, (3, 5)))
tgt = torch.from_numpy(rng.integers(1, 12, (3, 4)))
model = Seq2Seq(12, 10)
sync(model)
emit("cells", (repr(model.encoder), repr(model.decoder)))
opt = torch.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
for it in range(3):
    logits = model(src, tgt)
    loss = nn.functional.cross_entropy(logits.reshape(-1, 12), tgt[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    emit("loss", loss.item())
with torch.no_grad():
    greedy = model(src, tgt, teacher_forcing=False)
emit("greedy", greedy.argmax(-1))
rnn_cell = nn.RNNCell(4, 3, nonlinearity="relu")
sync(rnn_cell)
xs = torch.from_numpy(rng.standard_normal((6, 2, 4)).astype(np.float32)).requires_grad_()
hx = torch.zeros(2, 3)
outs = []
for t in range(xs.size(0)):
    hx = rnn_cell(xs[t], hx)
    outs.append(hx)
torch.stack(outs).pow(2).sum().backward()
emit("rnncell", (torch.stack(outs), xs.grad, rnn_cell.weight_hh.grad))
unbatched = nn.GRUCell(4, 3)
sync(unbatched)
emit("unbatched", unbatched(xs[0, 0].detach()))
lstm = nn.LSTM(4, 3, proj_size=2, batch_first=True)
sync(lstm)
o, (h, c) = lstm(xs.detach().transpose(0, 1))
emit("proj", (o, h, c, [n for n, _ in lstm.named_parameters()]))
rnn = nn.RNN(4, 3, num_layers=2, nonlinearity="tanh", bias=False)
sync(rnn)
o, h = rnn(xs.detach()[:, 0])
emit("rnn_unbatched", (o.shape, h.shape, h))
