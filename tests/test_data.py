"""lamina.utils.data against torch.utils.data: the same datasets through both DataLoaders give
batches of the same structure, shapes, dtypes and values; samplers, random_split and errors
match torch's; worker processes give what the main process gives."""
import collections
import re
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import lamina
import lamina.utils.data as ldata

LIBS = {"torch": (torch, tdata), "lamina": (lamina, ldata)}
Point = collections.namedtuple("Point", ["x", "y"])


def assert_same_structure(t, l, where="batch"):
    """torch's batch and lamina's: same container types, keys, lengths; leaves equal tensors."""
    if isinstance(t, torch.Tensor):
        assert isinstance(l, lamina.Tensor), f"{where}: lamina gave {type(l).__name__}, torch a Tensor"
        assert tuple(l.shape) == tuple(t.shape), f"{where}: shape {tuple(l.shape)} != {tuple(t.shape)}"
        assert str(l.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{where}: {l.dtype} != {t.dtype}"
        np.testing.assert_array_equal(l.numpy(), t.numpy(), err_msg=where)
    elif isinstance(t, dict):
        assert type(l) is type(t) and list(l) == list(t), f"{where}: {type(l)} {list(l)} != {type(t)} {list(t)}"
        for k in t:
            assert_same_structure(t[k], l[k], f"{where}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert type(l) is type(t), f"{where}: lamina {type(l).__name__} != torch {type(t).__name__}"
        assert len(l) == len(t), f"{where}: length {len(l)} != {len(t)}"
        for i, (a, b) in enumerate(zip(t, l)):
            assert_same_structure(a, b, f"{where}[{i}]")
    else:
        assert type(l) is type(t) and l == t, f"{where}: {l!r} != {t!r}"


def both(make):
    """make(lib, data) -> object, for torch and lamina."""
    return make(*LIBS["torch"]), make(*LIBS["lamina"])


def same_error(make, exc=Exception):
    """Both libraries raise the same exception type with the same message."""
    errors = []
    for lib, data in LIBS.values():
        with pytest.raises(exc) as info:
            make(lib, data)
        errors.append(info.value)
    t, l = errors
    assert type(l) is type(t), f"lamina raised {type(l).__name__}, torch {type(t).__name__}: {t}"
    assert str(l) == str(t)


def tensor_dataset(lib, data, n=10, features=(3,), seed=0):
    rng = np.random.default_rng(seed)
    x = lib.from_numpy(rng.standard_normal((n,) + features).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, 5, n))
    return data.TensorDataset(x, y)


def batches(loader):
    return [b for b in loader]


# ---- batching ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 7, 10, 12])
@pytest.mark.parametrize("batch_size", [1, 3, 5, 16])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_equal_torch(n, batch_size, drop_last):
    t, l = both(lambda lib, data: data.DataLoader(tensor_dataset(lib, data, n), batch_size=batch_size,
                                                  drop_last=drop_last))
    assert len(l) == len(t)
    tb, lb = batches(t), batches(l)
    assert len(lb) == len(tb) == len(t)
    assert_same_structure(tb, lb)


@pytest.mark.parametrize("features", [(), (2, 3), (1, 4, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
def test_fast_path_shapes_and_dtypes(features, dtype):
    """The whole-batch gather gives torch's stacked shapes and dtypes for any sample shape."""
    arr = np.random.default_rng(1).standard_normal((9,) + features)
    arr = (arr > 0) if dtype == "bool" else arr.astype(dtype)

    def make(lib, data):
        return data.DataLoader(data.TensorDataset(lib.from_numpy(arr.copy())), batch_size=4)
    t, l = both(make)
    assert_same_structure(batches(t), batches(l))


def test_fast_path_equals_per_sample_path():
    """Default collation on a TensorDataset (gathered) equals per-sample stacking, shuffled too,
    through nested Subsets as well."""
    ds = tensor_dataset(lamina, ldata, 23, (2, 2))
    sub = ldata.Subset(ldata.Subset(ds, list(range(3, 23))), [5, 0, 19, 2, 2, 7, 11, 1])
    for dataset in (ds, sub):
        fast = ldata.DataLoader(dataset, batch_size=3, shuffle=True, generator=lamina.Generator().manual_seed(4))
        slow = ldata.DataLoader(dataset, batch_size=3, shuffle=True, generator=lamina.Generator().manual_seed(4),
                                collate_fn=lambda b: ldata.default_collate(b))
        f, s = batches(fast), batches(slow)
        assert len(f) == len(s)
        for (fx, fy), (sx, sy) in zip(f, s):
            np.testing.assert_array_equal(fx.numpy(), sx.numpy())
            np.testing.assert_array_equal(fy.numpy(), sy.numpy())
            assert fx.dtype == sx.dtype and fy.dtype == sy.dtype


def test_fast_path_batch_is_a_copy():
    ds = tensor_dataset(lamina, ldata, 6)
    xb, _ = next(iter(ldata.DataLoader(ds, batch_size=6)))
    xb._data[...] = 0
    assert np.any(ds.tensors[0].numpy() != 0), "writing to a batch changed the dataset"


def test_tensors_that_require_grad_are_stacked_with_history():
    x = lamina.randn(4, 2, requires_grad=True)
    (xb,) = next(iter(ldata.DataLoader(ldata.TensorDataset(x), batch_size=4)))
    assert xb.requires_grad
    xb.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((4, 2), np.float32))


def test_batch_size_none_converts_samples():
    def make(lib, data):
        samples = [(np.arange(3, dtype=np.float32) + i, i, 0.5 * i) for i in range(4)]
        return data.DataLoader(samples, batch_size=None)
    t, l = both(make)
    assert len(l) == len(t) == 4
    assert_same_structure(batches(t), batches(l))


def test_batch_sampler_and_sampler_arguments():
    def make(lib, data):
        ds = tensor_dataset(lib, data, 10)
        return (batches(data.DataLoader(ds, batch_sampler=[[0, 9], [3, 3, 4], [7]])),
                batches(data.DataLoader(ds, sampler=[9, 8, 1, 0, 4], batch_size=2)),
                batches(data.DataLoader(ds, sampler=data.SequentialSampler(range(6)), batch_size=4,
                                        drop_last=True)))
    t, l = both(make)
    assert_same_structure(t, l)


def test_plain_list_dataset_and_custom_collate():
    def make(lib, data):
        return batches(data.DataLoader(list(range(7)), batch_size=3, collate_fn=lambda b: [v * 2 for v in b]))
    t, l = both(make)
    assert l == t == [[0, 2, 4], [6, 8, 10], [12]]


# ---- collation --------------------------------------------------------------------------------------------

def nested_samples(lib, n=3):
    rng = np.random.default_rng(2)
    out = []
    for i in range(n):
        out.append({
            "image": lib.from_numpy(rng.standard_normal((2, 3)).astype(np.float32)),
            "array": rng.standard_normal(4),                       # float64 ndarray
            "int_array": np.arange(3, dtype=np.int16) + i,
            "label": i,                                            # int -> int64
            "weight": 0.25 * i,                                    # float -> float64 (torch's rule)
            "flag": i % 2 == 0,                                    # bool -> bool
            "np_scalar": np.float32(i) / 3,                        # NumPy scalar keeps its dtype
            "np_int": np.int32(i),
            "zero_d": np.array(i, dtype=np.uint8),
            "name": f"s{i}",                                       # strings stay a list
            "pair": (lib.tensor([i, i + 1]), [1.5, float(i)]),      # tuple -> list; list -> list
            "point": Point(np.float64(i), lib.zeros(2, dtype=lib.float64) + i),  # namedtuple kept
            "deep": [{"a": [i, i]}, ("x", b"y")],
        })
    return out


def test_default_collate_nested_structures():
    t, l = both(lambda lib, data: data.default_collate(nested_samples(lib)))
    assert_same_structure(t, l)
    assert l["weight"].dtype == lamina.float64 and l["label"].dtype == lamina.int64
    assert isinstance(l["point"], Point) and isinstance(l["pair"], list)


def test_nested_samples_through_the_loader():
    def make(lib, data):
        return batches(data.DataLoader(nested_samples(lib, 5), batch_size=2))
    t, l = both(make)
    assert_same_structure(t, l)


@pytest.mark.parametrize("values", [[1, 2], [1.0, 2.0], [True, False], [np.float16(1), np.float16(2)],
                                    [np.int64(3), np.int64(4)], [np.bool_(True), np.bool_(False)]])
def test_collate_numbers(values):
    t, l = both(lambda lib, data: data.default_collate(list(values)))
    assert_same_structure(t, l)


def test_default_convert_structures():
    sample = {"a": np.ones(2, np.float32), "b": (np.int64(3), "s"), "c": [np.zeros((1, 2))], "d": 1.5}
    t, l = both(lambda lib, data: data.default_convert(sample))
    assert_same_structure(t, l)


def test_collate_errors_as_torch():
    same_error(lambda lib, data: data.default_collate([object(), object()]), TypeError)
    same_error(lambda lib, data: data.default_collate([np.array(["a"]), np.array(["b"])]), TypeError)
    same_error(lambda lib, data: data.default_collate([[1, 2], [1, 2, 3]]), RuntimeError)
    same_error(lambda lib, data: data.default_collate([lib.zeros(2), lib.zeros(3)]), RuntimeError)


# ---- shuffling and samplers -----------------------------------------------------------------------------

@pytest.mark.parametrize("n,batch_size", [(10, 3), (64, 8), (1, 4)])
def test_shuffle_is_a_permutation_each_epoch(n, batch_size):
    lamina.manual_seed(3)
    loader = ldata.DataLoader(ldata.TensorDataset(lamina.arange(n)), batch_size=batch_size, shuffle=True)
    orders = []
    for _ in range(4):
        order = np.concatenate([b[0].numpy() for b in loader])
        assert sorted(order.tolist()) == list(range(n)), "an epoch did not visit every index exactly once"
        orders.append(order.tolist())
    if n > 5:
        assert len({tuple(o) for o in orders}) > 1, "every epoch had the same order"
        assert orders[0] != list(range(n))


def test_shuffle_reproducible_with_generator_and_manual_seed():
    def epoch(**kw):
        loader = ldata.DataLoader(ldata.TensorDataset(lamina.arange(50)), batch_size=7, shuffle=True, **kw)
        return np.concatenate([b[0].numpy() for b in loader]).tolist()
    assert epoch(generator=lamina.Generator().manual_seed(1)) == epoch(generator=lamina.Generator().manual_seed(1))
    assert epoch(generator=lamina.Generator().manual_seed(1)) != epoch(generator=lamina.Generator().manual_seed(2))
    lamina.manual_seed(5)
    a = epoch()
    lamina.manual_seed(5)
    assert epoch() == a


def test_sequential_and_batch_sampler_equal_torch():
    for n, bs, dl in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True)]:
        t, l = both(lambda lib, data: (list(data.SequentialSampler(range(n))),
                                       list(data.BatchSampler(data.SequentialSampler(range(n)), bs, dl)),
                                       len(data.BatchSampler(range(n), bs, dl))))
        assert l == t


@pytest.mark.parametrize("num_samples", [None, 3, 25])
def test_random_sampler_without_replacement(num_samples):
    s = ldata.RandomSampler(range(10), num_samples=num_samples, generator=lamina.Generator().manual_seed(0))
    idx = list(s)
    k = num_samples or 10
    assert len(idx) == len(s) == k
    assert all(type(i) is int for i in idx)
    counts = np.bincount(idx, minlength=10)
    assert counts.max() - counts.min() <= 1, "a permutation chain must use every index evenly"
    for start in range(0, k - k % 10, 10):
        assert sorted(idx[start:start + 10]) == list(range(10))


def test_random_sampler_with_replacement():
    idx = list(ldata.RandomSampler(range(5), replacement=True, num_samples=2000))
    assert len(idx) == 2000 and set(idx) == set(range(5))
    assert np.bincount(idx).min() > 300


def test_subset_random_sampler():
    indices = [3, 8, 1, 9]
    out = list(ldata.SubsetRandomSampler(indices))
    assert sorted(out) == sorted(indices) and len(ldata.SubsetRandomSampler(indices)) == 4


def test_weighted_random_sampler():
    g = lamina.Generator().manual_seed(0)
    idx = list(ldata.WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=g))
    counts = np.bincount(idx, minlength=3)
    assert counts[0] == 0
    assert 2.6 < counts[2] / counts[1] < 3.4
    unique = list(ldata.WeightedRandomSampler([1, 2, 3, 4, 5], 5, replacement=False))
    assert sorted(unique) == [0, 1, 2, 3, 4]
    s = ldata.WeightedRandomSampler([1.0, 2.0], 3)
    assert len(s) == 3 and s.weights.dtype == lamina.float64


