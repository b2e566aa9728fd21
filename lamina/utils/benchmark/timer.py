"""Timer: times a Python statement as torch.utils.benchmark.Timer does, with timeit underneath."""
import enum
import textwrap
import timeit

from . import common
from ..._blas_threads import blas_threads

__all__ = ["Timer", "timer", "Language"]

# PyTorch's default timer synchronises an accelerator before reading the clock; lamina runs on
# the CPU only, so the clock is read directly (what PyTorch does without an accelerator).
timer = timeit.default_timer

# Block sizes stop growing here: PyTorch's C++ timer takes a 32-bit count, and keeping the
# same ceiling keeps the same number_per_run choices.
_MAX_BLOCK_SIZE = 2147483647
_NO_CPP = ("lamina has no C++ runtime to compile and time a C++ statement: Timer(language='cpp') "
           "is PyTorch-only. Time the Python call instead (language='python').")


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _tidy(code):
    """Dedent, and drop the newline a triple-quoted block starts with (and trailing blanks)."""
    code = textwrap.dedent(code)
    return (code[1:] if code.startswith("\n") else code).rstrip()


def _check_language(language, global_setup):
    if language in (Language.CPP, "cpp", "c++"):
        raise NotImplementedError(_NO_CPP)
    if language not in (Language.PYTHON, "py", "python"):
        raise ValueError(f"Invalid language `{language}`.")
    if global_setup:
        raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely this code can "
                         "simply be moved to `setup`.")


class Timer:
    """Measures how long a statement takes, PyTorch's way: warm-up first, several replicates,
    a fixed thread count, and metadata that `Compare` uses to lay results out in a table.

    Args:
        stmt: code run in the timed loop.
        setup: code run once before timing (defines what `stmt` uses).
        global_setup: C++ only; must be empty.
        timer: the clock, `timeit.default_timer` by default.
        globals: the namespace `stmt` and `setup` run in (copied). `torch` and `lamina` are
            added (both name lamina) unless given, so statements written for torch run as they are.
        label, sub_label, description, env: how the result is titled and where `Compare`
            puts it (label: the table, sub_label: the row, description: the column).
        num_threads: BLAS threads while timing (default 1, as PyTorch); left unchanged when the
            BLAS library offers no setter (see lamina/_blas_threads.py).
        language: 'python' (or 'py', Language.PYTHON); 'cpp' raises NotImplementedError.

    Example::

        >>> t = Timer("model(x)", globals={"model": model, "x": x}, label="MLP")
        >>> m = t.blocked_autorange(min_run_time=0.2)
        >>> m.median  # seconds per run
    """

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None, label=None,
                 sub_label=None, description=None, env=None, num_threads=1, language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        _check_language(language, global_setup)
        self._language = Language.PYTHON
        self._globals = _namespace(globals)  # a copy: exec adds __builtins__
        stmt, setup = _tidy(stmt), _tidy(setup)
        self._timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = common.TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                          sub_label=sub_label, description=description, env=env,
                                          num_threads=num_threads)

    def _timeit(self, number):
        # no real statement takes under a nanosecond, and a zero would divide later
        return max(self._timer.timeit(number), 1e-9)

    def _measurement(self, number, times):
        return common.Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def timeit(self, number=1000000):
        """Run `stmt` `number` times as one measurement, after a warm-up of number // 100 runs (at least 2)."""
        with blas_threads(self._task_spec.num_threads):
            self._timeit(max(number // 100, 2))
            return self._measurement(number, [self._timeit(number)])

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _estimate_block_size(self, min_run_time):
        """Runs per measurement: grow by 10x until the timer's own cost is under 0.01% of a block
        and a block takes min_run_time / 1000, or a block alone exceeds min_run_time. Also warms up."""
        with blas_threads(self._task_spec.num_threads):
            overhead = sorted(self._timeit(0) for _ in range(5))[2]  # the median of five
            number = 1
            while True:
                elapsed = self._timeit(number)
                if overhead / elapsed <= 1e-4 and elapsed >= min_run_time / 1000:
                    return number
                if elapsed > min_run_time or number * 10 > _MAX_BLOCK_SIZE:
                    return number
                number *= 10

    def _measure_blocks(self, number, can_stop, min_run_time, max_run_time=None, callback=None):
        """Time blocks of `number` runs until min_run_time is spent and can_stop(times) agrees,
        or max_run_time is exceeded. callback(number, seconds) hears about every block."""
        times, total = [], 0.0
        stop_allowed = False
        with blas_threads(self._task_spec.num_threads):
            while total < min_run_time or not stop_allowed:
                elapsed = self._timeit(number)
                times.append(elapsed)
                total += elapsed
                if callback:
                    callback(number, elapsed)
                stop_allowed = can_stop(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Replicates of one block size (chosen by a warm-up, see _estimate_block_size) until their
        total time reaches min_run_time seconds."""
        number = self._estimate_block_size(min_run_time)
        times = self._measure_blocks(number, lambda times: True, min_run_time, callback=callback)
        return self._measurement(number, times)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """Like blocked_autorange, but keeps going past min_run_time until there are more than 3
        replicates and IQR / median < threshold, or the total passes max_run_time."""
        number = self._estimate_block_size(min_run_time=0.05)  # PyTorch's fixed warm-up target

        def spread_is_small(times):
            return len(times) > 3 and self._measurement(number, times).meets_confidence(threshold=threshold)

        times = self._measure_blocks(number, spread_is_small, min_run_time, max_run_time, callback=callback)
        return self._measurement(number, times)

    def collect_callgrind(self, number=100, *, repeats=None, collect_baseline=True, retain_out_file=False):
        raise NotImplementedError("collect_callgrind counts instructions under Valgrind through PyTorch's "
                                  "C++ bindings; lamina's Timer measures wall time only.")


def _namespace(user_globals):
    """The statement's globals: the user's, plus `torch` and `lamina` naming lamina."""
    import lamina
    namespace = dict(user_globals or {})
    namespace.setdefault("torch", lamina)
    namespace.setdefault("lamina", lamina)
    return namespace
