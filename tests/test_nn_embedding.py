"""Embedding, EmbeddingBag, one_hot, cosine_similarity and pairwise_distance against PyTorch:
values, weight gradients (padding rows, repeated indices, frequency scaling), max_norm's in-place
renormalisation, from_pretrained, bag modes and offsets, distances and their gradients, errors.
Runs with the compiled kernels (lamina/_accel) and with the NumPy paths (`kernel_path`)."""
import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module, copy_weights

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(3)
pytestmark = pytest.mark.usefixtures("kernel_path")


def _t(lib, arr):
    return lib.from_numpy(np.array(arr, copy=True))


IDX = [
    np.array([1, 2, 4, 4, 3, 0, 4]),              # 1-D with repeats
    np.array([[1, 2, 4], [4, 3, 0]]),             # 2-D
    np.array([4] * 12 + [1, 2, 0, 4, 1]),         # a run of 13 repeats (summed another way) beside short ones
    np.array([3, 1, 0, 2]),                       # no repeats
    np.array([[[0, 0], [2, 2]]], dtype=np.int32),  # int32, 3-D
    np.array(3),                                  # 0-d
    np.zeros((2, 0), dtype=np.int64),             # empty
]


# ---- F.embedding and nn.Embedding --------------------------------------------------------------
@pytest.mark.parametrize("idx", IDX, ids=lambda a: f"{a.dtype}{a.shape}")
@pytest.mark.parametrize("padding_idx", [None, 4, -1, 0])
@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_function(idx, padding_idx, scale, dtype):
    check(lambda lib, w, i: lib.nn.functional.embedding(i, w, padding_idx=padding_idx, scale_grad_by_freq=scale),
          [(5, 3), idx], dtype=dtype)


@pytest.mark.parametrize("padding_idx", [None, 0, 2, -1])
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_module(padding_idx, dtype):
    t, m = torch.nn.Embedding(6, 4, padding_idx=padding_idx), lnn.Embedding(6, 4, padding_idx=padding_idx)
    assert repr(m) == repr(t) and list(m.state_dict()) == ["weight"] and m.padding_idx == t.padding_idx
    check_module(t, m, [np.array([[0, 2, 5], [2, 2, 1]])], dtype=dtype)
    if padding_idx is not None:  # its row starts at zero and never gets a gradient
        assert not m.weight.detach().numpy()[padding_idx].any()
        assert not m.weight.grad.numpy()[m.padding_idx].any()


def test_embedding_init_is_standard_normal():
    w = lnn.Embedding(4000, 10, padding_idx=3).weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02 and w.dtype == np.float32
    assert not w[3].any()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_max_norm_renormalises_in_place(norm_type):
    t = torch.nn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type)
    m = lnn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type)
    assert repr(m) == repr(t)
    copy_weights(t, m)
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    before = m.weight.detach().numpy().copy()
    version = m.weight._version
    check_module(t, m, [idx], copy=False)
    after = m.weight.detach().numpy()
    np.testing.assert_allclose(after, t.weight.detach().numpy(), atol=1e-6)
    np.testing.assert_array_equal(after[[3, 4]], before[[3, 4]])  # rows not looked up stay
    assert (np.linalg.norm(after[[0, 1, 2, 5]], ord=norm_type, axis=1) <= 1.5 + 1e-5).all()
    assert m.weight._version > version


