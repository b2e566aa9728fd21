"""Run every bench_*.py in this folder, each in its own process (so thread settings and imports
start clean and peak memory is per workload), then print one table of all rows: median times
of lamina and PyTorch (interleaved in the same process) and the ratio torch / lamina (> 1 means
lamina is faster), with each process's peak RSS (both libraries loaded).

    python bench/run.py [--threads N] [--repeat K]   (K runs of each script; the table shows the
                                                       median of the K medians)"""
import glob
import os
import re
import statistics
import subprocess
import sys

ROW = re.compile(r"^(?P<name>.+?)\s+lamina\s+(?P<lam>[\d.]+) ms\s+torch\s+(?P<tor>[\d.]+) ms")


def run_script(script, args):
    """Rows printed by one bench script, and the peak RSS (MB) of its process."""
    proc = subprocess.Popen([sys.executable, script] + args, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    rows = []
    for line in out.splitlines():
        m = ROW.match(line.strip())
        if m:
            rows.append((m["name"].strip(), float(m["lam"]), float(m["tor"])))
        elif line.strip():
            print("   ", line, flush=True)
    return rows, usage.ru_maxrss / 1024


def main(argv):
    repeat = 1
    if "--repeat" in argv:
        i = argv.index("--repeat")
        repeat = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    here = os.path.dirname(os.path.abspath(__file__))
    table = []
    for script in sorted(glob.glob(os.path.join(here, "bench_*.py"))):
        print(f"== {os.path.basename(script)}", flush=True)
        runs, rss = {}, 0.0
        for _ in range(repeat):
            rows, peak = run_script(script, argv)
            rss = max(rss, peak)
            for name, lam, tor in rows:
                runs.setdefault(name, []).append((lam, tor))
        for name, vals in runs.items():
            lam = statistics.median(v[0] for v in vals)
            tor = statistics.median(v[1] for v in vals)
            table.append((name, lam, tor, rss))
            print(f"   {name:<34} lamina {lam:9.3f} ms  torch {tor:9.3f} ms  {tor / lam:5.2f}x", flush=True)
    print()
    print(f"| {'workload':<34} | lamina ms | torch ms | torch/lamina | peak RSS MB (process) |")
    print(f"|{'-' * 36}|----------:|---------:|-------------:|----------------------:|")
    for name, lam, tor, rss in table:
        print(f"| {name:<34} | {lam:9.3f} | {tor:8.3f} | {tor / lam:11.2f}x | {rss:21.0f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
