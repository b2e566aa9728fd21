import math
import torch
a = np.array([1.0, 2.0, 3.0])
t = torch.from_numpy(a)
a[0] = 10.0
emit("shares", (t, t.dtype))
t.mul_(2)
emit("back", a.tolist())
n = t.numpy()
n[1] = -1
emit("numpy_shares", t)
c = torch.tensor(a)
a[2] = 0
emit("tensor_copies", c)
at = torch.as_tensor(a, dtype=torch.float32)
emit("as_tensor", (at, at.dtype))
x = torch.tensor([[1.5, -2.5], [3.0, 4.25]])
emit("builtins", (float(x[0, 0]), int(x[1, 1]), bool(x[0, 0]), len(x), abs(x[0, 1]).item(), round(x[0, 0].item()),
                  math.sqrt(x[1, 0]), max(x[0]).item(), sum(x[1]).item()))
emit("iter", [row.tolist() for row in x])
emit("unpack", [v.item() for v in x[0]])
emit("contains", (1.5 in x, 7 in x))
emit("index_with_tensor", ([10, 20, 30][torch.tensor(1)], list(range(torch.tensor(3)))))
emit("np_array", (np.array(x).dtype.name, np.asarray(x).shape, np.mean(x.numpy())))
emit("scalar_math", (1 - x, 2 ** x[0], x ** 0.5, -x, +x, x % 2, -x // 2, 3 / x[0]))
i = torch.tensor([-7, 7, 5])
emit("int_math", (i // 2, i % 3, i / 2, i * 1.5, i ** 2, torch.fmod(i, 3), torch.remainder(i, 3), i >> 1, i & 3, ~i))
emit("promotion", ((i + 1.5).dtype, (i.float() + torch.tensor(2.0, dtype=torch.float64)).dtype,
                   (torch.tensor([1], dtype=torch.uint8) + torch.tensor([1], dtype=torch.int8)).dtype,
                   (torch.ones(1, dtype=torch.float16) + torch.ones(1)).dtype, (torch.tensor(True) + torch.tensor(True)).dtype,
                   (torch.ones(2, dtype=torch.int32) * torch.tensor(2)).dtype, torch.result_type(i, 1.0),
                   torch.promote_types(torch.int32, torch.float16), (i > 0).sum().dtype, torch.tensor([1, 2]).mean(dtype=torch.float32).dtype))
emit("bool_arith", (torch.tensor([True, False]) * 2, torch.tensor([True, False]).sum(), torch.tensor([True]) & torch.tensor([False])))
emit("inplace_view", (lambda m: (m[:, 0].add_(1), m.view(-1)[3].fill_(9), m)[2])(torch.zeros(2, 2)))
v = torch.zeros(3, 4)
col = v[:, 1]
col += 5
row = v.narrow(0, 2, 1)
row.mul_(0).add_(2)
emit("views", (v, col.is_contiguous(), v.t().is_contiguous(), v.storage_offset(), col.storage_offset(), col.stride(), v.t().stride()))
emit("data_ptr_same", v.view(12).data_ptr() == v.data_ptr())
emit("clone_detach", (v.clone().data_ptr() != v.data_ptr()))
emit("t_", torch.ones(2, 3).t_().shape)
emit("float_fmt", (f"{x[0, 0]:.2f}", f"{x.sum().item():.3e}", "%.1f" % x[1, 1], str(x[0, 0].item())))
emit("list_of_tensors", torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]))
emit("np_scalar", (torch.tensor(np.float32(2.5)).dtype, torch.tensor([np.int32(1)]).dtype, torch.tensor(np.array(3)).dtype))
emit("mixed_list", (torch.tensor([1, 2.5]).dtype, torch.tensor([True, 2]).dtype, torch.tensor([[1], [2]]).dtype))
emit("from_list_f64", torch.tensor([0.1], dtype=torch.float64).item())
emit("sorted", sorted(torch.tensor([3, 1, 2]).tolist()))
emit("hashable", len({torch.tensor(1), torch.tensor(1)}))
emit("eq_ops", (x == x.clone(), torch.tensor([1, 2]) != torch.tensor([1, 3])))
emit("sum_axis", (x.sum(axis=0), x.mean(axis=1, keepdims=True), torch.cat([x, x], axis=1).shape, x.numpy().sum(axis=1)))
emit("sizes", (x.shape == (2, 2), x.size() == torch.Size([2, 2]), x.shape[-1], tuple(x.shape), x.shape + (1,)))
emit("numel_size", (x.nelement(), x.element_size(), x.itemsize, x.nbytes))
