import torch
import torch.nn as nn
class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 6, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU(inplace=True),
            nn.MaxPool2d(2), nn.Conv2d(6, 8, 3, padding="same"), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(p=0.2), nn.Linear(8, 10))
    def forward(self, x):
        return self.classifier(self.features(x))
model = Backbone()
print(model)
emit("repr", repr(model))
emit("str_layers", [str(m) for m in model.features])
total = sum(p.numel() for p in model.parameters())
emit("total", total)
emit("summary", f"Total params: {total:,}")
for param in model.features.parameters():
    param.requires_grad = False
model.classifier[2] = nn.Linear(8, 4)
emit("new_head", str(model.classifier))
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
emit("trainable", trainable)
emit("counts", (sum(p.numel() for p in model.parameters() if p.requires_grad),
                sum(p.numel() for p in model.parameters() if not p.requires_grad)))
sync(model)
optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
rng = np.random.default_rng(9)
x = torch.from_numpy(rng.standard_normal((4, 3, 8, 8)).astype(np.float32))
y = torch.tensor([0, 1, 2, 3])
model.train()
model.classifier[1].p = 0.0
model.features.eval()
for _ in range(3):
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    optimizer.step()
    emit("loss", loss.item())
emit("frozen_grad", model.features[0].weight.grad is None)
emit("bn_untouched", (model.features[1].running_mean, model.features[1].num_batches_tracked))
emit("head", model.classifier[2].weight)
model.features[4].requires_grad_(True)
emit("unfrozen", [n for n, p in model.named_parameters() if p.requires_grad])
emit("modes", [(n, m.training) for n, m in model.named_modules()][:5])
emit("named_children", [n for n, _ in model.named_children()])
emit("get_sub", type(model.get_submodule("features.4")).__name__)
emit("param_repr", repr(model.classifier[2].bias)[:16])
emit("sd_types", [type(v).__name__ for v in model.state_dict().values()][:2])
emit("first_param", next(model.parameters()).shape)
emit("dtype_dev", (next(model.parameters()).dtype, str(next(model.parameters()).device)))
