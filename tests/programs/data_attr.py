import torch
import torch.nn as nn
m = nn.Linear(3, 2)
m.bias.data.fill_(0.01)
m.weight.data.normal_(0.0, 0.02)
m.weight.data.uniform_(-0.1, 0.1)
m.weight.data.zero_()
m.weight.data.copy_(torch.ones(2, 3))
emit("w", m.weight)
emit("data_req", m.weight.data.requires_grad)
emit("data_np", m.weight.data.numpy())
emit("data_cpu", m.weight.data.cpu().numpy())
emit("data_type", isinstance(m.weight.data, torch.Tensor))
m.weight.data = torch.full((2, 3), 2.0)
emit("w2", m.weight)
p = m.bias
p.data.add_(torch.ones(2), alpha=-0.5)
emit("b", p)
