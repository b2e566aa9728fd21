"""The networks of the two seed tutorials, built with either library (`lib` is torch or lamina),
for the tests that need them as fixtures (test_seeds.py runs the tutorials' own text instead)."""


def mlp_stack(lib):
    """First seed: 784 → 256 → 128 → 10 with ReLUs."""
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def layer_with_activation(lib, in_features, out_features):
    """First seed: a Linear followed by a ReLU, as a Module."""
    nn = lib.nn

    class LayerWithActivation(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.linear = nn.Linear(i, o)
            self.activation = nn.ReLU()

        def forward(self, x):
            return self.activation(self.linear(x))
    return LayerWithActivation(in_features, out_features)


def custom_layer(lib, in_dim, out_dim):
    """First seed: Linear → BatchNorm1d → ReLU → Dropout(0.2)."""
    nn = lib.nn

    class CustomLayer(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.linear = nn.Linear(i, o)
            self.norm = nn.BatchNorm1d(o)
            self.activation = nn.ReLU()
            self.dropout = nn.Dropout(0.2)

        def forward(self, x):
            return self.dropout(self.activation(self.norm(self.linear(x))))
    return CustomLayer(in_dim, out_dim)


def clinical_mlp(lib, n_features=50, n_classes=1):
    """Second seed: BatchNorm1d on the inputs, three Linear layers, Dropout(0.3), sigmoid output."""
    nn, F = lib.nn, lib.nn.functional

    class ClinicalMLP(nn.Module):
        def __init__(self, n_features, n_classes=1):
            super().__init__()
            self.input_norm = nn.BatchNorm1d(n_features)
            self.fc1 = nn.Linear(n_features, 128)
            self.fc2 = nn.Linear(128, 64)
            self.fc3 = nn.Linear(64, n_classes)
            self.dropout = nn.Dropout(0.3)

        def forward(self, x):
            x = self.input_norm(x)
            x = F.relu(self.fc1(x))
            x = self.dropout(x)
            x = F.relu(self.fc2(x))
            return lib.sigmoid(self.fc3(x))
    return ClinicalMLP(n_features, n_classes)
