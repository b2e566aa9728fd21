"""DataLoader, as torch.utils.data: batches from a dataset, in order or shuffled, in the main
process or in worker processes.

With `num_workers=0` (the default) everything runs in the calling process. A TensorDataset
(or a Subset of one) with the default collation takes a fast path: each batch is one NumPy
gather per tensor instead of indexing and stacking sample by sample; the result is the same.

With `num_workers > 0`, that many worker processes (started with `multiprocessing_context`,
default: the platform's default start method) each hold a copy of the dataset, turn batches of
indices into collated batches, and send them back through a queue; the main process hands out
`prefetch_factor` batches per worker ahead and yields them in sampler order (or as they
arrive with `in_order=False`). Each worker seeds Python's `random`, lamina and NumPy from
`base_seed + worker_id`; `get_worker_info()` tells a worker who it is. With the "spawn" or
"forkserver" start methods the dataset, collate_fn and worker_init_fn must be picklable."""
import itertools
import math
import multiprocessing
import os
import queue
import time
import warnings

from ... import random as _random
from . import _worker
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_POLL = 1.0  # seconds between the main process's checks that its workers are alive


class _InfiniteConstantSampler(Sampler):
    """For an IterableDataset: the 'index' is meaningless, so yield None forever."""

    def __iter__(self):
        return itertools.repeat(None)


class DataLoader:
    """Iterate over a dataset in batches.

    Args:
        dataset (Dataset): map-style (indexable) or iterable-style dataset.
        batch_size (int, optional): samples per batch; None turns automatic batching off.
            Default: 1.
        shuffle (bool, optional): reshuffle at every epoch (map-style only). Default: False.
        sampler (Sampler or Iterable, optional): the order of indices (excludes `shuffle`).
        batch_sampler (Sampler or Iterable, optional): yields lists of indices; excludes
            batch_size, shuffle, sampler and drop_last.
        num_workers (int): worker processes; 0 loads in the main process. Default: 0.
        collate_fn (Callable, optional): list of samples -> batch. Default: `default_collate`
            (or `default_convert` when automatic batching is off).
        pin_memory (bool): accepted; lamina is CPU-only, so it warns and does nothing.
        drop_last (bool): drop the last batch when it is short. Default: False.
        timeout (float): seconds to wait for a batch from the workers; 0 waits forever.
        worker_init_fn (Callable, optional): called as `fn(worker_id)` in each worker after seeding.
        multiprocessing_context (str or context, optional): "fork", "spawn" or "forkserver".
        generator (Generator, optional): drives RandomSampler and the workers' base seed.
        prefetch_factor (int, optional): batches loaded ahead per worker. Default: 2 with workers.
        persistent_workers (bool): keep the workers alive between epochs. Default: False.
        in_order (bool): yield batches in sampler order (True) or as workers finish them.

    Example::

        >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
        >>> for xb, yb in loader:
        ...     loss = F.cross_entropy(model(xb), yb)"""

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers "
                             "> 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                                 f"got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but "
                                 f"got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called = None
        self._iterator = None
        self._initialized = True
        self.check_worker_number_rationality()

    # ---- torch's guards on attributes ------------------------------------------------------------
    @property
    def multiprocessing_context(self):
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        if ctx is not None:
            if self.num_workers <= 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(ctx, str):
                methods = multiprocessing.get_all_start_methods()
                if ctx not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={ctx!r}")
                ctx = multiprocessing.get_context(ctx)
            if not isinstance(ctx, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={ctx}")
        self._mp_context = ctx

    def __setattr__(self, name, value):
        if self._initialized and name in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                          "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        object.__setattr__(self, name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    # ---- iteration -------------------------------------------------------------------------------
    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self):
        if self._iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self):
        if self.num_workers == 0:
            return
        if hasattr(os, "sched_getaffinity"):
            cpus, checked = len(os.sched_getaffinity(0)), ""
        else:
            cpus, checked = os.cpu_count(), " (`cpuset` is not taken into account)"
        if cpus is not None and self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. Our "
                          f"suggested max number of worker in current system is {cpus}{checked}, which is "
                          "smaller than what this DataLoader is going to create. Please be aware that excessive "
                          "worker creation might get DataLoader running slow or even freeze, lower the worker "
                          "number to avoid potential slowness/freeze if necessary.", stacklevel=2)


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._loader = loader
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=3)
        self._sampler_iter = iter(self._index_sampler)
        # drawn for every iterator, as torch does, so that the global stream advances alike
        self._base_seed = int(_random.rng(loader.generator).integers(0, 2 ** 63 - 1))
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        called = self._loader._IterableDataset_len_called
        if self._iterable and called is not None and self._num_yielded > called:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be {called}(when accessing "
                   f"len(dataloader)), but {self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly configuring the "
                        "IterableDataset replica at each worker. Please see "
                        "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples.")
            warnings.warn(msg, stacklevel=2)
        return data

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetch = _worker.make_fetcher(self._iterable, self._dataset, self._auto_collation,
                                           self._collate_fn, self._drop_last).fetch

    def _next_data(self):
        return self._fetch(next(self._sampler_iter))


