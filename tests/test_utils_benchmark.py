"""torch.utils.benchmark against PyTorch. Times differ between runs, so structure is compared:
the same Measurements built from fixed raw times in both libraries give the same repr, statistics
and Compare tables; Timer's methods are checked for their run counts, stopping rules and errors."""
import pickle
import random
import re
import subprocess
import sys

import numpy as np
import pytest
import torch.utils.benchmark as tb  # the oracle: a missing torch fails the file

import lamina
import lamina.utils.benchmark as lb

ADDRESS = re.compile(r"<[\w.]+\.Measurement object at 0x[0-9a-f]+>")


def measurement(lib, raw_times, number_per_run=10, **spec):
    spec.setdefault("stmt", "model(x)")
    spec.setdefault("setup", "pass")
    return lib.Measurement(number_per_run, list(raw_times), lib.TaskSpec(**spec))


def without_address(text):
    return ADDRESS.sub("<Measurement>", text)


def spread_times(base, n, spread, seed=0):
    rng = random.Random(seed)
    return [base * (1 + spread * rng.random()) for _ in range(n)]


MEASUREMENT_CASES = [
    ([2.5e-5], {}),                                                     # one measurement: no "Median:", no IQR
    ([1e-3, 1.2e-3], {"label": "MLP", "sub_label": "batch 32"}),         # two: no IQR line
    ([3e-9, 3.1e-9, 2.9e-9], {"description": "eager"}),                 # three, nanoseconds
    (spread_times(4e-6, 4, 0.01), {"num_threads": 4}),                  # IQR appears at four
    (spread_times(2e-2, 9, 0.15), {"setup": "x = torch.ones(3)"}),      # "system fluctuation"
    (spread_times(7.0, 12, 0.9), {"stmt": "a = 1\nb = a + 1", "sub_label": "s"}),  # seconds, gross warning
    (spread_times(5e-7, 33, 0.05), {"stmt": "f()\ng()", "setup": "import math\ny = 2",
                                   "description": "cold", "label": "L", "env": "A"}),
    (spread_times(1e-10, 5, 0.3), {"stmt": ""}),                        # below a nanosecond: shown in s
]


@pytest.mark.parametrize("raw_times, spec", MEASUREMENT_CASES)
def test_measurement_repr_matches_torch(raw_times, spec):
    ours, theirs = measurement(lb, raw_times, **spec), measurement(tb, raw_times, **spec)
    assert without_address(repr(ours)) == without_address(repr(theirs))
    assert without_address(str(ours)) == without_address(str(theirs))
    assert repr(ours).startswith("<lamina.utils.benchmark.common.Measurement object at 0x")


