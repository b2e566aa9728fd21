"""torch.special: special functions under their torch.special names (the work is in lamina.ops.special)."""