class _MultiProcessIter(_BaseIter):
    """Hands index batches to worker processes round robin, `prefetch_factor` per worker ahead,
    and returns the results in order (tasks are numbered; early arrivals wait in a buffer)."""
    _shutdown_done = False

    def __init__(self, loader):
        super().__init__(loader)
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._prefetch = loader.prefetch_factor * self._num_workers
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._done_event = ctx.Event()
        self._data_queue = ctx.Queue()
        self._index_queues, self._workers = [], []
        for i in range(self._num_workers):
            q = ctx.Queue()
            q.cancel_join_thread()  # never block the main process's exit on undelivered indices
            w = ctx.Process(target=_worker.worker_loop, daemon=True,
                            args=(self._iterable, self._dataset, q, self._data_queue, self._done_event,
                                  self._auto_collation, self._collate_fn, self._drop_last, self._base_seed,
                                  loader.worker_init_fn, i, self._num_workers))
            w.start()
            self._index_queues.append(q)
            self._workers.append(w)
        self._reset(loader, first=True)

    def _reset(self, loader, first=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._send = self._rcvd = 0
        self._owner = {}  # task id -> worker id, for tasks not yet returned to the caller
        self._buffer = {}  # task id -> data that arrived ahead of its turn
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        if not first:  # persistent workers: drain the last epoch's leftovers, restart iterable datasets
            for q in self._index_queues:
                q.put(_worker.Resume())
            waiting = self._num_workers
            while waiting:
                task, _ = self._get()
                if isinstance(task, _worker.Resume):
                    waiting -= 1
        for _ in range(self._prefetch):
            self._put_index()

    def _put_index(self):
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            w = next(self._next_worker)
            if self._active[w]:
                break
        else:
            return  # every worker's iterable dataset has ended
        self._index_queues[w].put((self._send, index))
        self._owner[self._send] = w
        self._send += 1

    def _get(self):
        """The next (task, data) from any worker, watching for dead workers and the timeout."""
        start = time.monotonic()
        while True:
            wait = _POLL
            if self._timeout > 0:
                wait = min(wait, max(self._timeout - (time.monotonic() - start), 0.0))
            try:
                return self._data_queue.get(timeout=wait)
            except queue.Empty:
                pass
            if self._timeout > 0 and time.monotonic() - start >= self._timeout:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            dead = [str(w.pid) for w in self._workers if not w.is_alive()]
            if dead:
                self._shutdown()
                raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(dead)}) exited unexpectedly")

    def _next_data(self):
        while True:
            if self._in_order:
                # tasks of workers whose iterable dataset ended are never answered: skip them
                while self._rcvd < self._send and self._rcvd not in self._buffer \
                        and not self._active[self._owner[self._rcvd]]:
                    del self._owner[self._rcvd]
                    self._rcvd += 1
                if self._rcvd in self._buffer:
                    return self._deliver(self._rcvd, self._buffer.pop(self._rcvd))
            elif self._buffer:
                task = next(iter(self._buffer))
                return self._deliver(task, self._buffer.pop(task))
            if not any(self._active[w] for w in self._owner.values()):
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            task, data = self._get()
            if isinstance(data, _worker.IterableEnd):
                self._active[data.worker_id] = False  # its tasks from here on are skipped above
                self._put_index()
                continue
            if task not in self._owner:
                continue  # left over from before a reset
            if not self._in_order or task == self._rcvd:
                return self._deliver(task, data)
            self._buffer[task] = data

    def _deliver(self, task, data):
        del self._owner[task]
        if task == self._rcvd:
            self._rcvd += 1
        self._put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _shutdown(self):
        if self._shutdown_done:
            return
        self._shutdown_done = True
        try:
            self._done_event.set()
            for q in self._index_queues:
                q.put(None)
            for w in self._workers:
                w.join(timeout=_worker.STATUS_CHECK_INTERVAL)
                if w.is_alive():
                    w.terminate()
                    w.join()
            for q in self._index_queues:
                q.close()
            self._data_queue.cancel_join_thread()
            self._data_queue.close()
        except (OSError, ValueError, AttributeError):  # interpreter shutting down
            pass

    def __del__(self):
        if getattr(self, "_workers", None) is not None:  # absent if __init__ failed early
            self._shutdown()
