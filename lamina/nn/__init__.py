"""lamina.nn: layers (modules), Parameter, functional, init and utils, as torch.nn."""
import importlib as _importlib

from . import functional, init, parallel, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from .parallel import DataParallel  # noqa: F401
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401

# torch.nn.attention (SDPBackend, sdpa_kernel); the star import above bound modules/attention.py
# (the layers) to this name, which `from . import attention` would keep
attention = _importlib.import_module(".attention", __name__)