def test_sampler_errors_as_torch():
    same_error(lambda lib, data: data.RandomSampler(range(3), replacement=1), TypeError)
    same_error(lambda lib, data: data.RandomSampler(range(3), num_samples=0), ValueError)
    same_error(lambda lib, data: data.RandomSampler([], ), ValueError)
    same_error(lambda lib, data: data.WeightedRandomSampler([1.0], 0), ValueError)
    same_error(lambda lib, data: data.WeightedRandomSampler([1.0], 2, replacement=None), ValueError)
    same_error(lambda lib, data: data.WeightedRandomSampler([[1.0, 2.0]], 2), ValueError)
    same_error(lambda lib, data: data.BatchSampler(range(3), 0, False), ValueError)
    same_error(lambda lib, data: data.BatchSampler(range(3), True, False), ValueError)
    same_error(lambda lib, data: data.BatchSampler(range(3), 2, "no"), ValueError)


# ---- datasets and random_split ------------------------------------------------------------------------

@pytest.mark.parametrize("n,lengths", [(10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]), (7, [0.2, 0.3, 0.5]),
                                       (100, [0.8, 0.1, 0.1]), (5, [5, 0]), (3, [0.1, 0.1, 0.8])])
def test_random_split_sizes_equal_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, l = both(lambda lib, data: data.random_split(list(range(n)), lengths,
                                                        generator=lib.Generator().manual_seed(0)))
    assert [len(s) for s in l] == [len(s) for s in t]
    assert all(isinstance(s, ldata.Subset) for s in l)
    items = [x for s in l for x in (s[i] for i in range(len(s)))]
    assert sorted(items) == list(range(n)), "the splits must partition the dataset"


