"""What runs inside a DataLoader worker process, and what the workers and the main process
exchange: fetchers (index -> collated batch), the worker loop, WorkerInfo and exception transport."""
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

STATUS_CHECK_INTERVAL = 5.0  # seconds the main process waits for a stopping worker before killing it
_WORKER_POLL = 0.1  # seconds between an idle worker's checks for shutdown and for its parent's death


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: its id, the number of workers, the seed
    it was given, and its own copy of the dataset."""
    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info = None


def get_worker_info():
    """The WorkerInfo of the current DataLoader worker process, or None in the main process.

    Use it in an IterableDataset's `__iter__` or in `worker_init_fn` to give each worker its own
    share of the data."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process as its type and traceback text."""

    def __init__(self, where):
        exc_type, exc, tb = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class IterableEnd:
    """A worker's message that its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class Resume:
    """Main -> persistent worker: a new epoch starts; restart the dataset iterator."""


# ---- fetchers: one call turns an index (or a batch of indices) into collated data ------------------

class MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        if not auto_collation:
            self.fetch = self.fetch_one
        else:
            from .collate import default_collate
            getter = _whole_batch_getter(dataset) if collate_fn is default_collate else None
            if getter is not None:
                self.fetch = getter

    def fetch(self, indices):
        ds = self.dataset
        getitems = getattr(ds, "__getitems__", None)
        data = getitems(indices) if callable(getitems) else [ds[i] for i in indices]
        return self.collate_fn(data)

    def fetch_one(self, index):
        return self.collate_fn(self.dataset[index])


def _whole_batch_getter(dataset):
    """For a TensorDataset (possibly inside Subsets) with the default collation: a function
    batch-indices -> [t[indices] for t in tensors], one NumPy gather per tensor instead of
    indexing and stacking sample by sample. Same values, shapes and dtypes as the slow path.
    None when the fast path does not apply (other datasets, overridden methods, grad-requiring
    tensors, whose stacking autograd must record)."""
    from ...tensor import Tensor
    from .dataset import Subset, TensorDataset
    maps = []
    while type(dataset) is Subset:
        maps.append(np.asarray(dataset.indices, dtype=np.int64).reshape(-1))
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    arrays = []
    for t in dataset.tensors:
        if not isinstance(t, Tensor) or t._requires_grad or t._data.ndim == 0:
            return None
        arrays.append(t._data)
    n = len(arrays[0])
    wrap = Tensor._wrap

    def fetch(indices):
        idx = np.asarray(indices, dtype=np.int64)
        for m in maps:  # outermost Subset first: each level maps into the one below
            idx = m[idx]
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = idx[(idx < -n) | (idx >= n)][0]
            raise IndexError(f"index {bad} is out of bounds for dimension 0 with size {n}")
        return [wrap(a[idx]) for a in arrays]
    return fetch


class IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.collate_fn = collate_fn
        self.auto_collation = auto_collation
        self.drop_last = drop_last
        self.it = iter(dataset)
        self.ended = False

    def fetch(self, indices):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.it))
        data = []
        for _ in indices:
            try:
                data.append(next(self.it))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(indices)):
            raise StopIteration
        return self.collate_fn(data)


def make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    cls = IterableFetcher if iterable else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_everything(seed, worker_id, base_seed):
    """Seed Python's, lamina's and NumPy's global generators in a worker, each differently."""
    from ... import random as lamina_random
    random.seed(seed)
    lamina_random.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32]).generate_state(4))


def worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers):
    """A worker's life: seed, set up, then answer (task id, indices) messages with (task id, batch)
    until told to stop (None) or the main process is gone."""
    global _worker_info
    try:
        seed = base_seed + worker_id
        seed_everything(seed, worker_id, base_seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where)
        ended = False
        parent = os.getppid()
        while True:
            try:
                msg = index_queue.get(timeout=_WORKER_POLL)
            except queue.Empty:
                # the final None may never come (it can be stuck behind a lock if the main process
                # shuts down from a garbage-collection pass): the event is enough
                if done_event.is_set() or os.getppid() != parent:
                    break
                continue
            if msg is None:
                break
            if isinstance(msg, Resume):
                data_queue.put((msg, None))
                ended = False
                if iterable and init_error is None:
                    fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                continue
            if done_event.is_set() or ended:
                continue
            task, indices = msg
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(indices)
                except Exception as e:
                    if isinstance(e, StopIteration) and iterable:
                        data = IterableEnd(worker_id)
                        ended = True
                    else:
                        data = ExceptionWrapper(where)
            data_queue.put((task, data))
            del data
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
