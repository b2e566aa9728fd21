import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable
use_cuda = torch.cuda.is_available()
FloatTensor = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor
LongTensor = torch.cuda.LongTensor if use_cuda else torch.LongTensor
rng = np.random.default_rng(41)
x_np = rng.standard_normal((6, 4)).astype(np.float32)
x = Variable(FloatTensor(x_np))
y = Variable(LongTensor([0, 1, 2, 0, 1, 2]), requires_grad=False)
emit("types", (x.type(), y.type(), isinstance(x, torch.FloatTensor), isinstance(y, LongTensor), x.data.shape))
w = Variable(torch.FloatTensor(4, 3).zero_(), requires_grad=True)
net = nn.Linear(4, 3)
sync(net)
opt = torch.optim.SGD(net.parameters(), lr=0.5)
for i in range(3):
    out = net(x) + x.mm(w)
    loss = F.cross_entropy(out, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    w.data -= 0.5 * w.grad.data
    w.grad.data.zero_()
    emit("loss", loss.data.item())
emit("w", w)
_, pred = torch.max(out.data, 1)
emit("pred", (pred, (pred == y.data).sum().item(), pred.eq(y.data).cpu().sum().item()))
emit("cast", (x.type(torch.DoubleTensor).dtype, y.type(torch.FloatTensor).dtype, torch.ByteTensor([1, 0]).dtype))
mask = torch.ByteTensor([1, 0, 1, 0, 1, 1]).bool()
keep = mask.clone()
keep &= y.data > 0
emit("mask", (mask, keep))
counts = torch.zeros(3, dtype=torch.long)
view = counts[1:]
view += 2
view **= 2
view //= 3
emit("aug", counts)
flags = torch.tensor([0b1010, 0b0110])
emit("bits", (flags & 0b0010, flags | 1, flags ^ 0b1111, flags >> 1, flags << 2, 1 << torch.arange(4)))
img = torch.arange(2 * 3 * 4.0).view(2, 3, 4)
emit("first_cols", img[0, :, [1, 3]])
emit("sel_mixed", (img[1, [0, 2], 1:3], img[:, 1, [0, 3]], img[0, ..., [2]]))
img[0, :, [0, 2]] = torch.ones(3, 2) * -1
emit("set_mixed", img[0])
emit("flip", (img.flip(0, 2)[0, 0], img[0].flip(1).shape, img[:1].tile(2, 1, 1).shape))
eye = torch.FloatTensor(3, 3).zero_()
eye.fill_diagonal_(1.0)
emit("fill_diag", eye)
flat = torch.zeros(2, 3)
flat.put_(torch.tensor([0, 4]), torch.tensor([7.0, 8.0]))
emit("put", flat)
emit("legacy_new", (torch.Tensor(2, 2).zero_(), torch.Tensor([1, 2]), torch.Tensor(torch.Size([1, 2])).shape))
emit("volatile", Variable(torch.ones(1)).requires_grad)
