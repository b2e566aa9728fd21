"""torch.backends for a CPU-only library: the accelerator backends report "not available", and
their flags (cudnn.deterministic, cudnn.benchmark, cuda.matmul.allow_tf32, ...) are plain
attributes a script may set and read back; they change nothing here."""
import types as _types


def _flags(name, doc, **attrs):
    module = _types.ModuleType(f"{__name__}.{name}", doc)
    module.__dict__.update(attrs)
    return module


def _false(*args, **kwargs):
    return False


def _none(*args, **kwargs):
    return None


cudnn = _flags("cudnn", "cuDNN is absent: is_available() is False; the flags are kept but unused.",
               enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
               benchmark_limit=10, is_available=_false, version=_none)
mps = _flags("mps", "Apple's Metal backend is absent.", is_available=_false, is_built=_false)
# Which scaled_dot_product_attention kernels may run (torch keeps these flags in torch._C and
# shows four of them under backends.cuda; nn.attention.sdpa_kernel sets them all). lamina has one
# kernel, which stands for the two PyTorch runs on a CPU, math and flash: with both off,
# F.scaled_dot_product_attention refuses as PyTorch does.
sdp_enabled = {"cudnn": True, "flash": True, "mem_efficient": True, "math": True, "overrideable": True}


def _sdp_switch(name):
    def enable(enabled):
        sdp_enabled[name] = bool(enabled)

    def is_enabled():
        return sdp_enabled[name]
    return enable, is_enabled


cuda = _flags("cuda", "CUDA is absent; its matmul and attention-kernel flags are kept (only the latter are read).",
              is_built=_false,
              matmul=_flags("cuda.matmul", "CUDA matmul flags.", allow_tf32=False,
                            allow_fp16_reduced_precision_reduction=True,
                            allow_bf16_reduced_precision_reduction=True))
for _name in ("flash", "mem_efficient", "math", "cudnn"):
    setattr(cuda, f"enable_{_name}_sdp", _sdp_switch(_name)[0])
    setattr(cuda, f"{_name}_sdp_enabled", _sdp_switch(_name)[1])
mkldnn = _flags("mkldnn", "oneDNN is absent.", enabled=True, deterministic=False, is_available=_false)
openmp = _flags("openmp", "NumPy's BLAS does the threading.", is_available=_false)
mkl = _flags("mkl", "Whatever BLAS NumPy links is used.", is_available=_false)
cpu = _flags("cpu", "The CPU backend.", get_cpu_capability=lambda: "DEFAULT")


def _fastpath_switch():
    """torch.backends.mha's switch for the fused inference path of MultiheadAttention and the
    Transformer encoder layers. lamina's fused path gives the normal path's values, so the switch
    only records the choice (scripts set it to compare the two paths)."""
    state = {"enabled": True}

    def get_fastpath_enabled():
        return state["enabled"]

    def set_fastpath_enabled(value):
        state["enabled"] = bool(value)
    return get_fastpath_enabled, set_fastpath_enabled


_get_fastpath, _set_fastpath = _fastpath_switch()
mha = _flags("mha", "Multi-head attention's fast-path switch.", get_fastpath_enabled=_get_fastpath,
             set_fastpath_enabled=_set_fastpath)
