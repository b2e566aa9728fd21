import math
import torch
import torch.nn as nn
class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=50):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)
    def forward(self, x):
        return x + self.pe[: x.size(1)].transpose(0, 1)
class Classifier(nn.Module):
    def __init__(self, vocab, d_model=16, nhead=4, n_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model, padding_idx=0)
        self.pos = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, n_classes)
    def forward(self, tokens):
        pad_mask = tokens == 0
        h = self.pos(self.embed(tokens) * math.sqrt(self.embed.embedding_dim))
        h = self.encoder(h, src_key_padding_mask=pad_mask)
        keep = (~pad_mask).unsqueeze(-1).float()
        pooled = (h * keep).sum(1) / keep.sum(1).clamp(min=1)
        return self.head(pooled)
model = Classifier(25)
emit("pe", (model.pos.pe.shape, model.pos.pe[3, 0, :4]))
emit("keys", [k for k in model.state_dict().keys() if "layers.0" in k])
sync(model)
rng = np.random.default_rng(5)
tokens = torch.from_numpy(rng.integers(1, 25, (4, 7))).long()
tokens[0, 5:] = 0
tokens[2, 3:] = 0
labels = torch.tensor([0, 1, 2, 1])
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
for step in range(3):
    logits = model(tokens)
    loss = nn.functional.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    emit("loss", loss.item())
model.eval()
with torch.no_grad():
    emit("eval_logits", model(tokens))
causal = nn.Transformer.generate_square_subsequent_mask(5)
emit("causal", causal)
dec_layer = nn.TransformerDecoderLayer(16, 2, dim_feedforward=24, dropout=0.0, batch_first=True)
sync(dec_layer)
tgt = torch.from_numpy(rng.standard_normal((2, 5, 16)).astype(np.float32))
mem = torch.from_numpy(rng.standard_normal((2, 7, 16)).astype(np.float32))
out = dec_layer(tgt, mem, tgt_mask=causal, tgt_is_causal=True)
emit("dec", out)
