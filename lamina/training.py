"""lamina.training: an optional helper that runs the usual epoch loop for you and shows it.

A plain PyTorch-style loop stays the first-class way to train a lamina model; `fit` is sugar
for that loop, with a progress bar, per-epoch loss and metrics, validation, and a PNG plot:

    from lamina.training import fit, accuracy
    history = fit(model, train_loader, optimizer, F.cross_entropy, epochs=10,
                  val_loader=val_loader, metrics={"accuracy": accuracy}, plot="curves.png")
    history["val_accuracy"][-1]

What one epoch of `fit` does, spelled out (so nothing is hidden):

    model.train()
    for *inputs, target in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(*inputs), target)
        loss.backward()
        optimizer.step()
    model.eval(); with lamina.no_grad(): ... the same over val_loader, without the updates

The progress bar is tqdm's when tqdm is installed, a plain self-overwriting line otherwise,
and nothing when standard output is not a terminal (unless `progress=True`). The plot needs
matplotlib. Both are imported only when used, never by `import lamina`."""
import math
import sys
import time
import warnings

from .autograd.grad_mode import no_grad

__all__ = ["fit", "train_epoch", "evaluate", "History", "accuracy", "binary_accuracy"]


# ---- metrics: fn(output, target) -> float, averaged over samples --------------------------------------

def accuracy(output, target):
    """Share of rows whose largest output is the target class: output (N, C), target (N,)."""
    return (output.argmax(-1) == target).float().mean().item()


def binary_accuracy(output, target, threshold=0.5):
    """Share of outputs on the target's side of `threshold` (0.5 for probabilities; pass
    `functools.partial(binary_accuracy, threshold=0.0)` for logits). Shapes must match."""
    return ((output > threshold).float() == (target > 0.5).float()).float().mean().item()


class History:
    """Per-epoch records of `fit`: history["loss"], history["val_loss"], history[metric],
    history["val_" + metric], history["time"] (seconds per epoch), each a list over epochs."""

    def __init__(self):
        self.history = {}
        self.epochs = 0

    def record(self, **values):
        for k, v in values.items():
            self.history.setdefault(k, []).append(v)

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def __repr__(self):
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={self.epochs}{', ' + last if last else ''})"

    def plot(self, path, title=None):
        """Save the loss curves (and every metric's, in a second panel) as an image at `path`.

        Needs matplotlib; draws on a standalone Agg figure, so pyplot's global state and any
        interactive backend are left alone."""
        try:
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError as e:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from e
        metrics = [k for k in self.history if k not in ("loss", "val_loss", "time") and not k.startswith("val_")]
        fig = Figure(figsize=(10 if metrics else 5.5, 4), layout="tight")
        axes = fig.subplots(1, 2 if metrics else 1, squeeze=False)[0]
        epochs = range(1, self.epochs + 1)
        for ax, names, label in ((axes[0], ["loss"], "loss"), (axes[-1], metrics, "metric")):
            if label == "metric" and not metrics:
                break
            for name in names:
                for key, style in ((name, "-"), ("val_" + name, "--")):
                    if key in self.history:
                        ax.plot(list(epochs)[:len(self.history[key])], self.history[key], style, marker=".",
                                label=key)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        fig.savefig(path, dpi=100)
        return path


# ---- progress display --------------------------------------------------------------------------------

class _Silent:
    def update(self, loss):
        pass

    def close(self, summary):
        pass


class _PlainBar:
    """One line per epoch, rewritten in place with '\\r': `epoch 2/10 [#####.....] 20/40 loss 0.4123`."""

    def __init__(self, total, desc, stream):
        self.total, self.desc, self.stream, self.n = total, desc, stream, 0
        self.last = 0.0

    def update(self, loss):
        self.n += 1
        now = time.perf_counter()
        if now - self.last < 0.1 and self.n != self.total:
            return  # redrawing every batch would cost more than a small model's step
        self.last = now
        if self.total:
            filled = int(20 * self.n / self.total)
            bar = f" [{'#' * filled}{'.' * (20 - filled)}] {self.n}/{self.total}"
        else:
            bar = f" {self.n}"
        self.stream.write(f"\r{self.desc}{bar} loss {loss:.4f}")
        self.stream.flush()

    def close(self, summary):
        self.stream.write(f"\r{self.desc} {summary}\033[K\n")
        self.stream.flush()


class _TqdmBar:
    def __init__(self, tqdm, total, desc, stream):
        self.bar = tqdm(total=total, desc=desc, file=stream, leave=False, dynamic_ncols=True, mininterval=0.1)
        self.stream = stream
        self.desc = desc

    def update(self, loss):
        self.bar.update(1)
        if self.bar.n == self.bar.total or self.bar.n % 10 == 1:
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def close(self, summary):
        self.bar.close()
        self.stream.write(f"{self.desc} {summary}\n")
        self.stream.flush()


def _progress_factory(progress, stream):
    """progress: None (auto: on when `stream` is a terminal), True/False, or "plain"/"tqdm"."""
    if progress is None:
        progress = bool(getattr(stream, "isatty", lambda: False)())
    if not progress:
        return lambda total, desc: _Silent()
    if progress != "plain":
        try:
            from tqdm.auto import tqdm
            return lambda total, desc: _TqdmBar(tqdm, total, desc, stream)
        except ImportError:
            if progress == "tqdm":
                raise
    return lambda total, desc: _PlainBar(total, desc, stream)


