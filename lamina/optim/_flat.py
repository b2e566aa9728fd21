"""Flat buffers for optimizer updates: one NumPy call per update term over a whole parameter group.

On small models the per-parameter Python loop of an update costs more than its arithmetic. Once
every parameter of a group has its state, the group's parameters of one dtype are laid out as
views into one contiguous array (values copied in, then `p.data` set to the view: the Parameter
objects stay the same), their state tensors likewise (each state Tensor object keeps its identity
and per-parameter shape, so `state_dict()` is unchanged), and each step runs the update rule a
handful of times over the whole bucket. The gradients are either copied into one flat buffer
first (Adam, which reads them three times) or read from `p.grad` by the update's first operation
that needs them, per parameter into a view of the bucket (SGD, which reads them once).

A plan is only used while it still describes the group: the same parameters with the same arrays
(a user who reassigns `p.data` or loads a state dict causes a rebuild), the same parameters with
and without gradients, gradients of the parameter's shape and dtype. Otherwise the step runs per
parameter (still correct: the views are ordinary arrays) and the plan is rebuilt on the next step.
A parameter's array is only moved when nothing else refers to it (a NumPy array the user passed to
`from_numpy` keeps receiving the updates, as in PyTorch)."""
import sys

import numpy as np

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_HUGE = 2 * 1024 * 1024  # a transparent huge page


class Bucket:
    """Same-dtype parameters laid out in one flat array, with their state and scratch buffers."""
    __slots__ = ("params", "datas", "states", "memory", "flat", "grad", "gviews", "tviews", "state_flats",
                 "state_views", "steps", "tmp", "tmp2", "sizes")

    def __init__(self, params, states, keys, has_step):
        self.params = params
        dtype = params[0]._data.dtype
        sizes = [p._data.size for p in params]
        total = sum(sizes)
        self.sizes = sizes
        # One allocation for all of them, starting on a 2 MB boundary when it is large: from 4 MB
        # on NumPy asks Linux for transparent huge pages, which spares the update's passes over
        # arrays larger than the L2 cache most of their TLB misses (MLP 784-256-128-10, SGD with
        # momentum: opt.step() 7-13% faster). The rows the update uses come first, together.
        rows = 4 + len(keys)
        n = rows * total
        pad = _HUGE // dtype.itemsize if n * dtype.itemsize >= 2 * _HUGE else 0
        raw = self.memory = np.empty(n + pad, dtype)
        start = (-raw.ctypes.data % _HUGE) // dtype.itemsize if pad else 0
        block = raw[start:start + n].reshape(rows, total)
        self.flat, self.tmp = block[0], block[1]
        self.state_flats = {key: block[2 + i] for i, key in enumerate(keys)}
        self.grad, self.tmp2 = block[-2], block[-1]
        self.datas, self.gviews, self.tviews, self.states = [], [], [], []
        self.state_views = {key: [] for key in keys}
        # the per-parameter step counters (equal within a bucket) as 0-d views of one array: one
        # in-place add advances them all
        self.steps = np.empty(len(params), states[0]["step"]._data.dtype) if has_step else None
        offset = 0
        for p, st, n in zip(params, states, sizes):
            shape = p._data.shape
            view = self.flat[offset:offset + n].reshape(shape)
            view[...] = p._data
            p._data = view
            self.datas.append(view)
            self.gviews.append(self.grad[offset:offset + n].reshape(shape))
            self.tviews.append(self.tmp[offset:offset + n].reshape(shape))
            tensors = []
            for key in keys:
                t = st[key]
                sview = self.state_flats[key][offset:offset + n].reshape(shape)
                sview[...] = t._data
                t._data = sview
                tensors.append((key, t, sview))
                self.state_views[key].append(sview)
            if has_step:
                t = st["step"]
                sview = self.steps[len(self.states):len(self.states) + 1].reshape(())
                sview[...] = t._data
                t._data = sview
                tensors.append(("step", t, sview))  # checked with the others by Plan.gather
            self.states.append((st, tensors))
            offset += n