@pytest.mark.parametrize("raw_times, spec", MEASUREMENT_CASES)
@pytest.mark.parametrize("number_per_run", [1, 100])
def test_measurement_statistics_match_torch(raw_times, spec, number_per_run):
    ours = measurement(lb, raw_times, number_per_run, **spec)
    theirs = measurement(tb, raw_times, number_per_run, **spec)
    for name in ("times", "median", "iqr", "significant_figures", "has_warnings", "title", "as_row_name",
                 "env", "stmt", "label", "num_threads", "number_per_run", "metadata"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.mean == pytest.approx(theirs.mean, rel=1e-12)
    for threshold in (0.01, 0.1, 0.5):
        assert ours.meets_confidence(threshold) == theirs.meets_confidence(threshold)
    assert ours.task_spec.summarize() == theirs.task_spec.summarize()


def test_significant_figures_match_torch_over_many_spreads():
    rng = random.Random(1)
    for _ in range(300):
        raw = spread_times(10 ** rng.uniform(-8, 0), rng.randint(1, 40), 10 ** rng.uniform(-5, 0), rng.random())
        assert measurement(lb, raw).significant_figures == measurement(tb, raw).significant_figures, raw


def test_merge_matches_torch():
    def replicates(lib):  # label A twice, with different runs per measurement and metadata
        return [measurement(lib, [1e-3, 2e-3], 10, label="A"), measurement(lib, [5e-4], 1, label="B"),
                lib.Measurement(100, [3e-3], lib.TaskSpec("model(x)", "pass", label="A"), metadata={"k": 1})]
    ours, theirs = lb.Measurement.merge(replicates(lb)), tb.Measurement.merge(replicates(tb))
    assert [(m.number_per_run, m.raw_times, m.label, m.metadata) for m in ours] == \
           [(m.number_per_run, m.raw_times, m.label, m.metadata) for m in theirs]


def test_measurement_equality_and_pickling():
    m = measurement(lb, [1e-5, 2e-5, 1.5e-5, 1.2e-5], label="L")
    assert m == measurement(lb, [1e-5, 2e-5, 1.5e-5, 1.2e-5], label="L")
    restored = pickle.loads(pickle.dumps(m))
    assert restored == m and restored.median == m.median and restored.label == "L"


@pytest.mark.parametrize("t", [1e-10, 1e-9, 9.99e-9, 1e-6, 3.3e-5, 1e-3, 0.5, 1.0, 42.0])
def test_unit_helpers_match_torch(t):
    assert lb.select_unit(t) == tb.select_unit(t)
    unit = lb.select_unit(t)[0]
    assert lb.unit_to_english(unit) == tb.unit_to_english(unit)
    for n in (1, 2, 3, 4):
        assert lb.trim_sigfig(t * 123.456, n) == tb.trim_sigfig(t * 123.456, n)
    assert lb.ordered_unique([3, 1, 3, 2, 1]) == tb.ordered_unique([3, 1, 3, 2, 1])


def table_measurements(lib, seed, with_envs):
    """Two labels, thread groups, missing cells, replicates and, if asked, several envs."""
    rng = random.Random(seed)
    results = []
    for label in ("MLP", "CNN"):
        for threads in rng.sample([1, 2, 4], 2):
            for sub_label in rng.sample(["batch 1", "batch 32", "batch 256"], rng.randint(1, 3)):
                for description in rng.sample(["eager", "compiled", "n=1000"], rng.randint(1, 3)):
                    for env in (["main", "branch-2"] if with_envs else [None]):
                        raw = spread_times(10 ** rng.uniform(-8, 0), rng.randint(1, 9),
                                           rng.choice([0.01, 0.2, 0.6]), rng.random())
                        results.append(measurement(lib, raw, rng.choice([1, 10]), label=label,
                                                   sub_label=sub_label, description=description,
                                                   env=env, num_threads=threads))
    first = results[0]
    results.append(lib.Measurement(first.number_per_run, [t * 1.02 for t in first.raw_times], first.task_spec))
    return results


def configured_compare(lib, results, options):
    compare = lib.Compare(results)
    if "trim" in options:
        compare.trim_significant_figures()
    if "colorize" in options:
        compare.colorize()
    if "colorize_rows" in options:
        compare.colorize(rowwise=True)
    if "warnings" in options:
        compare.highlight_warnings()
    return compare


@pytest.mark.parametrize("options", [(), ("trim",), ("colorize",), ("colorize_rows",), ("warnings",),
                                     ("trim", "warnings", "colorize")])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("with_envs", [False, True])
def test_compare_tables_match_torch(options, seed, with_envs):
    ours = configured_compare(lb, table_measurements(lb, seed, with_envs), options)
    theirs = configured_compare(tb, table_measurements(tb, seed, with_envs), options)
    assert str(ours) == str(theirs)


def test_compare_print_and_extend_match_torch(capsys):
    def compare(lib):
        c = lib.Compare([measurement(lib, [2e-6, 2.1e-6], description="eager", sub_label="a")])
        c.extend_results([measurement(lib, [4e-6], description="eager", sub_label="b")])
        c.extend_results([measurement(lib, [1e-6], description="compiled", sub_label="a")])
        return c
    compare(tb).print()
    theirs = capsys.readouterr().out
    compare(lb).print()
    assert capsys.readouterr().out == theirs
    assert str(lb.Compare([])) == str(tb.Compare([])) == ""


def test_compare_shows_unset_env_beside_set_ones():
    # torch cannot sort rows when only some envs are set (TypeError); lamina names the unset ones
    table = str(lb.Compare([measurement(lb, [1e-3], description="x", env="E", sub_label="a"),
                            measurement(lb, [2e-3], description="x", sub_label="b")]))
    assert "(E)" in table and "(Unspecified env)" in table


def test_argument_errors_match_torch():
    for lib in (tb, lb):
        with pytest.raises(ValueError, match=re.escape("Expected an instance of `Measurement`, got <class 'int'> "
                                                       "instead.")):
            lib.Compare([1])
        with pytest.raises(TypeError, match="object of type 'NoneType' has no len()"):
            str(lib.Compare([measurement(lib, [1e-3])]))  # no description: no column header
        with pytest.raises(AssertionError, match="Number of significant figures must be an integer"):
            lib.trim_sigfig(1.0, 1.5)
        with pytest.raises(ValueError, match=re.escape("Currently only a `str` stmt is supported.")):
            lib.Timer(stmt=lambda: None)
        with pytest.raises(ValueError, match=re.escape("Invalid language `rust`.")):
            lib.Timer(language="rust")
        with pytest.raises(ValueError, match=re.escape("global_setup is C++ only, got `#include <x>`. Most "
                                                       "likely this code can simply be moved to `setup`.")):
            lib.Timer(global_setup="#include <x>")
        with pytest.raises(SyntaxError):
            lib.Timer("x = ")
        for method in ("repeat", "autorange"):
            with pytest.raises(NotImplementedError, match=re.escape("See `Timer.blocked_autorange.`")):
                getattr(lib.Timer(), method)()


def test_cpp_timer_is_refused_clearly():
    for language in ("cpp", "c++", lb.Language.CPP):
        with pytest.raises(NotImplementedError, match=re.escape("no C++ runtime")):
            lb.Timer("x++;", language=language)
    with pytest.raises(NotImplementedError, match="wall time only"):
        lb.Timer().collect_callgrind()


def counting_timer(lib, **kwargs):
    calls = []
    return calls, lib.Timer("calls.append(x + y)", setup="y = x * 2", globals={"calls": calls, "x": 1}, **kwargs)


@pytest.mark.parametrize("number", [1, 50, 300])
def test_timeit_runs_a_warmup_then_one_measurement_as_torch(number):
    ours_calls, ours = counting_timer(lb, label="L")
    theirs_calls, theirs = counting_timer(tb, label="L")
    m, reference = ours.timeit(number), theirs.timeit(number)
    assert len(ours_calls) == len(theirs_calls) == max(number // 100, 2) + number
    assert set(ours_calls) == {3}  # setup ran in the given globals
    assert m.number_per_run == number and len(m.raw_times) == 1 and m.raw_times[0] > 0
    assert m.task_spec == lb.TaskSpec("calls.append(x + y)", "y = x * 2", label="L")
    assert without_address(repr(m)).splitlines()[1:2] == without_address(repr(reference)).splitlines()[1:2]


def test_stmt_and_setup_are_dedented_as_torch():
    code = """
        a = 1
        b = a + 1
    """
    for lib in (tb, lb):
        assert lib.Timer(code, setup=code)._task_spec.stmt == "a = 1\nb = a + 1"
    assert lb.Timer(code, setup=code).timeit(3).task_spec.setup == "a = 1\nb = a + 1"


def test_torch_in_statements_names_lamina():
    seen = []
    lb.Timer("seen.append(torch.ones(2) + lamina.ones(2))", globals={"seen": seen}).timeit(2)
    assert all(isinstance(t, lamina.Tensor) for t in seen)
    mine = object()
    lb.Timer("seen.append(torch)", globals={"seen": seen, "torch": mine}).timeit(2)
    assert seen[-1] is mine


def test_blocked_autorange_runs_blocks_for_min_run_time():
    model, x = lamina.nn.Linear(8, 8), lamina.randn(4, 8)
    blocks = []
    timer = lb.Timer("model(x)", globals={"model": model, "x": x}, label="MLP", description="eager")
    m = timer.blocked_autorange(callback=lambda number, seconds: blocks.append((number, seconds)),
                                min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02
    assert blocks == [(m.number_per_run, t) for t in m.raw_times]
    assert str(m.number_per_run).strip("0") == "1"  # a power of ten, as torch chooses
    assert m.median > 0 and m.times == [t / m.number_per_run for t in m.raw_times]


def test_adaptive_autorange_stops_on_spread_or_max_run_time():
    m = lb.Timer("sum(range(50))").adaptive_autorange(threshold=10.0, min_run_time=1e-6)
    assert len(m.raw_times) == 4  # any spread passes: stops once there are more than 3 replicates
    blocks = []
    capped = lb.Timer("sum(range(50))").adaptive_autorange(threshold=0.0, min_run_time=0.001, max_run_time=0.02,
                                                          callback=lambda n, t: blocks.append(n))
    assert 0.02 < sum(capped.raw_times) < 0.02 + 2 * max(capped.raw_times)
    assert len(blocks) == len(capped.raw_times)


def _blas_is_controllable():
    name = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"].lower()
    return "openblas" in name or "mkl" in name


def test_num_threads_sets_blas_threads_for_the_duration():
    from lamina._blas_threads import blas_controls
    controls = blas_controls()
    assert bool(controls) == _blas_is_controllable()
    if not controls:
        return
    get_threads = controls[0][0]
    before, seen = get_threads(), []
    for n in (1, 3):
        lb.Timer("seen.append(threads())", globals={"seen": seen, "threads": get_threads}, num_threads=n).timeit(2)
        assert set(seen) == {n} and get_threads() == before
        seen.clear()


def test_import_lamina_does_not_load_benchmark():
    code = ("import sys, lamina; assert 'lamina.utils.benchmark' not in sys.modules; "
            "from lamina.utils.benchmark import Timer, Compare; assert 'torch' not in sys.modules; "
            "print(lamina.utils.benchmark.Timer is Timer)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
