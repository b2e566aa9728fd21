"""Nested containers of tensors ("pytrees") for lamina.func's transforms: flatten a structure of
tuples, lists, dicts and namedtuples into its leaves and a TreeSpec, rebuild it, and spread a
prefix (vmap's in_dims/out_dims) over the leaves it covers.

What counts as a container follows torch.utils._pytree: tuple, list, dict, OrderedDict,
defaultdict and namedtuples (exact types); everything else, None included, is a leaf. A
TreeSpec prints as PyTorch's does, because vmap's and jvp's error messages show it."""
from collections import OrderedDict, defaultdict

__all__ = ["TreeSpec", "LEAF", "tree_flatten", "tree_unflatten", "tree_leaves", "broadcast_prefix",
           "pretty"]


class TreeSpec:
    """The shape of a container: its type, context (dict keys, a namedtuple's class) and the
    specs of its children."""
    __slots__ = ("type", "context", "children", "num_leaves")

    def __init__(self, type_, context, children):
        self.type = type_
        self.context = context
        self.children = children
        self.num_leaves = sum(c.num_leaves for c in children)

    def is_leaf(self):
        return False

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and not other.is_leaf() and self.type is other.type
                and self.context == other.context and self.children == other.children)

    def __hash__(self):
        return hash((self.type, len(self.children)))

    def __repr__(self, indent=0):
        name = "namedtuple" if _is_namedtuple_type(self.type) else self.type.__name__
        indent += 2
        inner = (",\n" + " " * indent).join(c.__repr__(indent) for c in self.children)
        return f"TreeSpec({name}, {self._context_repr()}, [{inner}])"

    def _context_repr(self):
        if self.type is defaultdict:
            factory, keys = self.context
            return f"[{factory!r}, {keys!r}]"
        return repr(self.context)


class _LeafSpec(TreeSpec):
    """One leaf; printed "*" as PyTorch does."""
    __slots__ = ()

    def __init__(self):
        super().__init__(None, None, [])
        self.num_leaves = 1

    def is_leaf(self):
        return True

    def __eq__(self, other):
        return isinstance(other, _LeafSpec)

    def __hash__(self):
        return 1

    def __repr__(self, indent=0):
        return "*"


LEAF = _LeafSpec()


def _is_namedtuple_type(cls):
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def _children(tree):
    """(children, context) when `tree` is a container, else None."""
    cls = type(tree)
    if cls is tuple or cls is list:
        return list(tree), None
    if cls is dict or cls is OrderedDict:
        return list(tree.values()), list(tree.keys())
    if cls is defaultdict:
        return list(tree.values()), [tree.default_factory, list(tree.keys())]
    if _is_namedtuple_type(cls):
        return list(tree), cls
    return None


def _rebuild(cls, context, children):
    if cls is tuple or cls is list:
        return cls(children)
    if cls is dict or cls is OrderedDict:
        return cls(zip(context, children))
    if cls is defaultdict:
        factory, keys = context
        return defaultdict(factory, zip(keys, children))
    return cls(*children)  # a namedtuple


def tree_flatten(tree):
    """(the leaves in order, the TreeSpec to rebuild `tree` from them)."""
    leaves = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree, leaves):
    found = _children(tree)
    if found is None:
        leaves.append(tree)
        return LEAF
    children, context = found
    return TreeSpec(type(tree), context, [_flatten_into(c, leaves) for c in children])


def tree_leaves(tree):
    return tree_flatten(tree)[0]


def tree_unflatten(leaves, spec):
    """The structure `spec` describes, filled with `leaves` in order."""
    it = iter(leaves)
    return _fill(spec, it)


def _fill(spec, it):
    if spec.is_leaf():
        return next(it)
    return _rebuild(spec.type, spec.context, [_fill(c, it) for c in spec.children])


def broadcast_prefix(prefix, spec):
    """One entry per leaf of `spec`: a leaf of `prefix` (an int, None, ...) applies to the whole
    subtree at its place; containers must match in type and keys. None when they do not."""
    out = []
    return out if _spread(prefix, spec, out) else None


def _spread(prefix, spec, out):
    found = _children(prefix)
    if found is None:
        out.extend([prefix] * spec.num_leaves)
        return True
    children, context = found
    if spec.is_leaf() or type(prefix) is not spec.type or len(children) != len(spec.children):
        return False
    if spec.type in (dict, OrderedDict, defaultdict):
        keys = spec.context[1] if spec.type is defaultdict else spec.context
        by_key = dict(zip(prefix.keys(), children))
        if set(by_key) != set(keys):
            return False
        children = [by_key[k] for k in keys]  # in the full tree's order, as its leaves are
    return all(_spread(p, s, out) for p, s in zip(children, spec.children))


class _Star:
    def __repr__(self):
        return "*"


def pretty(spec):
    """The structure written as a value with "*" for each leaf: (*, {'k': *}), as PyTorch's
    treespec_pprint."""
    return repr(tree_unflatten([_Star()] * spec.num_leaves, spec))
