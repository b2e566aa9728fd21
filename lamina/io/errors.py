"""The errors lamina raises when a checkpoint cannot be read or is refused.

CheckpointError is a RuntimeError, as PyTorch's reader errors are; UnpicklingError is also a
pickle.UnpicklingError, as PyTorch's weights-only refusals are, so code catching either still works."""
import pickle
import reprlib


class CheckpointError(RuntimeError):
    """A checkpoint file is corrupt, truncated, inconsistent, or in a form lamina does not read."""


class UnpicklingError(CheckpointError, pickle.UnpicklingError):
    """A pickle was refused: it names a global outside the allow-list, or is malformed."""


class MalformedPickle(UnpicklingError):
    """The pickle data itself is broken (truncated, unknown opcode, stack underflow ...), as
    opposed to well-formed but refused."""


WHOLE_MODEL_HINT = (
    "lamina loads only tensors, Parameters, state_dicts, optimizer states and plain containers "
    "(dict, OrderedDict, list, tuple, set, numbers, strings, bytes, None) and never runs code "
    "from a file. Whole-model files (torch.save(model)) are not loaded: in PyTorch, save "
    "model.state_dict() instead and load it into the lamina model with load_state_dict(). "
    "If you trust a class the file needs, allow it with lamina.io.add_safe_globals([...]).")


_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60


def brief(obj):
    """A repr short enough for an error message, whatever a corrupt file put in obj."""
    try:
        return _short.repr(obj)
    except Exception:
        return f"<{type(obj).__name__}>"
