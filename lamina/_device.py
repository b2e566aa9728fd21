"""Devices. lamina computes on the CPU only, but, as in a CPU build of PyTorch, any device can be
named (`device("cuda:0")` is an ordinary object, so code that builds one unconditionally runs);
putting a tensor or a module on anything but the CPU raises PyTorch's error for that device."""

# PyTorch's device types, in the order its error message lists them
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
          "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):  # device(0): the first accelerator, as in PyTorch
            type, index = "cuda", type
        else:
            name, _, number = type.partition(":")
            if name not in _TYPES:
                raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: "
                                   f"{type}")
            if number:
                if not number.isdigit():
                    raise RuntimeError(f"Invalid device string: '{type}'")
                if index is not None:
                    raise RuntimeError(f"type (string) must not include an index because index was passed "
                                       f"explicitly: {type}")
                index = int(number)
            type = name
        self.type = type
        self.index = index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, device):
            return self.type == other.type and self.index == other.index
        return NotImplemented if not isinstance(other, str) else False

    def __hash__(self):
        return hash((self.type, self.index))


cpu = device("cpu")


def check_device(d):
    """Accept None or any CPU device; for any other device raise what a CPU build of PyTorch raises
    when a tensor is put there."""
    if d is None:
        return
    if isinstance(d, int) and not isinstance(d, bool):  # x.to(0): an accelerator index
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if not isinstance(d, (device, str)):
        if not isinstance(getattr(d, "type", None), str):  # e.g. a torch.device: read by its name
            return
        d = str(d)
    d = device(d)
    if d.type == "cpu":
        return
    if d.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if d.type == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"lamina runs on the CPU only; got device '{d}'")
