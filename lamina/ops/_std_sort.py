"""GNU libstdc++'s std::sort, std::nth_element and std::partial_sort, replayed step by step,
for the places where PyTorch's CPU kernels let them decide between equal values.

topk puts (value, index) pairs through std::partial_sort when k * 64 <= n, otherwise through
std::nth_element followed by std::sort of the first k - 1; mode std::sorts the pairs by value.
None of these is stable, so among equal values the indices PyTorch returns follow from the exact
sequence of comparisons and swaps (introselect with median-of-three pivots, heap select,
introsort with a final insertion sort at 16), written here from the published algorithms.
kthvalue uses PyTorch's own quickselect instead, replayed likewise (kthvalue_row).
Callers use the replay only for the rows where ties decide the answer (elsewhere NumPy's stable
order is the same) and not past 200 000 elements in one call (the replay is Python)."""
import math

_THRESHOLD = 16  # introsort leaves runs this short to the final insertion sort


def _insertion_sort(a, first, last, less):
    for i in range(first + 1, last):
        if less(a[i], a[first]):
            val = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            _linear_insert(a, i, less)


def _linear_insert(a, i, less):
    val, j = a[i], i - 1
    while less(val, a[j]):
        a[j + 1] = a[j]
        j -= 1
    a[j + 1] = val


def _median_to_first(a, result, x, y, z, less):
    if less(a[x], a[y]):
        m = y if less(a[y], a[z]) else z if less(a[x], a[z]) else x
    else:
        m = x if less(a[x], a[z]) else z if less(a[y], a[z]) else y
    a[result], a[m] = a[m], a[result]


def _partition_pivot(a, first, last, less):
    _median_to_first(a, first, first + 1, first + (last - first) // 2, last - 1, less)
    lo, hi = first + 1, last
    while True:
        while less(a[lo], a[first]):
            lo += 1
        hi -= 1
        while less(a[first], a[hi]):
            hi -= 1
        if lo >= hi:
            return lo
        a[lo], a[hi] = a[hi], a[lo]
        lo += 1


def _adjust_heap(a, first, hole, length, value, less):
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole, parent = parent, (parent - 1) // 2
    a[first + hole] = value


def _pop_heap(a, first, last, result, less):
    value, a[result] = a[result], a[first]
    _adjust_heap(a, first, 0, last - first, value, less)


def _heap_select(a, first, middle, last, less):
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length > 1 else ():
        _adjust_heap(a, first, parent, length, a[first + parent], less)
    for i in range(middle, last):
        if less(a[i], a[first]):
            _pop_heap(a, first, middle, i, less)


def _partial_sort(a, first, middle, last, less):
    _heap_select(a, first, middle, last, less)
    while middle - first > 1:
        middle -= 1
        _pop_heap(a, first, middle, middle, less)


def _nth_element(a, first, nth, last, less):
    if first == last or nth == last:
        return
    depth = 2 * ((last - first).bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, less)


def _introsort(a, first, last, depth, less):
    while last - first > _THRESHOLD:
        if depth == 0:
            _partial_sort(a, first, last, last, less)
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, less)
        _introsort(a, cut, last, depth, less)
        last = cut


def _sort(a, first, last, less):
    if last - first < 2:
        return
    _introsort(a, first, last, 2 * ((last - first).bit_length() - 1), less)
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, less)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(a, i, less)
    else:
        _insertion_sort(a, first, last, less)


def _greater(x, y):  # NaN counts as the largest value
    return (math.isnan(x[0]) and not math.isnan(y[0])) or x[0] > y[0]


def _smaller(x, y):
    return (not math.isnan(x[0]) and math.isnan(y[0])) or x[0] < y[0]


def topk_row(values, k, largest, sorted_):
    """The indices PyTorch's topk returns for one row (a list of Python numbers)."""
    a = [(v, j) for j, v in enumerate(values)]
    n = len(a)
    less = _greater if largest else _smaller
    if k * 64 <= n:
        _partial_sort(a, 0, k, n, less)
    else:
        _nth_element(a, 0, k - 1, n, less)
        if sorted_:
            _sort(a, 0, k - 1, less)
    return [j for _, j in a[:k]]


def _value_less(x, y):
    return x[0] < y[0]


def mode_row(values):
    """(value, index) PyTorch's mode returns for one row: it std::sorts (value, index) pairs by
    value (unstable past 16 elements) and keeps the first run longer than every earlier one,
    reporting the index that ends up last in that run."""
    a = [(v, j) for j, v in enumerate(values)]
    _sort(a, 0, len(a), _value_less)
    best, best_n, run = a[0], 0, 0
    for i, item in enumerate(a):
        run += 1
        if i == len(a) - 1 or item[0] != a[i + 1][0]:
            if run > best_n:
                best, best_n = item, run
            run = 0
    return best


def _gt_or_nan(x, y):
    return (math.isnan(x) and not math.isnan(y)) or x > y


def kthvalue_row(values, k):
    """The index PyTorch's kthvalue returns for one row (k counts from 0). Not libstdc++ this
    time: PyTorch's own quickselect (Sedgewick's median-of-three partitioning, from TH), which
    swaps values and their indices together."""
    arr, idx = list(values), list(range(len(values)))

    def swap(a, b):
        arr[a], arr[b] = arr[b], arr[a]
        idx[a], idx[b] = idx[b], idx[a]
    lo, hi = 0, len(arr) - 1
    while hi > lo:
        if hi == lo + 1:
            if _gt_or_nan(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        swap((lo + hi) >> 1, lo + 1)
        if _gt_or_nan(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if _gt_or_nan(arr[lo], arr[hi]):
            swap(lo, hi)
        if _gt_or_nan(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while _gt_or_nan(piv, arr[i]):
                i += 1
            j -= 1
            while _gt_or_nan(arr[j], piv):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return idx[k]
