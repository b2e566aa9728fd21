import torch
import torch.nn as nn
from torch.optim.lr_scheduler import StepLR, CosineAnnealingLR, ReduceLROnPlateau
model = nn.Linear(2, 1)
sync(model)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
x = torch.from_numpy(np.ones((4, 2), dtype=np.float32))
y = torch.zeros(4, 1)
for epoch in range(5):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    emit("lr", scheduler.get_last_lr())
    emit("lr2", optimizer.param_groups[0]["lr"])
opt2 = torch.optim.Adam(model.parameters(), lr=1e-3)
cos = CosineAnnealingLR(opt2, T_max=4)
for _ in range(4):
    opt2.step()
    cos.step()
    emit("cos", opt2.param_groups[0]["lr"])
opt3 = torch.optim.SGD(model.parameters(), lr=1.0)
plateau = ReduceLROnPlateau(opt3, mode="min", factor=0.1, patience=1)
for val in [1.0, 1.0, 1.0, 1.0]:
    plateau.step(val)
    emit("plateau", opt3.param_groups[0]["lr"])
emit("w", model.weight)
sd = optimizer.state_dict()
emit("sdkeys", sorted(sd.keys()))
emit("sched_sd", scheduler.state_dict()["last_epoch"])
