#!/usr/bin/env python3
"""The README's two set-up commands, on a machine with nothing but python3:

    python3 scripts/dev.py demo    # the main job: build, count, trace and train the seed's MLP
    python3 scripts/dev.py test    # the whole test suite, PyTorch 2.13.0 as the oracle

Each creates (or reuses) its own virtual environment under .venv/ and installs lamina into it
(the test one also installs pytest, hypothesis and torch==2.13.0)."""
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENVS = {"demo": ("demo", "."), "test": ("test", ".[test]")}


def ensure_env(name, spec):
    env = os.path.join(ROOT, ".venv", name)
    python = os.path.join(env, "bin", "python")
    stamp = os.path.join(env, ".installed")
    want = open(os.path.join(ROOT, "pyproject.toml")).read() + spec
    if not os.path.exists(python):
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
    if not os.path.exists(stamp) or open(stamp).read() != want:
        subprocess.check_call([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "-e", spec], cwd=ROOT)
        with open(stamp, "w") as f:
            f.write(want)
    return python


def main(argv):
    if not argv or argv[0] not in ENVS:
        print(__doc__)
        return 2
    name, spec = ENVS[argv[0]]
    python = ensure_env(name, spec)
    if name == "demo":
        cmd = [python, "-m", "lamina.cli", "demo"] + argv[1:]
    else:
        cmd = [python, "-m", "pytest"] + argv[1:]
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
