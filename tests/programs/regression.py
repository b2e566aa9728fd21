import torch
import torch.nn as nn
import torch.optim as optim
rng = np.random.default_rng(1)
x_np = rng.uniform(-1, 1, (100, 1)).astype(np.float32)
X = torch.tensor(x_np)
y = 3 * X + 0.5 + 0.1 * torch.from_numpy(rng.standard_normal((100, 1)).astype(np.float32))
model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
sync(model)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
for epoch in range(50):
    optimizer.zero_grad()
    outputs = model(X)
    loss = criterion(outputs, y)
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 10 == 0:
        emit("loss", loss.item())
        emit("fmt", f"Epoch [{epoch+1}/50], Loss: {loss.item():.2f}"[:14])
model.eval()
with torch.no_grad():
    predicted = model(X).detach().numpy()
emit("pred", predicted)
emit("params", sum(p.numel() for p in model.parameters() if p.requires_grad))
w = model[0].weight
emit("wshape", (w.shape, w.dtype, w.requires_grad, w.is_leaf))
emit("mae", torch.mean(torch.abs(model(X) - y)).item())