def test_from_pretrained():
    base = rng.standard_normal((5, 3)).astype(np.float32)
    for freeze in (True, False):
        t = torch.nn.Embedding.from_pretrained(_t(torch, base), freeze=freeze, padding_idx=1)
        pre = _t(lamina, base)
        m = lnn.Embedding.from_pretrained(pre, freeze=freeze, padding_idx=1)
        assert m.weight.requires_grad == t.weight.requires_grad == (not freeze)
        assert repr(m) == repr(t)
        np.testing.assert_array_equal(m.weight.detach().numpy(), base)  # no zeroing of the padding row
        assert np.shares_memory(m.weight._data, pre._data)
        idx = np.array([0, 1, 4, 1])
        out = m(_t(lamina, idx))
        np.testing.assert_array_equal(out.detach().numpy(), t(_t(torch, idx)).detach().numpy())
        assert out.requires_grad == (not freeze)
    b = lnn.EmbeddingBag.from_pretrained(_t(lamina, base), mode="sum")
    tb = torch.nn.EmbeddingBag.from_pretrained(_t(torch, base), mode="sum")
    assert not b.weight.requires_grad and repr(b) == repr(tb)
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        lnn.Embedding.from_pretrained(lamina.randn(4))


def test_embedding_sparse_flag_and_options_repr():
    kw = dict(max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)
    t, m = torch.nn.Embedding(5, 3, **kw), lnn.Embedding(5, 3, **kw)
    assert repr(m) == repr(t)
    m(lamina.tensor([1, 1, 2])).sum().backward()  # a dense gradient in lamina
    assert m.weight.grad.shape == (5, 3)