class Plan:
    """The flat buckets of one parameter group and the parameters updated one by one ('loose')."""
    __slots__ = ("group", "params", "state", "buckets", "loose", "with_grad")

    def gather(self, copy=True):
        """Copy every bucket parameter's gradient into its bucket (unless copy is False: the caller
        reads them from `p.grad`); False if the plan no longer fits."""
        params = self.group["params"]
        if len(params) != len(self.params):
            return False
        for p, q, had in zip(params, self.params, self.with_grad):
            if p is not q or (p._grad is not None) != had:
                return False
        for b in self.buckets:
            steps = b.steps
            if steps is not None:
                # one count for the bucket: a counter changed in place (fill_, copy_) to another
                # value makes the plan rebuild, which gives it a bucket of its own count
                raw = steps.tobytes()  # comparing bytes: 0.1 us, against 3.6 for min() and max()
                if raw != raw[:steps.itemsize] * steps.size:
                    return False
            for p, d, gv, (st, tensors) in zip(b.params, b.datas, b.gviews, b.states):
                g = p._grad._data
                if p._data is not d or g.shape != d.shape or g.dtype != d.dtype:
                    return False
                for key, t, sview in tensors:
                    if st.get(key) is not t or t._data is not sview:
                        return False
                if copy:
                    gv[...] = g
        return True


def _movable(arr, old_flats):
    """True if `arr` can be replaced by a view into a new buffer without anyone noticing."""
    if arr.dtype not in _FLOATS or not arr.flags.c_contiguous:
        return False
    if arr.base is not None and not any(arr.base is f for f in old_flats):
        return False
    # references: the caller's argument, getrefcount's argument, and the owner's attribute
    return sys.getrefcount(arr) <= 3


def plan_for(opt, group, keys, has_step, copy=True):
    """The group's valid plan with gradients gathered, or None (then the caller steps per parameter).

    keys: the state entries kept flat; has_step: the state has a per-parameter 'step' tensor, and
    only parameters with equal step counts share a bucket (one bias correction per bucket); copy:
    gather the gradients into `bucket.grad` (else only check that the plan still fits)."""
    cache = opt.__dict__.get("_flat_plans")
    if cache is None:
        cache = opt.__dict__["_flat_plans"] = {}
    key = id(group)
    plan = cache.get(key)
    if plan is not None:
        if plan.group is group and plan.state is opt.state and plan.gather(copy):
            return plan
        del cache[key]
    old_flats = [] if plan is None else [a for b in plan.buckets for a in (b.memory, b.steps) if a is not None]
    plan = None  # drop the old views so that the reference counts in _build are exact
    plan = _build(opt, group, keys, has_step, old_flats)
    if plan is None:
        return None
    cache[key] = plan
    return plan if plan.gather(copy) else None


def _build(opt, group, keys, has_step, old_flats):
    state = opt.state
    params = list(group["params"])
    groups = {}
    loose = []
    for p in params:
        st = state.get(p)
        if (p._grad is None or not st or any(k not in st for k in keys) or (has_step and "step" not in st)
                or p._base is not None or p._grad._data.shape != p._data.shape
                or p._grad._data.dtype != p._data.dtype or not _movable(p._data, old_flats)
                or not all(hasattr(st[k], "data") and st[k]._data.shape == p._data.shape
                           and st[k]._data.dtype == p._data.dtype and _movable(st[k]._data, old_flats)
                           for k in keys)
                or (has_step and not (hasattr(st["step"], "data") and st["step"]._data.shape == ()
                                      and _movable(st["step"]._data, old_flats)))):
            loose.append(p)
            continue
        step = st["step"]._data if has_step else None
        bucket_key = (p._data.dtype,) + ((float(step), step.dtype) if has_step else ())
        groups.setdefault(bucket_key, []).append(p)
    buckets = [Bucket(ps, [state[p] for p in ps], keys, has_step) for ps in groups.values()]
    if not buckets:
        return None
    plan = Plan()
    plan.group = group
    plan.params = params
    plan.state = state
    plan.buckets = buckets
    plan.loose = loose
    plan.with_grad = [p._grad is not None for p in params]
    return plan