def test_random_split_generator_and_warnings():
    parts = [ldata.random_split(range(20), [10, 10], generator=lamina.Generator().manual_seed(9))[0].indices
             for _ in range(2)]
    assert parts[0] == parts[1]
    lamina.manual_seed(0)
    a = ldata.random_split(range(20), [10, 10])[0].indices
    lamina.manual_seed(0)
    assert ldata.random_split(range(20), [10, 10])[0].indices == a
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        ldata.random_split(range(2), [1.0, 0.0])
    same_error(lambda lib, data: data.random_split(range(10), [3, 3]), ValueError)
    same_error(lambda lib, data: data.random_split(range(10), [1.2, -0.2]), ValueError)


def test_concat_subset_stack_datasets_equal_torch():
    def make(lib, data):
        a = tensor_dataset(lib, data, 4, seed=0)
        b = tensor_dataset(lib, data, 3, seed=1)
        cat = data.ConcatDataset([a, b])
        plus = a + b
        sub = data.Subset(cat, [6, 0, 4])
        stack = data.StackDataset(a, data.Subset(b, [0, 1, 2, 2]))
        named = data.StackDataset(x=a, y=list(range(4)))
        return ([cat[i] for i in range(-7, 7)], len(cat), cat.cumulative_sizes, len(plus), [sub[i] for i in range(3)],
                data.Subset(a, [3, 1, 2])[[0, 2]], batches(data.DataLoader(stack, batch_size=3)),
                batches(data.DataLoader(named, batch_size=2)),
                batches(data.DataLoader(sub, batch_size=2)))
    t, l = both(make)
    assert_same_structure(list(t), list(l))


