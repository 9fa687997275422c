#!/usr/bin/python3
"""Makes tests/data/puzzle2/: two-layer puzzle-layout models trained by PyTorch.

The puzzle series (github.com/andyrdt/puzzles) ships each model as a folder
with model.pt (torch.save of the state dict of its model.py) and config.json.
This script trains, with Debian's python3-torch on the CPU, one small
two-layer model per new task in that layout and keeps what the tests need:

  digits/   puzzle 1b (max-of-list-digits): learned positions
  unique/   count-unique (the May puzzle): no positional embedding

each holding
  model.pt               torch.save(model.state_dict()), as the puzzles' trainers write it
  config.json            {"model": .., "vocab": .., "training": .., "puzzle": ..} as they write it
  weights.safetensors    the same state dict as safetensors (config in the metadata)
  reference.safetensors  probe_tokens [8,T] I64, probe_logits [8,T,V] F32,
                         probe_patterns [8,L,H,T,T] F32 (attention, [query, key])
  eval.txt               held-out examples in headcount's text form (docs/TASKS.md)
  expected.json          PyTorch's accuracy on eval.txt (and its parts)

The model class is the series' model.py (04_2026 / 05_2026) restated: per-head
nn.Linear W_Q/W_K/W_V [E,D], one W_O Linear over the concatenated heads,
scores / sqrt(E), causal mask, no biases, no LayerNorm, no MLP.

Usage: /usr/bin/python3 tests/data/puzzle2/make_fixtures.py [OUT_DIR] [STEPS]
       (defaults: the folder of this script, 400 steps)
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self, d_model, d_head):
        super().__init__()
        self.d_head = d_head
        self.W_Q = nn.Linear(d_model, d_head, bias=False)
        self.W_K = nn.Linear(d_model, d_head, bias=False)
        self.W_V = nn.Linear(d_model, d_head, bias=False)

    def forward(self, x, mask):
        q, k, v = self.W_Q(x), self.W_K(x), self.W_V(x)
        scores = torch.einsum("bid,bjd->bij", q, k) / (self.d_head ** 0.5)
        attn = F.softmax(scores.masked_fill(mask == 0, float("-inf")), dim=-1)
        return torch.einsum("bij,bjd->bid", attn, v), attn


class Layer(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.heads = nn.ModuleList([Head(d_model, d_model // n_heads) for _ in range(n_heads)])
        self.W_O = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x, mask):
        outs, attns = zip(*(h(x, mask) for h in self.heads))
        return self.W_O(torch.cat(outs, dim=-1)), torch.stack(attns, dim=1)


class AttentionOnlyTransformer(nn.Module):
    def __init__(self, vocab_size, d_model, n_heads, max_seq_len, n_layers, pos_embed_type):
        super().__init__()
        self.cfg = {"vocab_size": vocab_size, "d_model": d_model, "n_heads": n_heads, "n_layers": n_layers,
                    "max_seq_len": max_seq_len, "pos_embed_type": pos_embed_type}
        self.tok_embed = nn.Embedding(vocab_size, d_model)
        self.pos_embed = nn.Embedding(max_seq_len, d_model) if pos_embed_type == "learned" else None
        self.layers = nn.ModuleList([Layer(d_model, n_heads) for _ in range(n_layers)])
        self.unembed = nn.Linear(d_model, vocab_size, bias=False)
        nn.init.normal_(self.tok_embed.weight, std=0.02)
        if self.pos_embed is not None:
            nn.init.normal_(self.pos_embed.weight, std=0.02)
        nn.init.normal_(self.unembed.weight, std=0.02)

    def forward(self, x):
        s = x.shape[1]
        h = self.tok_embed(x)
        if self.pos_embed is not None:
            h = h + self.pos_embed(torch.arange(s).unsqueeze(0))
        mask = torch.tril(torch.ones(s, s)).unsqueeze(0)
        attns = []
        for layer in self.layers:
            out, a = layer(h, mask)
            h = h + out
            attns.append(a)
        return self.unembed(h), attns


# ---- tasks (docs/TASKS.md) ----

def digits_sequences(rng, n, k=5):
    """Puzzle 1b: half uniform lists of 0..99, half stratified by their maximum."""
    lists = rng.integers(0, 100, size=(n, k))
    for i in range(n // 2):
        m = int(rng.integers(0, 100))
        row = rng.integers(0, m + 1, size=k)
        row[rng.integers(0, k)] = m
        lists[i] = row
    seqs = []
    for row in lists:
        s = [10]
        for j, v in enumerate(row):
            s += [int(v) // 10, int(v) % 10] + ([11] if j < k - 1 else [])
        m = int(row.max())
        seqs.append(s + [12, m // 10, m % 10, 13])
    return np.array(seqs, dtype=np.int64)


def digits_text(seq):
    names = [str(i) for i in range(10)] + ["BOS", "SEP", "ANS", "EOS"]
    return " ".join(names[t] for t in seq)


def unique_sequences(rng, n, V=10, N=10):
    """Count-unique: k uniform in 1..N; k distinct symbols, the rest filled from them, shuffled."""
    seqs = []
    for _ in range(n):
        k = int(rng.integers(1, min(N, V) + 1))
        syms = rng.choice(V, size=k, replace=False)
        body = np.concatenate([syms, rng.choice(syms, size=N - k)])
        rng.shuffle(body)
        seqs.append([V] + [int(t) for t in body] + [V + 1, V + 1 + len(set(body.tolist()))])
    return np.array(seqs, dtype=np.int64)


def unique_text(seq, V=10, N=10):
    names = [chr(ord("a") + i) for i in range(V)] + ["BOS", "ANS"] + [f"#{k}" for k in range(1, N + 1)]
    return " ".join(names[t] for t in seq)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        dtype = {np.float32: "F32", np.int64: "I64"}[a.dtype.type]
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def make(out, name, seqs_fn, text_fn, answer_pos, vocab_size, pos, vocab_dict, puzzle, steps, seed):
    out = Path(out) / name
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    probe = seqs_fn(rng, 8)
    test = seqs_fn(rng, 1000)
    T = test.shape[1] - 1
    model = AttentionOnlyTransformer(vocab_size, 32, 4, T, 2, pos)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for step in range(steps):
        batch = torch.tensor(seqs_fn(rng, 128))
        logits, _ = model(batch[:, :-1])
        loss = F.cross_entropy(logits[:, answer_pos].reshape(-1, vocab_size), batch[:, 1:][:, answer_pos].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 100 == 0:
            print(f"{name} step {step + 1} loss {loss.item():.4f}", flush=True)
    model.eval()
    sd = model.state_dict()
    torch.save(sd, out / "model.pt")
    meta = {k: str(v) for k, v in model.cfg.items()}
    write_safetensors(out / "weights.safetensors", sd, meta)
    config = {"model": model.cfg, "vocab": vocab_dict,
              "training": {"steps": steps, "seed": seed, "batch_size": 128, "lr": 1e-3, "torch": torch.__version__},
              "puzzle": puzzle}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    with torch.no_grad():
        logits, attns = model(torch.tensor(probe[:, :-1]))
        write_safetensors(out / "reference.safetensors",
                          {"probe_tokens": torch.tensor(probe[:, :-1]), "probe_logits": logits,
                           "probe_patterns": torch.stack(attns, dim=1)}, {"torch": torch.__version__})
        tl, _ = model(torch.tensor(test[:, :-1]))
    pred = tl.argmax(-1).numpy()
    target = test[:, 1:]
    answer = answer_pos[:-1] if name == "digits" else answer_pos  # 1b: the digits; EOS follows them
    right = (pred[:, answer] == target[:, answer]).all(axis=1)
    expected = {"accuracy": float(right.mean()), "correct": int(right.sum()), "n": len(test),
                "steps": steps, "seed": seed, "torch": torch.__version__}
    if name == "digits":
        for i, part in enumerate(["tens_digit", "ones_digit"]):
            ok = pred[:, answer_pos[i]] == target[:, answer_pos[i]]
            expected[part] = {"correct": int(ok.sum()), "n": len(test)}
    else:
        for k in range(1, 11):
            m = target[:, answer_pos[0]] == 11 + k
            expected[f"count_{k}"] = {"correct": int(right[m].sum()), "n": int(m.sum())}
    (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    (out / "eval.txt").write_text("".join(text_fn(s) + "\n" for s in test))
    print(name, json.dumps(expected))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent)
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    torch.set_num_threads(1)
    make(out, "digits", digits_sequences, digits_text, [15, 16, 17], 14, "learned",
         {"type": "digit", "num_range": 100}, "1b", steps, 1)
    make(out, "unique", unique_sequences, unique_text, [11], 22, "none",
         {"type": "unique_count", "num_symbols": 10, "seq_len": 10}, "may_2026_unique_count", steps, 2)


if __name__ == "__main__":
    main()
