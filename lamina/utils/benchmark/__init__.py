"""lamina.utils.benchmark, as torch.utils.benchmark: Timer, Measurement, Compare.

Timing scripts written for torch run unchanged: `Timer(stmt, setup, globals=..., label=...,
num_threads=1).blocked_autorange()` gives a Measurement (median, IQR, PyTorch's repr), and
`Compare([...]).print()` lays many out as PyTorch's tables. Python statements only: no C++
timing, Callgrind or Fuzzer.
"""
from .common import (Measurement, TaskSpec, ordered_unique, select_unit, set_torch_threads, trim_sigfig,
                     unit_to_english)
from .compare import Colorize, Compare
from .timer import Language, Timer, timer

__all__ = ["Timer", "timer", "Language", "Measurement", "TaskSpec", "Compare", "Colorize", "select_unit",
           "unit_to_english", "trim_sigfig", "ordered_unique", "set_torch_threads"]