def test_dataset_errors_as_torch():
    same_error(lambda lib, data: data.TensorDataset(lib.zeros(3), lib.zeros(4)), AssertionError)
    same_error(lambda lib, data: data.ConcatDataset([]), AssertionError)
    same_error(lambda lib, data: data.ConcatDataset([list(range(3))])[-4], ValueError)
    same_error(lambda lib, data: data.StackDataset([1], [1, 2]), ValueError)
    same_error(lambda lib, data: data.StackDataset(), ValueError)
    same_error(lambda lib, data: data.StackDataset([1], b=[2]), ValueError)
    same_error(lambda lib, data: data.Dataset()[0], NotImplementedError)

    class Bad(ldata.Subset):
        def __getitem__(self, i):
            return 0
    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Bad([1], [0])


class Countdown(ldata.IterableDataset):
    def __init__(self, n, lib=lamina):
        self.n, self.lib = n, lib

    def __iter__(self):
        info = ldata.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter([self.lib.tensor([float(i)]) for i in range(start, self.n, step)])

    def __len__(self):
        return self.n


class TorchCountdown(tdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter([torch.tensor([float(i)]) for i in range(self.n)])

    def __len__(self):
        return self.n


@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (5, False), (None, False)])
def test_iterable_dataset_equal_torch(batch_size, drop_last):
    t = tdata.DataLoader(TorchCountdown(7), batch_size=batch_size, drop_last=drop_last)
    l = ldata.DataLoader(Countdown(7), batch_size=batch_size, drop_last=drop_last)
    assert len(l) == len(t)
    assert_same_structure(batches(t), batches(l))
    chained = batches(ldata.DataLoader(Countdown(2) + Countdown(3), batch_size=10))
    np.testing.assert_array_equal(chained[0].numpy().ravel(), [0, 1, 0, 1, 2])


