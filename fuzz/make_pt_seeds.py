#!/usr/bin/python3
"""Writes fuzz/corpus/torch_pt/: real torch.save files (Debian's python3-torch),
tiny on purpose (see make_seeds.py), plus the small malicious and broken files
of tests/data/pt/ so the fuzzer starts from every refusal path too."""
import collections
import shutil
from pathlib import Path

import torch

here = Path(__file__).resolve().parent
out = here / "corpus" / "torch_pt"
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)

V, D, H, E, T = 14, 4, 2, 2, 12
puzzle = collections.OrderedDict()
puzzle["tok_embed.weight"] = torch.randn(V, D)
puzzle["pos_embed.weight"] = torch.randn(T, D)
for h in range(H):
    for m in ("W_Q", "W_K", "W_V"):
        puzzle[f"layers.0.heads.{h}.{m}.weight"] = torch.randn(E, D)
puzzle["layers.0.W_O.weight"] = torch.randn(D, H * E)
puzzle["unembed.weight"] = torch.randn(V, D)
torch.save(puzzle, out / "puzzle_tiny")
torch.save(puzzle, out / "puzzle_tiny_p4", pickle_protocol=4)

tl = collections.OrderedDict()
tl["embed.W_E"] = torch.randn(V, D)
tl["pos_embed.W_pos"] = torch.randn(T, D)
tl["blocks.0.attn.W_Q"] = torch.randn(H, D, E)
tl["blocks.0.attn.W_K"] = torch.randn(H, D, E)
tl["blocks.0.attn.W_V"] = torch.randn(H, D, E)
tl["blocks.0.attn.W_O"] = torch.randn(H, E, D)
tl["blocks.0.attn.b_Q"] = torch.zeros(H, E)
tl["blocks.0.attn.mask"] = torch.tril(torch.ones(T, T)).bool()
tl["blocks.0.attn.IGNORE"] = torch.tensor(-1e5)
tl["unembed.W_U"] = torch.randn(D, V)
torch.save(tl, out / "tl_tiny")

views = collections.OrderedDict()
base = torch.randn(40)
views["a"] = base[3:3 + 12].view(3, 4)          # offset into a shared storage
views["b"] = base[:12].view(4, 3).t()           # transposed view, same storage
views["c"] = torch.randn(2, 3).double()         # float64
torch.save(views, out / "views_f64")

for name in ("os_system.pt", "os_system_stack.pt", "builtins_eval.pt", "offset_past_end.pt", "half_dtype.pt",
             "zip_bomb.pt", "truncated.pt"):
    shutil.copy(here.parent / "tests" / "data" / "pt" / name, out / name.replace(".pt", ""))
for p in sorted(out.iterdir()):
    print(p.name, p.stat().st_size)
