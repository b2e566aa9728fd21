import torch
import torch.nn as nn
import torch.nn.functional as F
class ConvAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(4, 1, 3, padding=1),
        )
    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z
model = ConvAutoencoder()
sync(model)
emit("repr", repr(model))
rng = np.random.default_rng(11)
images = torch.from_numpy((rng.random((6, 1, 12, 12)) > 0.6).astype(np.float32))
criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.9, 0.99))
for epoch in range(3):
    optimizer.zero_grad()
    recon, z = model(images)
    loss = criterion(recon, images)
    loss.backward()
    optimizer.step()
    emit("loss", loss.item())
emit("shapes", (z.shape, recon.shape))
model.eval()
with torch.no_grad():
    recon, z = model(images)
    probs = torch.sigmoid(recon)
    emit("probs", probs[:2])
    emit("binarized", (probs > 0.5).float().mean())
    emit("bce", F.binary_cross_entropy(probs, images))
    emit("bce_none", F.binary_cross_entropy_with_logits(recon, images, reduction="none").sum(dim=(1, 2, 3)))
up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
emit("bilinear", up(z[:1, :2]))
emit("interp", F.interpolate(z[:1, :1], size=(5, 5), mode="bilinear", align_corners=True))
ct = nn.ConvTranspose2d(8, 2, kernel_size=4, stride=2, padding=1, bias=False)
sync(ct)
emit("ct_shape", ct(z).shape)
emit("ct_sized", ct(z, output_size=[7, 7]).shape)
emit("ct_repr", repr(ct))
x = torch.from_numpy(rng.standard_normal((2, 3, 8)).astype(np.float32)).requires_grad_()
ct1 = nn.ConvTranspose1d(3, 2, 3, stride=2, dilation=2, groups=1)
sync(ct1)
y = ct1(x)
y.pow(2).mean().backward()
emit("ct1", (y, x.grad, ct1.weight.grad))
