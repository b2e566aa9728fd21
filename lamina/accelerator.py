"""torch.accelerator for a CPU-only library: no accelerator is ever available, which makes the
quickstart's `torch.accelerator.current_accelerator().type if torch.accelerator.is_available()
else "cpu"` pick the CPU."""


def is_available():
    return False


def device_count():
    return 0


def current_accelerator(check_available=False):
    return None


def current_device_index():
    return -1


def synchronize(device=None):
    pass