def test_iterable_dataset_longer_than_its_len_warns():
    class Liar(Countdown):
        def __len__(self):
            return 2
    loader = ldata.DataLoader(Liar(4), batch_size=1)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        batches(loader)


# ---- DataLoader argument errors (torch's wording) -----------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
    dict(shuffle=True, sampler=[0, 1]), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True), dict(batch_size=0),
    dict(multiprocessing_context="fork"), dict(num_workers=1, multiprocessing_context="nonsense"),
    dict(num_workers=1, multiprocessing_context=3), dict(num_workers=1, prefetch_factor=-1),
])
def test_dataloader_argument_errors_as_torch(kwargs):
    same_error(lambda lib, data: data.DataLoader(list(range(4)), **kwargs))


def test_iterable_dataset_argument_errors_as_torch():
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        errors = []
        for lib, data in LIBS.values():
            with pytest.raises(ValueError) as info:
                data.DataLoader((TorchCountdown if lib is torch else Countdown)(3), **kwargs)
            errors.append(re.sub(r"at 0x[0-9a-f]+|\[0\]", "", str(info.value)))
        assert errors[0] == errors[1]


def test_attributes_frozen_after_init():
    same_error(lambda lib, data: setattr(data.DataLoader([1, 2]), "batch_size", 3), ValueError)
    loader = ldata.DataLoader([1, 2])
    loader.num_workers = 0  # not frozen in torch either
    with pytest.raises(NotImplementedError, match="cannot be pickled"):
        import pickle
        pickle.dumps(iter(loader))


def test_len_and_attributes_equal_torch():
    def make(lib, data):
        ds = tensor_dataset(lib, data, 10)
        loaders = [data.DataLoader(ds), data.DataLoader(ds, batch_size=4),
                   data.DataLoader(ds, batch_size=4, drop_last=True),
                   data.DataLoader(ds, batch_size=None), data.DataLoader(ds, batch_size=3, shuffle=True)]
        return [(len(d), d.batch_size, d.drop_last, type(d.sampler).__name__, type(d.batch_sampler).__name__)
                for d in loaders]
    t, l = both(make)
    assert l == t


def test_too_many_workers_warn_like_torch():
    import os
    n = len(os.sched_getaffinity(0)) + 1
    with pytest.warns(UserWarning, match=f"will create {n} worker processes in total"):
        ldata.DataLoader([1, 2], num_workers=n)  # no process starts before iteration


def test_pin_memory_warns_like_torch_on_cpu():
    with pytest.warns(UserWarning, match="no accelerator is found"):
        iter(ldata.DataLoader([1, 2], pin_memory=True))


# ---- worker processes -----------------------------------------------------------------------------------

def _first_feature(worker_id):
    np.random.seed(1234 + worker_id)  # something a worker_init_fn might do; must not break anything


