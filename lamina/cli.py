"""The `lamina` command.

    lamina demo                       build, inspect and train the first seed's 784→256→128→10 MLP
    lamina convert IN OUT             .pt ↔ .safetensors, without torch
    lamina inspect-file FILE          keys, shapes and dtypes of a checkpoint
    lamina summary FILE.py:Model --input 1,784
    lamina trace FILE.py:Model --input 1,784
    lamina bench [--repeat K] ...     bench/run.py: times, memory, GEMM fractions, side by side with PyTorch

Subcommands import what they need when they run, so `lamina --help` is instant."""
import argparse
import sys
import time


def _synthetic_digits(n, generator_seed=0):
    """A stand-in for flattened 28×28 digits: 10 class prototypes plus noise (no download)."""
    import numpy as np
    rng = np.random.default_rng(generator_seed)
    prototypes = rng.random((10, 784), dtype=np.float32)
    labels = rng.integers(0, 10, n)
    images = prototypes[labels] + 0.8 * rng.standard_normal((n, 784), dtype=np.float32)
    return images.astype(np.float32), labels.astype(np.int64)


def demo(args):
    import lamina as torch
    import lamina.nn as nn
    import lamina.nn.functional as F

    torch.manual_seed(args.seed)
    model = nn.Sequential(
        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    print(model)
    total = sum(p.numel() for p in model.parameters())
    print(f"\nParameters: {total:,}")
    for name, layer in model.named_children():
        if isinstance(layer, nn.Linear):
            n = layer.out_features * (layer.in_features + 1)
            print(f"  layer {name}: {layer.out_features} × ({layer.in_features} + 1) = {n:,}")

    print("\nWatching data transform:")
    x = torch.randn(1, 784)
    print(f"  input: {x.shape}")
    for name, layer in model.named_children():
        x = layer(x)
        print(f"  after ({name}) {type(layer).__name__}: {x.shape}")

    images, labels = _synthetic_digits(args.samples)
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    print(f"\nTraining on {args.samples} synthetic 28×28 'digits' (batch {args.batch}):")
    start = time.perf_counter()
    step = 0
    for epoch in range(args.epochs):
        perm = torch.randperm(args.samples)
        running = 0.0
        batches = 0
        for i in range(0, args.samples, args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(x_all[idx]), y_all[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
            batches += 1
            step += 1
        with torch.no_grad():
            accuracy = (model(x_all).argmax(dim=1) == y_all).float().mean().item()
        print(f"  epoch {epoch + 1}: loss {running / batches:.4f}, accuracy {accuracy:.1%}")
    print(f"{step} steps in {time.perf_counter() - start:.2f} s")
    return 0


def _load_model(spec):
    """FILE.py:Name → an instance (a class is called with no arguments, a factory too)."""
    import importlib.util
    import os
    path, _, name = spec.partition(":")
    module_spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, name)()


def _shape(text):
    return tuple(int(s) for s in text.split(","))


def summary_cmd(args):
    import lamina
    print(lamina.summary(_load_model(args.model), input_size=_shape(args.input)))
    return 0


def trace_cmd(args):
    import lamina
    model = _load_model(args.model)
    lamina.trace(model, lamina.randn(*_shape(args.input)))
    return 0


def convert_cmd(args):
    from lamina import io
    io.convert(args.src, args.dst, key=args.key)
    print(f"wrote {args.dst}")
    return 0


def inspect_file_cmd(args):
    from lamina import io
    io.inspect_file(args.path, file=sys.stdout)
    return 0


def _bench_runner():
    """bench/run.py: in $LAMINA_BENCH_DIR if set, else beside the lamina package (a source
    checkout or an editable install), else under the current directory; None if none has it."""
    import os
    if os.environ.get("LAMINA_BENCH_DIR"):
        places = [os.environ["LAMINA_BENCH_DIR"]]
    else:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        places = [os.path.join(root, "bench"), os.path.join(os.getcwd(), "bench")]
    for place in places:
        runner = os.path.join(place, "run.py")
        if os.path.isfile(runner):
            return runner, places
    return None, places


def bench_cmd(args):
    import subprocess
    runner, places = _bench_runner()
    if runner is None:
        print("lamina bench: bench/run.py not found (looked in " + ", ".join(places) + "). The benchmarks are "
              "part of lamina's source tree, not of the installed package: run `lamina bench` from a checkout, "
              "or set LAMINA_BENCH_DIR to its bench/ folder.", file=sys.stderr)
        return 2
    # the same interpreter: lamina and torch are importable where this command runs
    return subprocess.call([sys.executable, runner] + args.rest)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lamina", description="PyTorch's API on NumPy")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="build, inspect and train the seed's 784→256→128→10 MLP")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--samples", type=int, default=2048)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=demo)
    for name, fn in (("summary", summary_cmd), ("trace", trace_cmd)):
        p = sub.add_parser(name, help=f"{name} of a model defined in a file (FILE.py:ClassOrFactory)")
        p.add_argument("model")
        p.add_argument("--input", required=True, help="input shape, e.g. 1,784")
        p.set_defaults(run=fn)
    p = sub.add_parser("convert", help="convert a checkpoint: .pt ↔ .safetensors")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--key", help='take this entry of a training checkpoint, e.g. "model"')
    p.set_defaults(run=convert_cmd)
    p = sub.add_parser("inspect-file", help="list a checkpoint's keys, shapes and dtypes")
    p.add_argument("path")
    p.set_defaults(run=inspect_file_cmd)
    p = sub.add_parser("bench", add_help=False,
                       help="times, peak memory and GEMM fractions vs PyTorch (bench/run.py; --help for its options)")
    p.set_defaults(run=bench_cmd)
    args, rest = parser.parse_known_args(argv)
    if args.command != "bench" and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
