"""torch.linalg: matrix functions and decompositions (the work is in lamina.ops.decompositions)."""