def test_embedding_errors():
    w = lamina.randn(5, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        LF.embedding(lamina.tensor([5]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        LF.embedding(lamina.tensor([-1]), w)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int; but got torch.FloatTensor instead"):
        LF.embedding(lamina.tensor([1.0]), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        LF.embedding(lamina.tensor([1]), w, padding_idx=5)
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        LF.embedding(lamina.tensor([1]), lamina.randn(5))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        lnn.Embedding(5, 3, padding_idx=-6)
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding_dim"):
        lnn.Embedding(5, 3, _weight=lamina.randn(4, 3))
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        lnn.EmbeddingBag(5, 3, padding_idx=5)


# ---- embedding_bag ----------------------------------------------------------------------------
FLAT = np.array([1, 2, 4, 4, 3, 0, 2, 1])
OFFSETS = [np.array([0, 3, 3, 6]), np.array([0]), np.array([0, 1, 2, 3, 4, 5, 6, 7]), np.array([0, 8])]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("offsets", OFFSETS, ids=lambda a: str(list(a)))
@pytest.mark.parametrize("padding_idx", [None, 4, -1])
@pytest.mark.parametrize("include_last", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_bag_offsets(mode, offsets, padding_idx, include_last, dtype):
    if include_last:
        offsets = np.append(offsets, FLAT.size)  # the usual CSR form: the last offset is the end
    check(lambda lib, w, i, o: lib.nn.functional.embedding_bag(i, w, o, mode=mode, padding_idx=padding_idx,
                                                               include_last_offset=include_last),
          [(5, 3), FLAT, offsets], dtype=dtype)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_2d_module(mode, padding_idx):
    t = torch.nn.EmbeddingBag(6, 4, mode=mode, padding_idx=padding_idx)
    m = lnn.EmbeddingBag(6, 4, mode=mode, padding_idx=padding_idx)
    assert repr(m) == repr(t) and list(m.state_dict()) == ["weight"]
    check_module(t, m, [np.array([[0, 2, 5], [2, 2, 1], [2, 2, 2]])])
    check_module(t, m, [FLAT, np.array([0, 2, 2, 5])])


def test_embedding_bag_max_ties_go_to_the_first():
    w = np.array([[1.0, 2.0], [1.0, 3.0], [0.0, 3.0], [5.0, 3.0]], dtype=np.float32)
    check(lambda lib, w, i, o: lib.nn.functional.embedding_bag(i, w, o, mode="max"),
          [w, np.array([0, 1, 2, 2, 1, 3]), np.array([0, 3])])


@pytest.mark.parametrize("padding_idx", [None, 3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_bag_per_sample_weights(padding_idx, dtype):
    check(lambda lib, w, p, i, o: lib.nn.functional.embedding_bag(i, w, o, mode="sum", per_sample_weights=p,
                                                                  padding_idx=padding_idx),
          [(5, 3), (8,), FLAT, np.array([0, 2, 2, 5])], dtype=dtype)
    check(lambda lib, w, p, i: lib.nn.functional.embedding_bag(i, w, mode="sum", per_sample_weights=p),
          [(5, 3), (2, 4), FLAT.reshape(2, 4)], dtype=dtype)


def test_embedding_bag_max_norm_and_scale_grad():
    t = torch.nn.EmbeddingBag(5, 3, max_norm=1.0, mode="sum")
    m = lnn.EmbeddingBag(5, 3, max_norm=1.0, mode="sum")
    check_module(t, m, [FLAT, np.array([0, 4])])
    np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-6)
    # Frequency scaling. PyTorch 2.13's CPU kernel divides each index's gradient by the count of the
    # previous index in sorted order (a bug); lamina divides by the index's own count. They agree
    # when every index occurs equally often, and lamina agrees with F.embedding's scaling always.
    check(lambda lib, w, i, o: lib.nn.functional.embedding_bag(i, w, o, mode="sum", scale_grad_by_freq=True),
          [(5, 3), np.array([1, 3, 1, 3, 0, 0]), np.array([0, 2, 3])])
    idx = np.array([1, 1, 1, 3, 2, 1])
    w1, w2 = lamina.randn(5, 3, requires_grad=True), lamina.randn(5, 3, requires_grad=True)
    LF.embedding_bag(_t(lamina, idx), w1, lamina.tensor([0, 2]), mode="sum", scale_grad_by_freq=True).sum().backward()
    LF.embedding(_t(lamina, idx), w2, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w1.grad.numpy(), w2.grad.numpy())
    assert w1.grad.numpy()[1, 0] == 1.0 and w1.grad.numpy()[3, 0] == 1.0


def test_embedding_bag_empty():
    # forward only: PyTorch 2.13 crashes (segfault) in the backward of an empty input
    check(lambda lib, w, i, o: lib.nn.functional.embedding_bag(i, w, o, mode="mean"),
          [(5, 3), np.array([], dtype=np.int64), np.array([0, 0])], grad=False)
    w = lamina.randn(5, 3, requires_grad=True)
    LF.embedding_bag(lamina.tensor([], dtype=lamina.int64), w, lamina.tensor([0, 0])).sum().backward()
    assert w.grad.shape == (5, 3) and not w.grad.numpy().any()
    check(lambda lib, w, i, o: lib.nn.functional.embedding_bag(i, w, o, mode="sum"),
          [(5, 3), FLAT, np.array([], dtype=np.int64)], grad=False)  # no bags (same crash)


def test_embedding_bag_errors():
    w = lamina.randn(5, 3)
    i = lamina.tensor([1, 2, 4, 4, 3, 0])
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0, i.e., the first sequence in the mini-batch "
                                           "has to start from position 0. However, got 1"):
        LF.embedding_bag(i, w, lamina.tensor([1, 3]))
    with pytest.raises(RuntimeError, match="offsets\\[-1\\] can not be greater than input's length 6 but got "
                                           "offsets\\[-1\\] of 7"):
        LF.embedding_bag(i, w, lamina.tensor([0, 3, 7]), include_last_offset=True)
    with pytest.raises(RuntimeError, match="Index 1 of input takes value 7 which is not in the valid range \\[0, 5\\)"):
        LF.embedding_bag(lamina.tensor([1, 7]), w, lamina.tensor([0]))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        LF.embedding_bag(i, w, lamina.tensor([0]), mode="foo")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum' "
                                                  "\\(got mode='mean'\\)"):
        LF.embedding_bag(i, w, lamina.tensor([0]), per_sample_weights=lamina.ones(6))
    with pytest.raises(ValueError, match="must have the same shape as the input"):
        LF.embedding_bag(i, w, lamina.tensor([0]), mode="sum", per_sample_weights=lamina.ones(5))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        LF.embedding_bag(i, w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        LF.embedding_bag(i.reshape(2, 3), w, lamina.tensor([0]))
    with pytest.raises(ValueError, match="max mode does not support scaling the gradient by the frequency"):
        LF.embedding_bag(i, w, lamina.tensor([0]), mode="max", scale_grad_by_freq=True)
    with pytest.raises(RuntimeError, match="padding_idx must be within the number of embeddings, -5 through 4, but "
                                           "got 5"):
        LF.embedding_bag(i, w, lamina.tensor([0]), padding_idx=5)
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types: Long, Int; but got "
                                           "torch.FloatTensor instead \\(while checking arguments for embedding_bag\\)"):
        LF.embedding_bag(i.float(), w, lamina.tensor([0]))


# ---- one_hot ----------------------------------------------------------------------------------
@pytest.mark.parametrize("x,n", [(np.array([0, 2, 1]), -1), (np.array([[0, 2], [1, 1]]), 5), (np.array(3), -1),
                                 (np.zeros(0, dtype=np.int64), 4), (np.array([0, 0]), -1)])
def test_one_hot(x, n):
    check(lambda lib, i: lib.nn.functional.one_hot(i, n), [x], grad=False)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        LF.one_hot(lamina.tensor([0, 2]), 2)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        LF.one_hot(lamina.tensor([0, -1]), 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor."):
        LF.one_hot(lamina.tensor([0, 1], dtype=lamina.int32))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor."):
        LF.one_hot(lamina.tensor([], dtype=lamina.int64))


# ---- cosine_similarity and pairwise_distance ----------------------------------------------------
@pytest.mark.parametrize("shapes,dim", [([(4, 5), (4, 5)], 1), ([(3, 4, 5), (4, 1)], -1), ([(3, 4, 5), (1, 4, 5)], 0),
                                        ([(6,), (6,)], 0), ([(2, 3, 4), (2, 3, 4)], 1)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity(shapes, dim, dtype):
    check(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=dim), shapes, dtype=dtype)


def test_cosine_similarity_zero_vector_and_module():
    a = np.zeros((3, 4), dtype=np.float32)
    a[1] = rng.standard_normal(4)
    check(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y, eps=1e-3), [a, (3, 4)])
    t, m = torch.nn.CosineSimilarity(dim=0, eps=1e-6), lnn.CosineSimilarity(dim=0, eps=1e-6)
    assert repr(m) == repr(t)
    check_module(t, m, [(5, 3), (5, 3)])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 1.5, 0.5, float("inf"), 0.0])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shapes", [[(4, 5), (4, 5)], [(4, 5), (5,)], [(5,), (5,)], [(2, 3, 5), (3, 1)]], ids=str)
def test_pairwise_distance(p, keepdim, shapes):
    check(lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=p, keepdim=keepdim), shapes)


def test_pairwise_distance_module_and_float64():
    t, m = torch.nn.PairwiseDistance(p=3.0, eps=1e-4, keepdim=True), lnn.PairwiseDistance(p=3.0, eps=1e-4,
                                                                                          keepdim=True)
    assert repr(m) == repr(t)
    check_module(t, m, [(4, 6), (4, 6)], dtype="float64")
    same = rng.standard_normal((3, 4)).astype(np.float32)  # x1 == x2: only eps separates them
    check(lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b), [same, same.copy()])


@pytest.mark.parametrize("make", ["CosineSimilarity", "PairwiseDistance"])
@pytest.mark.parametrize("shapes", [((2, 3), (3, 3)), ((2, 3), (2, 4))])
def test_distance_layers_refuse_shapes_that_do_not_broadcast_as_torch(make, shapes):
    messages = []
    for lib in (torch, lamina):
        with pytest.raises(RuntimeError) as info:
            getattr(lib.nn, make)()(lib.ones(*shapes[0]), lib.ones(*shapes[1]))
        messages.append(str(info.value))
    assert messages[1] == messages[0]
