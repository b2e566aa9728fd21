"""lamina.onnx: export a model to ONNX (`lamina.onnx.export`), checked by onnx and onnxruntime.

The `onnx` package is needed only when exporting (pip install 'lamina[onnx]'); importing
lamina.onnx does not load it."""
from .export import export
from .registry import UnsupportedOperatorError

__all__ = ["export", "UnsupportedOperatorError"]
