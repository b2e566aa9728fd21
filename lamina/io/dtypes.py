"""Element types as checkpoint files name them, and how each becomes a lamina array.

PyTorch names a dtype by its storage class (`torch FloatStorage`) or by the dtype itself
(`torch float8_e4m3fn`, for dtypes newer than typed storages); safetensors by a short code
(`F32`). Types lamina has load as they are. bfloat16 and the float8 types widen exactly to
float32, uint16/uint32 widen exactly to int32/int64, uint64 narrows to int64 when every value
fits; each conversion is reported with a warning. Complex, quantized and packed sub-byte types
are refused."""
import numpy as np

from .errors import CheckpointError


class Kind:
    """One stored element type: its PyTorch name, size in bytes, the little-endian NumPy dtype
    to read the bytes as, and (for types lamina lacks) a function widening those to `target`."""
    __slots__ = ("name", "itemsize", "raw", "target", "convert", "refused")

    def __init__(self, name, itemsize, raw=None, target=None, convert=None, refused=None):
        self.name = name
        self.itemsize = itemsize
        self.raw = np.dtype(raw).newbyteorder("<") if raw is not None else None
        self.target = np.dtype(target) if target is not None else (np.dtype(raw) if raw is not None else None)
        self.convert = convert
        self.refused = refused

    def __repr__(self):
        return "torch." + self.name

    @property
    def is_floating_point(self):
        return self.target is not None and self.target.kind == "f"

    def check_supported(self):
        if self.refused:
            raise CheckpointError(f"tensors of dtype torch.{self.name} cannot be loaded: {self.refused}")


def _bfloat16(raw):
    # bfloat16 is the upper half of a float32: shifting the bits back is exact.
    return (raw.astype(np.uint32) << 16).view(np.float32)


def _float8_table(exp_bits, man_bits, bias, nan_rule):
    """The float32 value of each of the 256 codes of an 8-bit float format."""
    code = np.arange(256, dtype=np.int64)
    sign = np.where(code >> 7, -1.0, 1.0)
    exp = (code >> man_bits) & ((1 << exp_bits) - 1)
    man = code & ((1 << man_bits) - 1)
    frac = man / float(1 << man_bits)
    value = np.where(exp == 0, np.ldexp(frac, 1 - bias), np.ldexp(1.0 + frac, exp - bias)) * sign
    top = (1 << exp_bits) - 1
    if nan_rule == "ieee":  # e5m2: an all-ones exponent is inf (mantissa 0) or NaN
        value = np.where((exp == top) & (man == 0), sign * np.inf, value)
        value = np.where((exp == top) & (man != 0), np.nan, value)
    elif nan_rule == "fn":  # e4m3fn: no infinities, only the all-ones code is NaN
        value = np.where((exp == top) & (man == (1 << man_bits) - 1), np.nan, value)
    else:  # "fnuz": no infinities and no negative zero; the negative-zero code is NaN
        value = np.where(code == 0x80, np.nan, value)
    return value.astype(np.float32)


def _e8m0_table():
    code = np.arange(256, dtype=np.int64)
    value = np.ldexp(1.0, code - 127)
    return np.where(code == 255, np.nan, value).astype(np.float32)


_TABLES = {}


def _table_converter(name, build):
    def convert(raw):
        table = _TABLES.get(name)
        if table is None:
            table = _TABLES[name] = build()
        return table[raw]
    return convert


def _uint64(raw):
    if raw.size and raw.max() > np.iinfo(np.int64).max:
        raise CheckpointError("a uint64 tensor holds values above 2**63 - 1, which lamina's int64 cannot hold")
    return raw.astype(np.int64)


_NO_COMPLEX = "lamina has no complex dtypes"
_NO_QUANT = "lamina has no quantized tensors; dequantize in PyTorch before saving"
_NO_PACKED = "lamina has no packed sub-byte or bit dtypes"

