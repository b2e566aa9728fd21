"""The machinery every bench_*.py shares: workloads defined once, run in four modes.

A bench script lists its workloads (`Workload`: a name and a function building one step for a
given library) and calls `main(WORKLOADS)`. The mode comes from the command line:

  (default)        lamina and PyTorch in one process, steps interleaved (drift on a shared
                   machine hits both alike), median of several repetitions, one row per
                   workload with the ratio torch_time / lamina_time (> 1: lamina is faster)
  --only LIB       time one library alone; the other is never imported (for profilers)
  --memory LIB     run --steps N (default 10) training steps of one workload with only LIB
                   imported, and print the process's peak RSS
  --gemm           lamina only: time each workload's step interleaved with NumPy running the
                   same GEMMs (shapes and transposes of every matmul in the step) on their own;
                   GEMM fraction = NumPy GEMM time / lamina step time
  --list           the workloads, one per line: key, kind, has GEMMs, name

Common options: --threads N (default 1: BLAS/OpenMP threads of both libraries, pinned before
NumPy loads), --workload KEY[,KEY...] (a subset), --cpu (thread CPU time instead of wall time:
leaves out time spent waiting for a core on a busy machine).

Both libraries build each workload from the same NumPy data with their own default
initialisation (seeded by lib.manual_seed(0)): the values differ, the work does not."""
import importlib
import os
import statistics
import sys
import time
import warnings

LIBS = ("lamina", "torch")


class Workload:
    """One benchmarked step.

    make(lib) returns a no-argument callable running one step in `lib` (the lamina or torch
    module); lamina_make, if given, builds lamina's side instead (e.g. through lamina.compile).
    kind: "train" (also measured for peak memory), "infer", or "layer". gemms: the matmuls of
    one step as (a_shape, a_transposed, b_shape, b_transposed) (see `linear_gemms`)."""

    def __init__(self, key, name, make, kind, *, inner=20, repeats=7, lamina_make=None, gemms=(), compiled=False):
        self.key, self.name, self.make, self.kind = key, name, make, kind
        self.inner, self.repeats = inner, repeats
        self.lamina_make, self.gemms, self.compiled = lamina_make, list(gemms), compiled

    def build(self, lib):
        lib.manual_seed(0)
        if lib.__name__ == "lamina" and self.lamina_make is not None:
            return self.lamina_make(lib)
        return self.make(lib)


# ---- threads and libraries -----------------------------------------------------------------------
def _option(argv, flag, default=None):
    if flag in argv:
        return argv[argv.index(flag) + 1]
    return default


def setup_threads(argv=None):
    """Read --threads N (default 1) and pin BLAS/OpenMP threads through the environment. Must run
    before NumPy (or torch) loads; torch, if already imported, is also set directly."""
    argv = sys.argv if argv is None else argv
    threads = int(_option(argv, "--threads", 1))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    return threads


def load(name):
    """Import lamina or torch (only when asked: a lamina-only process never loads torch)."""
    lib = importlib.import_module(name)
    if name == "torch":
        lib.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    return lib


# ---- timing --------------------------------------------------------------------------------------
def time_step(step, inner):
    start = time.perf_counter()
    for _ in range(inner):
        step()
    return (time.perf_counter() - start) / inner


def _cpu_time_step(step, inner):
    start = time.thread_time()
    for _ in range(inner):
        step()
    return (time.thread_time() - start) / inner


def interleaved(steps, repeats=7, inner=20, warmup=5):
    """Median seconds per call of each step, the steps taking turns in every repetition."""
    for _ in range(warmup):
        for step in steps:
            step()
    times = [[] for _ in steps]
    for _ in range(repeats):
        for step, t in zip(steps, times):
            t.append(time_step(step, inner))
    return [statistics.median(t) for t in times]


def row(name, lamina_s, torch_s, note=""):
    """The table row every mode prints and run.py parses."""
    line = (f"{name:<41} lamina {lamina_s * 1e3:9.3f} ms   torch {torch_s * 1e3:9.3f} ms   "
            f"ratio {torch_s / lamina_s:5.2f}x")
    return line + (f"   [{note}]" if note else "")


