import torch
import torch.nn as nn
class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=2, batch_first=True, dropout=0.0)
        self.fc = nn.Linear(hidden_dim, num_classes)
    def forward(self, x):
        emb = self.embedding(x)
        out, (h_n, c_n) = self.lstm(emb)
        return self.fc(h_n[-1])
model = LSTMClassifier(20, 8, 16, 2)
sync(model)
rng = np.random.default_rng(3)
x = torch.tensor(rng.integers(0, 20, (4, 7)), dtype=torch.long)
y = torch.tensor([0, 1, 1, 0])
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(5):
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = criterion(logits, y)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()
    emit("loss", loss.item())
    emit("norm", norm)
with torch.no_grad():
    probs = torch.softmax(model(x), dim=1)
    emit("probs", probs)
    emit("pred", torch.argmax(probs, dim=1))
h0 = torch.zeros(2, 4, 16)
c0 = torch.zeros(2, 4, 16)
out, (h, c) = model.lstm(model.embedding(x), (h0, c0))
emit("out", out)
emit("hshape", (h.shape, c.shape))
