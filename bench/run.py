"""Every benchmark in one command: times, peak memory and GEMM fractions, as markdown tables.

    python bench/run.py [--threads N] [--repeat K] [--workload KEY,...] [--sections time,memory,gemm]
                        [--steps N] [--cpu] [--layers]          (or: lamina bench ...)

time    each bench_*.py in its own process, lamina and PyTorch steps interleaved, median per
        run; with --repeat K the scripts run K times (in turn) and the table shows the median
        of the K medians, and the median of the K runs' ratios torch / lamina (> 1: lamina is
        faster; each ratio compares steps interleaved in one process)
memory  each training workload run --steps N (default 10) steps in a fresh process that imports
        only lamina, then in one that imports only torch: peak RSS of each, their ratio, and
        the part above the RSS right after the library's import (the workload's own memory)
gemm    lamina's step interleaved with NumPy running the same GEMMs alone (lamina-only
        process): GEMM fraction = NumPy GEMM time / lamina step time (1 would mean lamina adds
        nothing around its matmuls); medians of K runs' times and of their fractions

Other options go to the bench scripts' timing runs (--cpu: thread CPU time; --layers: the CNN's
layers alone). Exit status 1 if a script failed."""
import argparse
import glob
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NUM = r"([\d.]+|nan|inf)"
TIME_ROW = re.compile(rf"^(?P<name>.+?)\s+lamina\s+{NUM} ms\s+torch\s+{NUM} ms\s+ratio\s+\S+x(\s+\[(?P<note>.*)\])?$")
MEMORY_ROW = re.compile(rf"^memory (?P<key>\S+) (?P<lib>\w+): peak RSS {NUM} MB, after import {NUM} MB, "
                        rf"after setup {NUM} MB, (?P<steps>\d+) steps(\s+\[(?P<note>.*)\])?$")
GEMM_ROW = re.compile(rf"^(?P<name>.+?)\s+NumPy GEMMs\s+{NUM} ms\s+lamina\s+{NUM} ms\s+GEMM fraction\s+\S+\s+"
                      rf"\((?P<count>\d+) GEMMs, (?P<mflop>\d+) MFLOP\)(\s+\[(?P<note>.*)\])?$")

failures = []


def run_script(script, args, pattern):
    """Matches of `pattern` among the script's output lines; other lines are echoed."""
    proc = subprocess.run([sys.executable, script] + args, stdout=subprocess.PIPE, text=True)
    matches = []
    for line in proc.stdout.splitlines():
        m = pattern.match(line.strip())
        if m:
            matches.append(m)
        elif line.strip():
            print("    " + line, flush=True)
    if proc.returncode:
        failures.append(f"{os.path.basename(script)} {' '.join(args)} (exit status {proc.returncode})")
        print(f"    FAILED: {failures[-1]}", flush=True)
    return matches


