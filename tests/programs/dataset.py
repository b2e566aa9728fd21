import torch
from torch.utils.data import Dataset, DataLoader, random_split
class MyDataset(Dataset):
    def __init__(self, n):
        self.x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
        self.y = np.arange(n) % 2
    def __len__(self):
        return len(self.x)
    def __getitem__(self, idx):
        return torch.from_numpy(self.x[idx]), torch.tensor(self.y[idx], dtype=torch.long)
ds = MyDataset(10)
loader = DataLoader(ds, batch_size=4, shuffle=False, drop_last=False)
emit("len", (len(ds), len(loader)))
for xb, yb in loader:
    emit("batch", (xb, yb))
g = torch.Generator().manual_seed(42)
train_ds, val_ds = random_split(ds, [8, 2], generator=g)
emit("split", (len(train_ds), len(val_ds)))
loader2 = DataLoader(train_ds, batch_size=3, shuffle=True)
emit("n2", sum(xb.shape[0] for xb, _ in loader2))
def collate(batch):
    xs, ys = zip(*batch)
    return torch.stack(xs), torch.stack(ys)
loader3 = DataLoader(ds, batch_size=5, collate_fn=collate)
emit("c", [x.shape for x, _ in loader3])
dl = DataLoader([{"a": np.float32(i), "b": [i, i + 1]} for i in range(4)], batch_size=2)
for batch in dl:
    emit("dict", (batch["a"], batch["b"]))
