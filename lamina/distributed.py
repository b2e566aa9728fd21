"""torch.distributed's questions a single-process script asks: lamina has no process groups, so
is_available() is False and is_initialized() False, and what needs a group raises PyTorch's error
for an uninitialised one."""

__all__ = ["is_available", "is_initialized", "init_process_group", "get_rank", "get_world_size", "barrier"]


def _not_initialized():
    return ValueError("Default process group has not been initialized, please make sure to call init_process_group.")


def is_available():
    return False


def is_initialized():
    return False


def init_process_group(*args, **kwargs):
    raise RuntimeError("lamina has no distributed backend (torch.distributed.is_available() is False here): "
                       "train in one process")


def get_rank(group=None):
    raise _not_initialized()


def get_world_size(group=None):
    raise _not_initialized()


def barrier(*args, **kwargs):
    raise _not_initialized()
