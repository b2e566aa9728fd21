import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
rng = np.random.default_rng(0)
X = torch.from_numpy(rng.standard_normal((64, 1, 4, 4)).astype(np.float32))
Y = torch.from_numpy(rng.integers(0, 3, 64)).long()
train_dataloader = DataLoader(TensorDataset(X, Y), batch_size=16)
test_dataloader = DataLoader(TensorDataset(X[:32], Y[:32]), batch_size=16)
for Xb, yb in test_dataloader:
    emit("shape", (Xb.shape, yb.shape, yb.dtype))
    break
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
emit("device", device)
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))
    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits
model = NeuralNetwork().to(device)
sync(model)
emit("repr", repr(model))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 2 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            emit("loss", loss)
            emit("line", f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]"[:12])
def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    emit("acc", correct)
    emit("test_loss", test_loss)
for t in range(3):
    train(train_dataloader, model, loss_fn, optimizer)
    test(test_dataloader, model, loss_fn)
path = os.path.join(tmpdir, "model.pth")
torch.save(model.state_dict(), path)
model2 = NeuralNetwork().to(device)
model2.load_state_dict(torch.load(path, weights_only=True))
model2.eval()
with torch.no_grad():
    pred = model2(X[:2])
    emit("pred", pred)
    classes = ["a", "b", "c"]
    emit("cls", classes[pred[0].argmax(0)])
