"""Side-by-side timing of lamina and PyTorch in one process.

Thread counts are made equal before NumPy or torch load (`setup_threads`), the two libraries'
steps are interleaved (so drift on a shared machine hits both alike), and the median of several
repetitions is reported with the ratio torch_time / lamina_time (> 1 means lamina is faster)."""
import os
import statistics
import sys
import time


def setup_threads(argv=None):
    """Read --threads N (default 1) and pin BLAS/OpenMP threads for both libraries. Must run
    before numpy, lamina or torch are imported."""
    argv = sys.argv if argv is None else argv
    threads = 1
    if "--threads" in argv:
        threads = int(argv[argv.index("--threads") + 1])
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    torch.set_num_threads(threads)
    return threads


def time_step(step, inner):
    start = time.perf_counter()
    for _ in range(inner):
        step()
    return (time.perf_counter() - start) / inner


def compare(name, lamina_step, torch_step, repeats=7, inner=20, warmup=5):
    """Median seconds per call of each step, interleaved; prints one table row."""
    for _ in range(warmup):
        lamina_step()
        torch_step()
    lam, tor = [], []
    for _ in range(repeats):
        lam.append(time_step(lamina_step, inner))
        tor.append(time_step(torch_step, inner))
    lm, tm = statistics.median(lam), statistics.median(tor)
    print(f"{name:<34} lamina {lm * 1e3:9.3f} ms   torch {tm * 1e3:9.3f} ms   ratio {tm / lm:5.2f}x", flush=True)
    return {"name": name, "lamina_ms": lm * 1e3, "torch_ms": tm * 1e3, "ratio": tm / lm}
