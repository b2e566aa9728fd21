"""lamina runs on the CPU only; `device` exists so that PyTorch code passing device="cpu" runs."""


class device:
    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if type.split(":")[0] != "cpu":
            raise RuntimeError(f"lamina runs on the CPU only; got device '{type}'")
        self.type = "cpu"
        self.index = index

    def __repr__(self):
        return "device(type='cpu')"

    def __str__(self):
        return "cpu"

    def __eq__(self, other):
        return str(other) == "cpu" if isinstance(other, (str, device)) else NotImplemented

    def __hash__(self):
        return hash("cpu")


cpu = device("cpu")


def check_device(d):
    """Accept None, "cpu", "cpu:0" or a device; refuse anything else with a clear error."""
    if d is None or isinstance(d, device):
        return
    if isinstance(d, str):
        device(d)
        return
    if isinstance(d, int):
        raise RuntimeError(f"lamina runs on the CPU only; got device index {d}")