def compare(name, lamina_step, torch_step, repeats=7, inner=20, warmup=5, note=""):
    """Median seconds per call of each step, interleaved; prints one table row."""
    lm, tm = interleaved([lamina_step, torch_step], repeats, inner, warmup)
    print(row(name, lm, tm, note), flush=True)
    return {"name": name, "lamina_ms": lm * 1e3, "torch_ms": tm * 1e3, "ratio": tm / lm}


def training_step(lib, model, optimizer, loss_fn, x, y, compiled=False):
    """One training step as users write it: zero_grad, forward (through lamina.compile(model) if
    compiled), loss, backward, optimizer step."""
    net = lib.compile(model) if compiled else model

    def step():
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
    return step


def first_call(step):
    """Run step once, returning the warnings it raised (recorded, not printed)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        step()
    return [str(w.message) for w in caught]


def compile_note(messages):
    """'compiled', or why lamina.compile fell back to eager (its warning names the reason)."""
    fallbacks = [m for m in messages if m.startswith("lamina.compile")]
    if not fallbacks:
        return "ran compiled"
    reason = fallbacks[0].split(": ", 2)[-1]
    return f"eager fallback: {reason}"


def _report_warnings(workload, messages, lib="lamina"):
    if workload.compiled and lib == "lamina":
        return compile_note(messages)
    for m in dict.fromkeys(messages):
        print(f"warning in {workload.key}: {m}", flush=True)
    return ""


# ---- GEMMs ---------------------------------------------------------------------------------------
def linear_gemms(rows, features, input_grad=False):
    """The matmuls of a training step through a chain of Linear layers on `rows` input rows,
    features = [in, hidden..., out]: forward x @ W.T, backward g.T @ x (weight gradient) and
    g @ W (input gradient; skipped for the first layer unless input_grad)."""
    out = []
    for i, (fin, fout) in enumerate(zip(features, features[1:])):
        out.append(((rows, fin), False, (fout, fin), True))
        out.append(((rows, fout), True, (rows, fin), False))
        if i or input_grad:
            out.append(((rows, fout), False, (fout, fin), False))
    return out


def attention_gemms(batch, heads, length, head_dim):
    """The batched matmuls of self-attention's core on (batch, heads, length, head_dim) q, k, v:
    forward q @ k.T and P @ v; backward P.T @ g, g @ v.T, dS @ k and dS.T @ q."""
    qkv = (batch, heads, length, head_dim)
    p = (batch, heads, length, length)
    return [(qkv, False, qkv, True), (p, False, qkv, False),
            (p, True, qkv, False), (qkv, False, qkv, True), (p, False, qkv, False), (p, True, qkv, False)]


def conv_gemms(batch, c_in, c_out, kernel, out_hw, input_grad=True):
    """A convolution's matmuls written as im2col GEMMs with columns (C·k·k, N·H_out·W_out):
    forward W @ cols, weight gradient g @ cols.T, column gradient W.T @ g (unless the input
    needs no gradient). The im2col/col2im copies are not GEMMs and are not counted."""
    ck, nl = c_in * kernel * kernel, batch * out_hw[0] * out_hw[1]
    out = [((c_out, ck), False, (ck, nl), False), ((c_out, nl), False, (ck, nl), True)]
    if input_grad:
        out.append(((c_out, ck), True, (c_out, nl), False))
    return out


def gemm_step(gemms, seed=0):
    """A callable running every GEMM of `gemms` with NumPy (`a @ b`, a fresh result each, as
    an op does) on float32 operands stored as given and transposed as views where marked."""
    import numpy as np
    rng = np.random.default_rng(seed)
    pairs = []
    for a_shape, a_t, b_shape, b_t in gemms:
        a = rng.standard_normal(a_shape, dtype=np.float32)
        b = rng.standard_normal(b_shape, dtype=np.float32)
        pairs.append((a.swapaxes(-1, -2) if a_t else a, b.swapaxes(-1, -2) if b_t else b))

    def step():
        for a, b in pairs:
            a @ b
    return step


def gemm_flops(gemms):
    total = 0
    for a_shape, a_t, b_shape, b_t in gemms:
        m, k = (a_shape[-1], a_shape[-2]) if a_t else (a_shape[-2], a_shape[-1])
        n = b_shape[-2] if b_t else b_shape[-1]
        batch = 1
        for d in a_shape[:-2]:
            batch *= d
        total += 2 * batch * m * k * n
    return total


# ---- memory --------------------------------------------------------------------------------------
def rss_mb():
    """(current RSS, peak RSS) of this process in MB. The peak is VmHWM: this process image's
    own high-water mark (ru_maxrss can carry the parent's peak across fork + exec)."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError):
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = peak / 1024 if sys.platform.startswith("linux") else peak / 2**20
        return float("nan"), peak


def memory_line(key, lib, peak, imported, setup, steps):
    return (f"memory {key} {lib}: peak RSS {peak:.1f} MB, after import {imported:.1f} MB, "
            f"after setup {setup:.1f} MB, {steps} steps")


# ---- modes ---------------------------------------------------------------------------------------
def _selected(workloads, argv):
    keys = _option(argv, "--workload")
    if keys is None:
        return workloads
    wanted = keys.split(",")
    unknown = [k for k in wanted if k not in {w.key for w in workloads}]
    if unknown:
        raise SystemExit(f"unknown workload {', '.join(unknown)}; known: {', '.join(w.key for w in workloads)}")
    return [w for w in workloads if w.key in wanted]


def _run_timing(workloads):
    libs = {name: load(name) for name in LIBS}
    rows = []
    for w in workloads:
        steps = [w.build(libs["lamina"]), w.build(libs["torch"])]
        note = _report_warnings(w, first_call(steps[0]))
        _report_warnings(w, first_call(steps[1]), "torch")
        rows.append(compare(w.name, steps[0], steps[1], w.repeats, w.inner, note=note))
    return rows


def _run_only(workloads, name):
    lib = load(name)
    for w in workloads:
        step = w.build(lib)
        note = _report_warnings(w, first_call(step), name)
        (t,) = interleaved([step], w.repeats, w.inner)
        print(f"{w.name:<41} {name} {t * 1e3:9.3f} ms" + (f"   [{note}]" if note else ""), flush=True)


def _run_memory(workloads, name, steps):
    lib = load(name)
    imported = rss_mb()[0]
    workloads = [w for w in workloads if w.kind == "train"]
    if not workloads:
        raise SystemExit("--memory measures training workloads; none selected")
    for w in workloads:
        step = w.build(lib)
        setup = rss_mb()[0]
        note = _report_warnings(w, first_call(step), name)
        for _ in range(steps - 1):
            step()
        other = LIBS[1 - LIBS.index(name)]
        if other in sys.modules:
            raise SystemExit(f"the {name}-only process imported {other}: its peak RSS would not be {name}'s alone")
        print(memory_line(w.key, name, rss_mb()[1], imported, setup, steps) + (f"   [{note}]" if note else ""),
              flush=True)
        if len(workloads) > 1:
            print("(several workloads in one process: the peak is the highest so far)", flush=True)


def _run_gemm(workloads):
    lamina = load("lamina")
    for w in workloads:
        if not w.gemms:
            continue
        step = w.build(lamina)
        note = _report_warnings(w, first_call(step))
        numpy_step = gemm_step(w.gemms)
        ts, tg = interleaved([step, numpy_step], w.repeats, w.inner)
        print(f"{w.name:<41} NumPy GEMMs {tg * 1e3:9.3f} ms   lamina {ts * 1e3:9.3f} ms   "
              f"GEMM fraction {tg / ts:5.2f}   ({len(w.gemms)} GEMMs, {gemm_flops(w.gemms) / 1e6:.0f} MFLOP)"
              + (f"   [{note}]" if note else ""), flush=True)


def main(workloads, argv=None):
    """Run a bench script's workloads in the mode its command line asks for (see the module doc)."""
    global time_step
    argv = sys.argv[1:] if argv is None else argv
    setup_threads(argv)
    if "--cpu" in argv:
        time_step = _cpu_time_step
    if "--list" in argv:
        for w in workloads:
            print(f"workload {w.key}\t{w.kind}\t{int(bool(w.gemms))}\t{w.name}")
        return None
    chosen = _selected(workloads, argv)
    only, memory = _option(argv, "--only"), _option(argv, "--memory")
    for lib in (only, memory):
        if lib is not None and lib not in LIBS:
            raise SystemExit(f"expected one of {', '.join(LIBS)}, got {lib!r}")
    if memory:
        return _run_memory(chosen, memory, int(_option(argv, "--steps", 10)))
    if only:
        return _run_only(chosen, only)
    if "--gemm" in argv:
        return _run_gemm(chosen)
    return _run_timing(chosen)
