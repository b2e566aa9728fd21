"""Run every bench_*.py in this folder, each in its own process (so thread settings and imports
start clean), and print their tables one after the other.

    python bench/run.py [--threads N]"""
import glob
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
for script in sorted(glob.glob(os.path.join(here, "bench_*.py"))):
    print(f"== {os.path.basename(script)}", flush=True)
    subprocess.call([sys.executable, script] + sys.argv[1:])
