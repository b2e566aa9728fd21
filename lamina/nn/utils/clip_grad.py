"""(to be written)"""


def clip_grad_norm_(*a, **k):
    raise NotImplementedError


clip_grad_value_ = get_total_norm = clip_grads_with_norm_ = clip_grad_norm_
