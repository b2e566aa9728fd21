"""Compare: many Measurements as PyTorch's tables, one per label, a row per sub_label (grouped by
thread count and env), a column per description, medians in one unit."""
import enum
import math

from . import common

__all__ = ["Colorize", "Compare"]

BEST = "\033[92m"
GOOD = "\033[34m"
BAD = "\033[2m\033[91m"
VERY_BAD = "\033[31m"
BOLD = "\033[1m"
TERMINATE = "\033[0m"
_VARIANCE_NOTE = "(! XX%) Measurement has high variance, where XX is the IQR / median * 100."


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _env_name(m):
    # torch fails to sort rows when some envs are set and others are not; lamina names the unset
    # ones as PyTorch's Measurement.env intends to
    return "Unspecified env" if m.env is None else m.env


class _Column:
    """One description's numbers: a common width and number of decimals for all its cells."""

    def __init__(self, grouped_results, time_scale, trim_significant_figures, highlight_warnings):
        self._grouped_results = grouped_results  # per thread group, a result or None per row
        present = [m for group in grouped_results for m in group if m is not None]
        self._trim = trim_significant_figures
        self._highlight = highlight_warnings and any(m.has_warnings for m in present)
        integer_digits = [_integer_digits(m.median / time_scale) for m in present]
        if self._trim:  # as many decimals as the least precise cell supports
            decimals = min(max(m.significant_figures - d, 0) for m, d in zip(present, integer_digits))
        else:
            decimals = 1
        width = max(integer_digits) + decimals + (1 if decimals else 0)
        self._number_spec = f">{width}.{decimals}f"
        self._warning_spec = f">{7 if self._highlight else 0}"

    def results_in_group(self, group):
        return self._grouped_results[group]

    def num_to_str(self, value, estimated_sigfigs, spread):
        """A cell: the value (trimmed if asked), then " (! 31%)" when its spread is flagged."""
        if value is None:
            return " " * len(self.num_to_str(1, estimated_sigfigs, None))
        if self._trim:
            value = common.trim_sigfig(value, estimated_sigfigs)
        flag = f" (! {spread * 100:.0f}%)" if self._highlight and spread is not None else ""
        return format(value, self._number_spec) + format(flag, self._warning_spec)


def _integer_digits(value):
    return math.ceil(common._log10_float32(value))


def _colored(text, value, best):
    """Green within 1% (or 100 ns) of the best, blue within 10%, dim red from 2x, red from 5x."""
    if value <= best * 1.01 or value <= best + 100e-9:
        return BEST + BOLD + text + TERMINATE * 2
    if value <= best * 1.1:
        return GOOD + BOLD + text + TERMINATE * 2
    if value >= best * 5:
        return VERY_BAD + BOLD + text + TERMINATE * 2
    if value >= best * 2:
        return BAD + text + TERMINATE * 2
    return text


class _Row:
    """One line: the row name (after the env when it changes) and a cell per column."""

    def __init__(self, results, group, show_env, env_width, time_scale, colorize, threads_heading):
        self._results = results
        self._group = group
        self._show_env = show_env
        self._env_width = env_width
        self._time_scale = time_scale
        self._colorize = colorize
        self._threads_heading = threads_heading  # the thread count when this row starts a group
        self._columns = ()

    def set_columns(self, columns):
        self._columns = columns

    def cells(self):
        first = next(m for m in self._results if m is not None)
        env = f"({_env_name(first)})" if self._show_env else ""
        cells = ["  " + env.ljust(self._env_width + 4) + first.as_row_name]
        for m, column in zip(self._results, self._columns):
            if m is None:
                cells.append(column.num_to_str(None, 1, None))
            else:
                spread = m.iqr / m.median if m.has_warnings else None
                cells.append(column.num_to_str(m.median / self._time_scale, m.significant_figures, spread))
        return cells

    def separator(self, width):
        if self._threads_heading is None:
            return []
        return [f"{self._threads_heading} threads: ".ljust(width, "-")]

    def _best_medians(self):
        """The median each cell is coloured against: the row's best, or its column's best in this group."""
        if self._colorize == Colorize.ROWWISE:
            best = min(m.median for m in self._results if m is not None)
            return [best] * len(self._results)
        medians = ([m.median for m in c.results_in_group(self._group) if m is not None] for c in self._columns)
        return [min(column) if column else None for column in medians]

    def finish(self, cells, widths):
        """Pad the name to its column, centre the numbers, colour them if asked."""
        line = [cells[0].ljust(widths[0])]
        bests = self._best_medians() if self._colorize != Colorize.NONE else [None] * len(self._results)
        for text, width, m, best in zip(cells[1:], widths[1:], self._results, bests):
            text = text.center(width)
            if m is not None and best is not None:
                text = _colored(text, m.median, best)
            line.append(text)
        return line


