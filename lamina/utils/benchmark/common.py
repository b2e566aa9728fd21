"""TaskSpec (what a Timer ran) and Measurement (what it measured), with PyTorch's statistics,
warnings and repr; the unit and significant-figure helpers the tables share."""
import collections
import dataclasses
import math
import textwrap

import numpy as np

from ..._blas_threads import blas_threads

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig", "ordered_unique",
           "set_torch_threads"]

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # no timer resolves better than this
# A spread (IQR / median) above these earns a warning in the repr and, on request, in Compare.
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25
_UNIT_BY_THOUSANDS = {-3: "ns", -2: "us", -1: "ms"}
_SECONDS_PER_UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}
_UNIT_NAMES = {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}

# PyTorch's unit choice, digit counts, significant figures and trimming run on one-element
# float32 tensors (its default dtype); their rounding decides the printed digits, so the
# helpers below round through float32 the same way.


def _float32(x):
    return float(np.float32(x))


def _log10_float32(x):
    return _float32(math.log10(_float32(x)))


@dataclasses.dataclass(frozen=True, repr=False)
class TaskSpec:
    """What a Timer measures (everything but its globals); Measurements with equal specs merge."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self):
        """The label, else a one-line stmt, else the stmt indented under "stmt:"."""
        sub = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + sub
        if "\n" not in self.stmt:
            return self.stmt + sub
        sub = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub}\n{textwrap.indent(self.stmt, '  ')}"

    def setup_str(self):
        if not self.setup or self.setup == "pass":
            return ""
        if "\n" in self.setup:
            return f"setup:\n{textwrap.indent(self.setup, '  ')}"
        return f"setup: {self.setup}"

    def summarize(self):
        """Title, description and setup, one per line; a block of several lines is followed by a blank one."""
        sections = [s for s in (self.title, self.description or "", self.setup_str()) if s]
        return "\n".join(s + "\n" if "\n" in s else s for s in sections)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


def _quantile(sorted_values, q):
    """Linear interpolation between the nearest ranks, with PyTorch's lerp (exact at either end)."""
    position = q * (len(sorted_values) - 1)
    below = math.floor(position)
    low, high = sorted_values[below], sorted_values[math.ceil(position)]
    weight = position - below
    if weight < 0.5:
        return low + weight * (high - low)
    return high - (high - low) * (1 - weight)


@dataclasses.dataclass(repr=False)
class Measurement:
    """One or more timings of a statement: raw_times[i] is the time of number_per_run runs.

    The statistics (times, median, mean, iqr) are per run. TaskSpec fields (stmt, label,
    num_threads, ...) read through, as in PyTorch.
    """
    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict | None = None  # the user's own payload

    def __post_init__(self):
        self._sorted_times = ()
        self._warnings = ()
        self._median = self._mean = self._p25 = self._p75 = -1.0

    def __getattr__(self, name):
        # only reached for names the instance lacks; `task_spec` itself may be missing mid-unpickling
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        return super().__getattribute__(name)

    @property
    def times(self):
        """Time per run of each measurement (an extrapolation when number_per_run > 1)."""
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        self._compute_statistics()
        return self._median

    @property
    def mean(self):
        self._compute_statistics()
        return self._mean

    @property
    def iqr(self):
        self._compute_statistics()
        return self._p75 - self._p25

    @property
    def has_warnings(self):
        self._compute_statistics()
        return bool(self._warnings)

    @property
    def significant_figures(self):
        """Digits the interquartile points support: log10(median / 90% confidence half-width), in 1..4.

        A rough estimate (z = 1.645 instead of Student's t) meant for Compare's trimming.
        """
        self._compute_statistics()
        n = len(self._sorted_times)
        middle = self._sorted_times[n // 4:math.ceil(3 * n / 4)]
        # PyTorch: a float32 tensor's std, accumulated in float64
        spread = _float32(np.asarray(middle, dtype=np.float32).astype(np.float64).std())
        half_width = max(1.645 * spread / _float32(math.sqrt(len(middle))), _MIN_CONFIDENCE_INTERVAL)
        digits = math.floor(_log10_float32(self._median / half_width))
        return min(max(digits, 1), _MAX_SIGNIFICANT_FIGURES)

    def _compute_statistics(self):
        """Sort once, on first use; the times must not change afterwards."""
        if not self.raw_times or self._sorted_times:
            return
        self._sorted_times = tuple(sorted(self.times))
        self._median = _quantile(self._sorted_times, 0.5)
        self._p25 = _quantile(self._sorted_times, 0.25)
        self._p75 = _quantile(self._sorted_times, 0.75)
        self._mean = math.fsum(self._sorted_times) / len(self._sorted_times)
        if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
            self._warnings += (self._spread_warning("This suggests significant environmental influence."),)
        elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
            self._warnings += (self._spread_warning("This could indicate system fluctuation."),)

    def _spread_warning(self, reason):
        percent = self.iqr / self.median * 100
        return (f"  WARNING: Interquartile range is {percent:.1f}% of the median measurement.\n"
                f"           {reason}")

    def meets_confidence(self, threshold=_IQR_WARN_THRESHOLD):
        return self.iqr / self.median < threshold

    @property
    def title(self):
        return self.task_spec.title

    @property
    def env(self):
        # PyTorch's property means to say "Unspecified env", but a typo in it falls through to the
        # TaskSpec field, so torch returns None for an unset env; lamina returns what torch does.
        return self.task_spec.env

    @property
    def as_row_name(self):
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self):
        """Address, task summary, median, IQR (from 4 measurements), counts, spread warnings."""
        self._compute_statistics()
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        several = n > 1
        lines = [object.__repr__(self), self.task_spec.summarize(),
                 f"  {'Median: ' if several else ''}{self._median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} "
                         f"({self._p25 / scale:.2f} to {self._p75 / scale:.2f})")
        threads = self.num_threads
        # "100 runs , 1 thread" with one measurement: PyTorch's spacing, kept
        lines.append(f"  {n} measurement{'s' if several else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if several else ','} {threads} thread{'s' if threads > 1 else ''}")
        lines.append("\n".join(self._warnings))
        return "\n".join(lines).strip()

    @staticmethod
    def merge(measurements):
        """One Measurement per distinct TaskSpec, its times per run pooled (number_per_run=1, no metadata)."""
        times_by_spec = collections.defaultdict(list)
        for m in measurements:
            times_by_spec[m.task_spec].extend(m.times)  # per-run times: number_per_run may differ
        return [Measurement(number_per_run=1, raw_times=times, task_spec=spec, metadata=None)
                for spec, times in times_by_spec.items()]


def select_unit(t):
    """(unit, seconds per unit) that puts `t` seconds in [1, 1000): ns, us, ms, else s."""
    unit = _UNIT_BY_THOUSANDS.get(int(_log10_float32(t) // 3), "s")
    return unit, _SECONDS_PER_UNIT[unit]


def unit_to_english(u):
    return _UNIT_NAMES[u]


def trim_sigfig(x, n):
    """`x` rounded to `n` significant figures (3.14159, 2 -> 3.1), as a float32 value like PyTorch's."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = math.ceil(_log10_float32(abs(x)))
    scale = 10 ** (magnitude - n)
    return float(np.round(np.float32(x / scale)) * np.float32(scale))


def ordered_unique(elements):
    return list(dict.fromkeys(elements))


# torch.utils.benchmark's name for "run with n threads": here, the BLAS library's threads
set_torch_threads = blas_threads