def list_workloads(script, extra):
    """[(key, kind, has_gemms, name)] of one bench script (extra: e.g. --layers adds workloads)."""
    out = subprocess.run([sys.executable, script, "--list"] + extra, stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        if line.startswith("workload "):
            key, kind, gemms, name = line[len("workload "):].split("\t")
            rows.append((key, kind, gemms == "1", name))
    return rows


def machine(threads):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = []
    for package, label in (("numpy", "NumPy"), ("torch", "PyTorch")):
        try:
            from importlib.metadata import version
            versions.append(f"{label} {version(package)}")
        except Exception:
            versions.append(f"{label} ?")
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    lamina = f"lamina {commit.stdout.strip()}" if commit.returncode == 0 else "lamina"
    return (f"{os.cpu_count()} cores, {cpu}, {platform.system()}; Python {platform.python_version()}, "
            + ", ".join(versions) + f", {lamina} ({kernels()}); {threads} BLAS/OpenMP thread{'s' * (threads != 1)}")


def kernels():
    """Whether the scripts' lamina will use its optional numba kernels (lamina/_accel)."""
    if os.environ.get("LAMINA_NUMBA", "1") == "0":
        return "numba kernels off: LAMINA_NUMBA=0"
    try:
        from importlib.metadata import version
        return f"numba {version('numba')} kernels"
    except Exception:
        return "no numba: NumPy paths only"


def load():
    return "/".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def collect(plan, args_for, pattern, repeat, label):
    """Run each script `repeat` times; per row name (in first-seen order): the median of each of
    its two numbers, the (a, b) pairs of every run, and the row's last match."""
    runs, last, order = {}, {}, []
    for r in range(repeat):
        for script, keys in plan:
            print(f"== {label} {os.path.basename(script)} ({r + 1}/{repeat})", flush=True)
            for m in run_script(script, args_for(keys), pattern):
                name = m["name"].strip()
                if name not in runs:
                    order.append(name)
                runs.setdefault(name, []).append((float(m[2]), float(m[3])))
                last[name] = m
                print(f"    {m.string}", flush=True)
    for name in order:
        a = statistics.median(v[0] for v in runs[name])
        b = statistics.median(v[1] for v in runs[name])
        yield name, a, b, runs[name], last[name]


def per_run_median(pairs, quotient):
    """Median of each run's own quotient: one run's two numbers were interleaved, different runs' not."""
    return statistics.median(quotient(a, b) for a, b in pairs)


def time_section(plan, common_args, extra, repeat):
    lines = [f"| {'workload':<41} | lamina ms | torch ms | torch/lamina | note |",
             f"|{'-' * 43}|----------:|---------:|-------------:|------|"]
    rows = collect(plan, lambda keys: common_args + extra + ["--workload", ",".join(keys)], TIME_ROW, repeat, "time")
    for name, lam, tor, pairs, m in rows:
        ratio = per_run_median(pairs, lambda lam_run, tor_run: tor_run / lam_run)
        lines.append(f"| {name:<41} | {lam:9.3f} | {tor:8.3f} | {ratio:11.2f}x | {m['note'] or ''} |")
    return lines


def memory_section(plan, common_args, steps):
    lines = [f"| {'training workload':<41} | lamina MB | torch MB | lamina/torch | lamina steps add MB "
             "| torch steps add MB |",
             f"|{'-' * 43}|----------:|---------:|-------------:|--------------------:|------------------:|"]
    imported = {}
    for script, keys in plan:
        for key, name in keys:
            got = {}
            for lib in ("lamina", "torch"):
                print(f"== memory {key} {lib}", flush=True)
                for m in run_script(script, common_args + ["--memory", lib, "--workload", key, "--steps", str(steps)],
                                    MEMORY_ROW):
                    got[lib] = (float(m[3]), float(m[5]))
                    imported.setdefault(lib, float(m[4]))
                    print(f"    {m.string}", flush=True)
            if len(got) == 2:
                (lp, li), (tp, ti) = got["lamina"], got["torch"]
                lines.append(f"| {name:<41} | {lp:9.1f} | {tp:8.1f} | {lp / tp:12.2f} | {lp - li:19.1f} "
                             f"| {tp - ti:18.1f} |")
    if imported:
        lines += ["", "RSS right after the import: " + ", ".join(f"{lib} {mb:.1f} MB" for lib, mb in imported.items())
                  + ". Steps add: peak minus the RSS once model, data and optimizer are built."]
    return lines


def gemm_section(plan, common_args, repeat):
    lines = [f"| {'workload':<41} | NumPy GEMMs ms | lamina step ms | GEMM fraction | GEMMs (MFLOP) | note |",
             f"|{'-' * 43}|---------------:|---------------:|--------------:|--------------:|------|"]
    rows = collect(plan, lambda keys: common_args + ["--gemm", "--workload", ",".join(keys)], GEMM_ROW, repeat, "gemm")
    for name, gemm, step, pairs, m in rows:
        fraction = per_run_median(pairs, lambda gemm_run, step_run: gemm_run / step_run)
        lines.append(f"| {name:<41} | {gemm:14.3f} | {step:14.3f} | {fraction:13.2f} | "
                     f"{m['count'] + ' (' + m['mflop'] + ')':>13} | {m['note'] or ''} |")
    return lines


def main(argv):
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each timing/GEMM script (median of medians)")
    parser.add_argument("--workload", help="comma-separated keys (see python bench/bench_mlp.py --list)")
    parser.add_argument("--sections", default="time,memory,gemm")
    parser.add_argument("--steps", type=int, default=10, help="training steps per memory run")
    args, extra = parser.parse_known_args(argv)
    sections = args.sections.split(",")
    unknown = set(sections) - {"time", "memory", "gemm"}
    if unknown:
        parser.error(f"unknown section {', '.join(sorted(unknown))} (choose from time, memory, gemm)")
    wanted = set(args.workload.split(",")) if args.workload else None
    common_args = ["--threads", str(args.threads)]

    scripts = sorted(glob.glob(os.path.join(HERE, "bench_*.py")))
    listed = [(s, list_workloads(s, extra)) for s in scripts]
    if wanted is not None:
        known = {w[0] for _, ws in listed for w in ws}
        if wanted - known:
            parser.error(f"unknown workload {', '.join(sorted(wanted - known))}; known: {', '.join(sorted(known))}")
        listed = [(s, [w for w in ws if w[0] in wanted]) for s, ws in listed]
    header = [f"Machine: {machine(args.threads)}.", f"Load average (1/5/15 min) at start: {load()}."]
    start = time.perf_counter()
    tables = []
    if "time" in sections:
        plan = [(s, [w[0] for w in ws]) for s, ws in listed if ws]
        tables += [f"### Time per step, median of {args.repeat} run(s)' medians and ratios (torch/lamina > 1: lamina "
                   "is faster)",
                   ""] + \
            time_section(plan, common_args, extra, args.repeat) + [""]
    if "memory" in sections:
        plan = [(s, [(w[0], w[3]) for w in ws if w[1] == "train"]) for s, ws in listed]
        tables += [f"### Peak RSS of training, each library alone in a fresh process, {args.steps} steps "
                   "(goal: lamina/torch <= 1)", ""] + \
            memory_section([p for p in plan if p[1]], common_args, args.steps) + [""]
    if "gemm" in sections:
        plan = [(s, [w[0] for w in ws if w[2]]) for s, ws in listed]
        tables += ["### GEMM fraction = NumPy GEMM time for the step's shapes / lamina step time "
                   "(goal: >= 0.80)", ""] + \
            gemm_section([p for p in plan if p[1]], common_args, args.repeat) + [""]
    header.append(f"Load average at end: {load()}; {time.perf_counter() - start:.0f} s; "
                  f"command: bench/run.py {' '.join(argv)}".rstrip() + ".")
    print()
    print("\n".join(header + [""] + tables).rstrip())
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