KINDS = {k.name: k for k in [
    Kind("float64", 8, "f8"), Kind("float32", 4, "f4"), Kind("float16", 2, "f2"),
    Kind("int64", 8, "i8"), Kind("int32", 4, "i4"), Kind("int16", 2, "i2"), Kind("int8", 1, "i1"),
    Kind("uint8", 1, "u1"), Kind("bool", 1, "?"),
    Kind("bfloat16", 2, "u2", "f4", _bfloat16),
    Kind("float8_e5m2", 1, "u1", "f4", _table_converter("e5m2", lambda: _float8_table(5, 2, 15, "ieee"))),
    Kind("float8_e4m3fn", 1, "u1", "f4", _table_converter("e4m3fn", lambda: _float8_table(4, 3, 7, "fn"))),
    Kind("float8_e4m3fnuz", 1, "u1", "f4", _table_converter("e4m3fnuz", lambda: _float8_table(4, 3, 8, "fnuz"))),
    Kind("float8_e5m2fnuz", 1, "u1", "f4", _table_converter("e5m2fnuz", lambda: _float8_table(5, 2, 16, "fnuz"))),
    Kind("float8_e8m0fnu", 1, "u1", "f4", _table_converter("e8m0fnu", _e8m0_table)),
    Kind("uint16", 2, "u2", "i4", lambda raw: raw.astype(np.int32)),
    Kind("uint32", 4, "u4", "i8", lambda raw: raw.astype(np.int64)),
    Kind("uint64", 8, "u8", "i8", _uint64),
    Kind("complex64", 8, refused=_NO_COMPLEX), Kind("complex128", 16, refused=_NO_COMPLEX),
    Kind("complex32", 4, refused=_NO_COMPLEX),
    Kind("qint8", 1, refused=_NO_QUANT), Kind("quint8", 1, refused=_NO_QUANT),
    Kind("qint32", 4, refused=_NO_QUANT), Kind("quint4x2", 1, refused=_NO_QUANT),
    Kind("quint2x4", 1, refused=_NO_QUANT),
    Kind("float4_e2m1fn_x2", 1, refused=_NO_PACKED),
    Kind("bits8", 1, refused=_NO_PACKED), Kind("bits16", 2, refused=_NO_PACKED),
    Kind("bits1x8", 1, refused=_NO_PACKED), Kind("bits2x4", 1, refused=_NO_PACKED),
    Kind("bits4x2", 1, refused=_NO_PACKED),
] + [Kind(f"{p}int{n}", 1, refused=_NO_PACKED) for p in ("", "u") for n in range(1, 8)]}

# PyTorch's aliases, as `torch.<alias>` may appear in a pickle written by old code.
ALIASES = {"double": "float64", "float": "float32", "half": "float16", "long": "int64", "int": "int32",
           "short": "int16", "cfloat": "complex64", "cdouble": "complex128", "chalf": "complex32"}

STORAGE_CLASSES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
    "ByteStorage": "uint8", "BoolStorage": "bool", "BFloat16Storage": "bfloat16",
    "ComplexDoubleStorage": "complex128", "ComplexFloatStorage": "complex64",
    "QInt8Storage": "qint8", "QUInt8Storage": "quint8", "QInt32Storage": "qint32",
    "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
}
STORAGE_CLASS_OF = {v: k for k, v in STORAGE_CLASSES.items()}

SAFETENSORS_CODES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool",
    "U16": "uint16", "U32": "uint32", "U64": "uint64",
    "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2", "F8_E8M0": "float8_e8m0fnu",
    "C64": "complex64", "C128": "complex128",
}
SAFETENSORS_CODE_OF = {v: k for k, v in SAFETENSORS_CODES.items() if k in
                       ("F64", "F32", "F16", "I64", "I32", "I16", "I8", "U8", "BOOL")}


def kind_of_array(dtype):
    """The Kind for a NumPy dtype lamina saves (every lamina dtype has a PyTorch twin)."""
    from .._dtype import from_numpy_dtype
    return KINDS[from_numpy_dtype(dtype).name]


def conversion_warning(converted):
    """One message for every widening done in a load: {kind name: count of tensors}."""
    parts = []
    for name, count in sorted(converted.items()):
        target = KINDS[name].target
        parts.append(f"{count} tensor{'s' if count > 1 else ''} of dtype torch.{name} as {target.name}")
    return ("lamina has no " + " / ".join(sorted(converted)) + " dtype: loaded " + ", ".join(parts)
            + " (values are exact; saving them again writes the wider dtype)")
