import torch
import torch.nn as nn
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
emit("device", str(device))
emit("mps", torch.backends.mps.is_available())
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
emit("cudnn", (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark))
torch.manual_seed(0)
torch.cuda.manual_seed(0)
torch.cuda.manual_seed_all(0)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
emit("det", torch.are_deterministic_algorithms_enabled())
torch.use_deterministic_algorithms(False)
emit("count", torch.cuda.device_count())
model = nn.Linear(3, 2).to(device)
sync(model)
x = torch.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3)).to(device)
y = model(x)
emit("y", y)
emit("ydev", str(y.device))
emit("is_cuda", y.is_cuda)
emit("pdev", str(next(model.parameters()).device))
emit("np", y.detach().cpu().numpy())
if torch.cuda.is_available():
    torch.cuda.empty_cache()
emit("dtype", torch.get_default_dtype())
