import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
PAD = 0
class TextClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.gru = nn.GRU(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(2 * hidden, num_classes)
    def forward(self, tokens, lengths):
        emb = self.embedding(tokens)
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.gru(packed)
        padded, out_lens = pad_packed_sequence(out, batch_first=True)
        h = torch.cat([h_n[-2], h_n[-1]], dim=1)
        return self.fc(self.dropout(h)), padded, out_lens
rng = np.random.default_rng(7)
seqs = [torch.tensor(rng.integers(1, 30, n), dtype=torch.long) for n in (5, 3, 6, 2)]
lengths = torch.tensor([len(s) for s in seqs])
tokens = pad_sequence(seqs, batch_first=True, padding_value=PAD)
emit("tokens", tokens)
labels = torch.tensor([0, 2, 1, 2])
model = TextClassifier(30, 8, 12, 3)
sync(model)
emit("pad_row", model.embedding.weight[PAD])
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
model.eval()
logits, padded, out_lens = model(tokens, lengths)
emit("logits0", logits)
emit("padded", (padded.shape, out_lens))
emit("padded_tail", padded[1, 3:])
model.train()
model.dropout.p = 0.0
for step in range(4):
    optimizer.zero_grad()
    logits, _, _ = model(tokens, lengths)
    loss = criterion(logits, labels)
    loss.backward()
    emit("pad_grad", model.embedding.weight.grad[PAD].abs().sum().item())
    optimizer.step()
    emit("loss", loss.item())
emit("ih_l0_reverse", model.gru.weight_ih_l0_reverse)
tagger = nn.Linear(24, 5)
sync(tagger)
tags = torch.full(tokens.shape, -100, dtype=torch.long)
for i, n in enumerate(lengths.tolist()):
    tags[i, :n] = torch.tensor(rng.integers(0, 5, n))
with torch.no_grad():
    _, padded, _ = model(tokens, lengths)
tag_logits = tagger(padded)
tag_loss = nn.CrossEntropyLoss(ignore_index=-100)(tag_logits.view(-1, 5), tags.view(-1))
emit("tag_loss", tag_loss)
per_tok = nn.functional.cross_entropy(tag_logits.transpose(1, 2), tags, reduction="none")
emit("per_tok", per_tok)
emit("n_tokens", (tags != -100).sum())