class _Table:
    """The results sharing one label, laid out and rendered."""

    def __init__(self, results, colorize, trim_significant_figures, highlight_warnings):
        if len({m.label for m in results}) != 1:
            raise AssertionError("All results must share the same label")
        self.results = results
        self.label = results[0].label
        self._highlight_warnings = highlight_warnings
        self.time_unit, self.time_scale = common.select_unit(min(m.median for m in results))
        self.row_keys = common.ordered_unique(_row_key(m) for m in results)
        self.row_keys.sort(key=lambda key: key[:2])  # by threads and env; stable, so stmt order stays
        self.column_keys = common.ordered_unique(m.description for m in results)
        self.rows, self.columns = self._lay_out(colorize, trim_significant_figures)

    def _grid(self):
        """results[row][column], None where no Measurement fills the cell."""
        row_of = {key: i for i, key in enumerate(self.row_keys)}
        column_of = {key: j for j, key in enumerate(self.column_keys)}
        grid = [[None] * len(self.column_keys) for _ in self.row_keys]
        for m in self.results:
            grid[row_of[_row_key(m)]][column_of[m.description]] = m
        return grid

    def _lay_out(self, colorize, trim):
        envs = {_env_name(m) for m in self.results}
        show_envs = len(envs) > 1
        env_width = max(len(e) for e in envs) if show_envs else 0
        rows, groups = [], []
        previous_threads, previous_env = -1, ""
        for (threads, env, _), results in zip(self.row_keys, self._grid()):
            starts_group = threads != previous_threads
            if starts_group:
                previous_threads, previous_env = threads, ""
                groups.append([])
            rows.append(_Row(results, len(groups) - 1, show_envs and env != previous_env, env_width,
                             self.time_scale, colorize, threads if starts_group else None))
            groups[-1].append(results)
            previous_env = env
        columns = tuple(
            _Column([tuple(row[j] for row in group) for group in groups], self.time_scale, trim,
                    self._highlight_warnings)
            for j in range(len(self.column_keys)))
        for row in rows:
            row.set_columns(columns)
        return tuple(rows), columns

    def render(self):
        header = [""] + self.column_keys
        body = [row.cells() for row in self.rows]
        widths = [max(len(cell) for cell in column) for column in zip(header, *body)]
        lines = ["  |  ".join(cell.center(w) for cell, w in zip(header, widths))]
        width = len(lines[0])
        for cells, row in zip(body, self.rows):
            lines.extend(row.separator(width))
            lines.append("  |  ".join(row.finish(cells, widths)))
        flagged = self._highlight_warnings and any(m.has_warnings for m in self.results)
        unit = self.time_unit
        return (f"[{(' ' + (self.label or '') + ' ').center(width - 2, '-')}]\n"
                + "\n".join(lines)
                + f"\n\nTimes are in {common.unit_to_english(unit)}s ({unit}).\n"
                + (_VARIANCE_NOTE + "\n" if flagged else ""))


def _row_key(m):
    return m.num_threads, _env_name(m), m.as_row_name


class Compare:
    """Prints many Measurements as tables, laid out by their Timer's label (one table each),
    sub_label (rows), description (columns), num_threads and env (row groups).

    Replicates (equal TaskSpecs) are merged first. `print()` or `str()` gives the tables.

    Args:
        results: list of Measurement to display.
    """

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self):
        return "\n".join(self._render())

    def extend_results(self, results):
        """Add more Measurements (each must be one)."""
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self):
        """Show only the digits each column's measurements support."""
        self._trim_significant_figures = True

    def colorize(self, rowwise=False):
        """Colour cells against the best of their column (default) or of their row."""
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self):
        """Mark cells whose spread earned a warning with their IQR / median."""
        self._highlight_warnings = True

    def print(self):
        print(str(self))

    def _render(self):
        by_label = {}
        for m in common.Measurement.merge(self._results):
            by_label.setdefault(m.label, []).append(m)
        return [_Table(group, self._colorize, self._trim_significant_figures, self._highlight_warnings).render()
                for group in by_label.values()]