# ---- the loop ---------------------------------------------------------------------------------------------

def _split(batch):
    """A batch from a DataLoader -> (inputs tuple, target): the last element is the target."""
    if isinstance(batch, (list, tuple)):
        if len(batch) < 2:
            raise ValueError(f"expected batches of (inputs..., target), got a {type(batch).__name__} of "
                             f"{len(batch)} element(s)")
        return tuple(batch[:-1]), batch[-1]
    raise TypeError(f"expected batches of (inputs..., target), got {type(batch).__name__}")


def _size(target):
    try:
        return len(target)
    except TypeError:
        return 1


def _accumulate(sums, name, value, n):
    sums[name] = sums.get(name, 0.0) + value * n


def train_epoch(model, loader, optimizer, loss_fn, metrics=None, bar=None):
    """One pass over `loader` with updates; returns {"loss": mean, metric: mean, ...} weighted
    by batch size."""
    model.train()
    sums, count = {}, 0
    metrics = metrics or {}
    for batch in loader:
        inputs, target = _split(batch)
        optimizer.zero_grad()
        output = model(*inputs)
        loss = loss_fn(output, target)
        loss.backward()
        optimizer.step()
        n = _size(target)
        value = loss.item()
        _accumulate(sums, "loss", value, n)
        if metrics:
            with no_grad():
                for name, fn in metrics.items():
                    _accumulate(sums, name, fn(output.detach(), target), n)
        count += n
        if bar is not None:
            bar.update(value)
    return {k: v / count for k, v in sums.items()} if count else {"loss": math.nan}


def evaluate(model, loader, loss_fn, metrics=None):
    """Mean loss and metrics over `loader` in eval mode without gradients; the model's
    train/eval mode is restored afterwards."""
    was_training = model.training
    model.eval()
    sums, count = {}, 0
    try:
        with no_grad():
            for batch in loader:
                inputs, target = _split(batch)
                output = model(*inputs)
                n = _size(target)
                _accumulate(sums, "loss", loss_fn(output, target).item(), n)
                for name, fn in (metrics or {}).items():
                    _accumulate(sums, name, fn(output, target), n)
                count += n
    finally:
        model.train(was_training)
    return {k: v / count for k, v in sums.items()} if count else {"loss": math.nan}


def fit(model, train_loader, optimizer, loss_fn, epochs=1, *, val_loader=None, metrics=None, scheduler=None,
        progress=None, plot=None, stream=None, on_epoch_end=None):
    """Train `model` for `epochs` passes over `train_loader`; returns a History.

    Args:
        model (Module): called as model(*inputs) on each batch (inputs..., target).
        train_loader (iterable): batches of (inputs..., target), e.g. a DataLoader.
        optimizer (Optimizer): stepped once per batch.
        loss_fn (callable): loss_fn(output, target) -> scalar tensor.
        epochs (int): number of passes. Default: 1.
        val_loader (iterable, optional): evaluated after every epoch (eval mode, no_grad);
            its results are recorded as "val_loss" and "val_<metric>".
        metrics (dict or list, optional): {name: fn(output, target) -> float}, or a list of
            names among "accuracy" and "binary_accuracy".
        scheduler (LRScheduler, optional): stepped once per epoch (ReduceLROnPlateau with the
            validation loss when there is one, else the training loss).
        progress (bool or str, optional): None shows a bar only when `stream` is a terminal;
            True/False force it; "plain" avoids tqdm.
        plot (str or path, optional): save the curves there as PNG at the end (needs matplotlib;
            without it, a warning and no file).
        stream (file, optional): where progress goes. Default: sys.stdout.
        on_epoch_end (callable, optional): called as fn(epoch, logs) with this epoch's values;
            returning True stops training early."""
    if isinstance(metrics, (list, tuple)):
        known = {"accuracy": accuracy, "binary_accuracy": binary_accuracy}
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise ValueError(f"unknown metric name(s) {unknown}; pass a dict {{name: fn(output, target)}} or "
                             f"names among {sorted(known)}")
        metrics = {m: known[m] for m in metrics}
    metrics = dict(metrics or {})
    stream = sys.stdout if stream is None else stream
    make_bar = _progress_factory(progress, stream)
    history = History()
    width = len(str(epochs))
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        try:
            total = len(train_loader)
        except TypeError:
            total = None
        bar = make_bar(total, f"epoch {epoch:>{width}}/{epochs}")
        logs = train_epoch(model, train_loader, optimizer, loss_fn, metrics, bar)
        if val_loader is not None:
            logs.update({"val_" + k: v for k, v in evaluate(model, val_loader, loss_fn, metrics).items()})
        logs["time"] = time.perf_counter() - start
        history.record(**logs)
        history.epochs = epoch
        bar.close("  ".join(f"{k} {v:.4f}" if k != "time" else f"{v:.1f}s" for k, v in logs.items()))
        if scheduler is not None:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(logs.get("val_loss", logs["loss"]))
            else:
                scheduler.step()
        if on_epoch_end is not None and on_epoch_end(epoch, dict(logs)) is True:
            break
    if plot is not None:
        try:
            history.plot(plot)
        except ImportError as e:
            warnings.warn(f"plot not saved: {e}", stacklevel=2)
    return history
