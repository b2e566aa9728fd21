import math
import torch
import torch.nn as nn
torch.manual_seed(0)
emit("gains", (nn.init.calculate_gain("relu"), nn.init.calculate_gain("leaky_relu", 0.2), nn.init.calculate_gain("tanh"),
               nn.init.calculate_gain("selu"), nn.init.calculate_gain("sigmoid"), nn.init.calculate_gain("conv2d")))
w = torch.empty(6, 4, 3, 3)
emit("fans", nn.init._calculate_fan_in_and_fan_out(w))
def bounded(t, bound):
    return bool(t.abs().max() <= bound + 1e-6)
emit("kaiming_u", bounded(nn.init.kaiming_uniform_(w, a=math.sqrt(5)), 1 / math.sqrt(36)))
emit("kaiming_fan_out", bounded(nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"), math.sqrt(6 / 54)))
emit("xavier_u", bounded(nn.init.xavier_uniform_(w, gain=2.0), 2.0 * math.sqrt(6 / 90)))
emit("uniform", bounded(nn.init.uniform_(torch.empty(100), -0.1, 0.1), 0.1))
emit("trunc", bounded(nn.init.trunc_normal_(torch.empty(1000), std=1.0, a=-0.5, b=0.5), 0.5))
emit("normal_ret", type(nn.init.normal_(torch.empty(3), mean=1.0, std=0.0)).__name__)
emit("normal_std0", nn.init.normal_(torch.empty(3), mean=1.0, std=0.0))
emit("const", nn.init.constant_(torch.empty(2, 2), 0.3))
emit("ones_zeros", (nn.init.ones_(torch.empty(2)), nn.init.zeros_(torch.empty(2))))
emit("eye", nn.init.eye_(torch.empty(2, 3)))
emit("dirac", nn.init.dirac_(torch.empty(2, 2, 3)))
q = nn.init.orthogonal_(torch.empty(4, 6), gain=1.5)
emit("orth", torch.allclose(q @ q.t(), 2.25 * torch.eye(4), atol=1e-5))
sp = nn.init.sparse_(torch.empty(10, 4), sparsity=0.3)
emit("sparse_zeros", (sp == 0).sum(0))
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.rnn = nn.LSTM(3, 4)
        self.fc = nn.Linear(4, 2)
net = Net()
def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.constant_(m.weight, 1)
        nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.LSTM):
        for name, param in m.named_parameters():
            if "weight" in name:
                nn.init.orthogonal_(param)
            else:
                param.data.fill_(0)
                n = param.size(0)
                param.data[n // 4:n // 2].fill_(1.0)
ret = net.apply(init_weights)
emit("apply_ret", ret is net)
emit("biases", (net.conv.bias, net.fc.bias, net.rnn.bias_ih_l0))
emit("orth_lstm", torch.allclose(net.rnn.weight_hh_l0.t() @ net.rnn.weight_hh_l0, torch.eye(4), atol=1e-5))
emit("default_bounds", (bounded(nn.Linear(9, 3).weight, 1 / 3), bounded(nn.Linear(9, 3).bias, 1 / 3),
                        bounded(nn.Conv2d(2, 3, 3).weight, 1 / math.sqrt(18)), bounded(nn.LSTM(4, 16).weight_ih_l0, 0.25),
                        bounded(nn.Embedding(4, 3).weight, 10.0), nn.LayerNorm(3).weight, nn.PReLU().weight))
with torch.no_grad():
    net.fc.weight.copy_(torch.full((2, 4), 0.5))
    net.fc.weight.uniform_(-0.01, 0.01).clamp_(0, 0.01)
emit("copy_inplace", bounded(net.fc.weight, 0.01))
emit("reset", (net.fc.reset_parameters(), bounded(net.fc.weight, 0.5)))
