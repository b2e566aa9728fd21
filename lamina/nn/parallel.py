"""nn.parallel as a CPU-only PyTorch build has it: DataParallel wraps the module and calls it
(there are no devices to spread a batch over), so scripts that wrap unconditionally run, and its
state_dict keys carry the same "module." prefix; DistributedDataParallel needs a process group,
which lamina has none of (lamina.distributed)."""
from .modules.module import Module

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]


class DataParallel(Module):
    """The module, called as it is: with no accelerator, PyTorch's DataParallel does the same."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(Module):
    def __init__(self, module, *args, **kwargs):
        from ..distributed import _not_initialized
        raise _not_initialized()


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    raise RuntimeError("device type could not be determined")