class Fails(ldata.Dataset):
    def __getitem__(self, i):
        if i == 5:
            raise ValueError("sample 5 is broken")
        return lamina.tensor(float(i))

    def __len__(self):
        return 8


class WhoAmI(ldata.Dataset):
    def __getitem__(self, i):
        info = ldata.get_worker_info()
        return (info.id, info.num_workers, info.seed, float(np.random.random()))

    def __len__(self):
        return 8


def test_workers_give_the_main_process_batches():
    ds = tensor_dataset(lamina, ldata, 37, (3,))
    main = batches(ldata.DataLoader(ds, batch_size=4, shuffle=True, generator=lamina.Generator().manual_seed(1)))
    for kw in (dict(num_workers=2), dict(num_workers=2, prefetch_factor=1, worker_init_fn=_first_feature)):
        work = batches(ldata.DataLoader(ds, batch_size=4, shuffle=True, generator=lamina.Generator().manual_seed(1),
                                        **kw))
        assert len(work) == len(main)
        for (a, b), (c, d) in zip(main, work):
            np.testing.assert_array_equal(a.numpy(), c.numpy())
            np.testing.assert_array_equal(b.numpy(), d.numpy())
    assert ldata.get_worker_info() is None


def test_worker_info_and_seeds():
    out = batches(ldata.DataLoader(WhoAmI(), batch_size=2, num_workers=2))
    ids = [int(b[0][0]) for b in out]
    assert ids == [0, 1, 0, 1], "batches are handed out round robin"
    assert all(int(b[1][0]) == 2 for b in out)
    seeds = {int(b[0][0]): int(b[2][0]) for b in out}
    assert seeds[1] == seeds[0] + 1, "worker seeds are base_seed + worker_id"
    randoms = [float(x) for b in out for x in b[3]]
    assert len(set(randoms)) == len(randoms), "workers must not share NumPy's random stream"


def test_worker_exception_is_reraised_with_its_origin():
    loader = ldata.DataLoader(Fails(), batch_size=2, num_workers=2)
    pattern = r"Caught ValueError in DataLoader worker process 0\.(.|\n)*sample 5 is broken"
    with pytest.raises(ValueError, match=pattern):
        batches(loader)


def test_iterable_dataset_sharded_across_workers():
    out = batches(ldata.DataLoader(Countdown(9), batch_size=2, num_workers=2))
    values = sorted(float(v) for b in out for v in b.numpy().ravel())
    assert values == [float(i) for i in range(9)], "each sample exactly once when the dataset shards itself"


def test_persistent_workers_and_out_of_order():
    ds = tensor_dataset(lamina, ldata, 20)
    loader = ldata.DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True)
    first = batches(loader)
    it = iter(loader)
    next(it)  # an epoch abandoned half way ...
    second = batches(loader)  # ... does not leak into the next one
    assert loader._iterator is not None and iter(loader) is loader._iterator
    for (a, _), (b, _) in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert len(second) == 7
    loose = batches(ldata.DataLoader(ds, batch_size=3, num_workers=2, in_order=False))
    got = sorted(np.concatenate([b[1].numpy() for b in loose]).tolist())
    assert got == sorted(ds.tensors[1].numpy().tolist())
    loader._iterator._shutdown()


def test_spawned_workers():
    """The "spawn" start method pickles the dataset into fresh interpreters: same batches."""
    ds = ldata.TensorDataset(lamina.arange(20).float(), lamina.arange(20))
    out = batches(ldata.DataLoader(ds, batch_size=6, num_workers=2, multiprocessing_context="spawn"))
    assert [b[1].tolist() for b in out] == [list(range(i, min(i + 6, 20))) for i in range(0, 20, 6)]
    assert out[0][0].dtype == lamina.float32


class Dies(ldata.Dataset):
    def __getitem__(self, i):
        import os
        os._exit(3)

    def __len__(self):
        return 4


class Slow(ldata.Dataset):
    def __getitem__(self, i):
        import time
        time.sleep(1.5)
        return i

    def __len__(self):
        return 2


def test_dead_worker_and_timeout_raise_torchs_errors():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+(, \d+)*\) exited unexpectedly"):
        batches(ldata.DataLoader(Dies(), batch_size=2, num_workers=1))
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.3 seconds"):
        batches(ldata.DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.3))
