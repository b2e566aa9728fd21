import torch
from torch.utils.data import (Dataset, DataLoader, TensorDataset, Subset, ConcatDataset, random_split,
                              SequentialSampler, BatchSampler, WeightedRandomSampler, default_collate)
class Records(Dataset):
    def __init__(self, n):
        self.feats = np.linspace(0, 1, n * 2, dtype=np.float32).reshape(n, 2)
    def __len__(self):
        return len(self.feats)
    def __getitem__(self, i):
        return {"x": torch.from_numpy(self.feats[i]), "y": i % 3, "name": f"rec{i}", "w": float(i) / 10}
ds = Records(7)
dl = DataLoader(ds, batch_size=3, drop_last=True)
emit("len", len(dl))
for b in dl:
    emit("batch", (b["x"], b["y"], b["name"], b["w"]))
emit("types", (type(b["y"]).__name__, b["y"].dtype, b["w"].dtype))
X = torch.arange(20, dtype=torch.float32).view(10, 2)
Y = torch.arange(10) % 2
tds = TensorDataset(X, Y)
emit("tds", (len(tds), tds[3], tds.tensors[0].shape))
sub = Subset(tds, [1, 3, 5])
emit("subset", [sub[i][1].item() for i in range(len(sub))])
cat = ConcatDataset([sub, Subset(tds, range(8, 10))])
emit("concat", (len(cat), cat[4], cat.cumulative_sizes))
train, val, test = random_split(tds, [0.6, 0.2, 0.2], generator=torch.Generator().manual_seed(0))
emit("fractions", (len(train), len(val), len(test), sorted(train.indices + val.indices + test.indices)))
bs = BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)
emit("batch_sampler", list(bs))
dl2 = DataLoader(tds, batch_sampler=BatchSampler(SequentialSampler(tds), 4, True))
emit("dl_bs", [yb.tolist() for _, yb in dl2])
wrs = WeightedRandomSampler([0.0, 0.0, 1.0, 0.0], num_samples=5, replacement=True)
emit("weighted", list(wrs))
dl3 = DataLoader(tds, batch_size=4, sampler=wrs)
emit("sampler_shapes", [xb.shape for xb, _ in dl3])
emit("collate", default_collate([(np.array([1.0, 2.0]), 3), (np.array([3.0, 4.0]), 5)]))
emit("collate_nested", default_collate([{"a": (1, 2.0)}, {"a": (3, 4.0)}]))
emit("collate_np_scalar", default_collate([np.int64(1), np.int64(2)]))
emit("collate_strs", default_collate([["a", "b"], ["c", "d"]]))
def pad_collate(batch):
    seqs, labels = zip(*batch)
    lens = torch.tensor([len(s) for s in seqs])
    padded = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=-1)
    return padded, lens, torch.tensor(labels)
seq_data = [(torch.arange(n), n % 2) for n in (3, 1, 4, 2)]
for padded, lens, labels in DataLoader(seq_data, batch_size=2, collate_fn=pad_collate):
    emit("padded", (padded, lens, labels))
class Squares(torch.utils.data.IterableDataset):
    def __iter__(self):
        for i in range(5):
            yield torch.tensor([i * i], dtype=torch.float32)
emit("iterable", [b for b in DataLoader(Squares(), batch_size=2)])
emit("enumerate", [(i, xb.shape[0]) for i, (xb, _) in enumerate(DataLoader(tds, batch_size=4))])
emit("dataset_attr", (type(dl.dataset).__name__, dl.batch_size, dl.drop_last))
