#!/usr/bin/python3
"""PyTorch 1.13 eager baseline for bench_train's two-layer recipe shapes.

The puzzles' own model family (attention-only, per-head W_Q/W_K/W_V, one W_O
per layer, no LayerNorm, no MLP, no biases), trained with AdamW (lr 1e-3,
weight decay 0.01) at batch 512 on a synthetic batch of the recipe's shape, as
bench/bench_train.cpp does. Prints steps/s (median of the timed blocks).

    /usr/bin/python3 bench/torch_two_layer.py [--threads 2] [--steps 30] [--blocks 3]
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (layers, D, H, E, V, T, learned positions, loss positions)
SHAPES = {
    "count-unique (L2 D32 H4 E8, no positions, V22 T12, loss at 1 position)": (2, 32, 4, 8, 22, 12, False, [11]),
    "puzzle 1b (L2 D64 H4 E16, learned positions, V14 T18, loss at 3 positions)": (2, 64, 4, 16, 14, 18, True, [15, 16, 17]),
}


class Head(nn.Module):
    def __init__(self, D, E):
        super().__init__()
        self.W_Q = nn.Linear(D, E, bias=False)
        self.W_K = nn.Linear(D, E, bias=False)
        self.W_V = nn.Linear(D, E, bias=False)
        self.scale = E ** -0.5

    def forward(self, x, mask):
        q, k, v = self.W_Q(x), self.W_K(x), self.W_V(x)
        s = (q @ k.transpose(-1, -2)) * self.scale
        s = s.masked_fill(mask, float("-inf"))
        return F.softmax(s, dim=-1) @ v


class Layer(nn.Module):
    def __init__(self, D, H, E):
        super().__init__()
        self.heads = nn.ModuleList(Head(D, E) for _ in range(H))
        self.W_O = nn.Linear(H * E, D, bias=False)

    def forward(self, x, mask):
        return x + self.W_O(torch.cat([h(x, mask) for h in self.heads], dim=-1))


class Model(nn.Module):
    def __init__(self, L, D, H, E, V, T, pos):
        super().__init__()
        self.tok_embed = nn.Embedding(V, D)
        self.pos_embed = nn.Embedding(T, D) if pos else None
        self.layers = nn.ModuleList(Layer(D, H, E) for _ in range(L))
        self.unembed = nn.Linear(D, V, bias=False)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1))

    def forward(self, tokens):
        x = self.tok_embed(tokens)
        if self.pos_embed is not None:
            x = x + self.pos_embed.weight[: tokens.shape[1]]
        for layer in self.layers:
            x = layer(x, self.mask)
        return self.unembed(x)


def run(shape, steps, blocks, batch):
    L, D, H, E, V, T, pos, loss_pos = shape
    torch.manual_seed(0)
    model = Model(L, D, H, E, V, T, pos)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(1)

    def step():
        tokens = torch.randint(0, V, (batch, T), generator=g)
        targets = torch.randint(0, V, (batch, len(loss_pos)), generator=g)
        logits = model(tokens)[:, loss_pos, :]
        loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):  # warm-up
        step()
    rates = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps / (time.perf_counter() - t0))
    return statistics.median(rates)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--batch", type=int, default=512)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} threads, batch {a.batch}")
    for name, shape in SHAPES.items():
        print(f"{name}: {run(shape, a.steps, a.blocks, a.batch):.1f} steps/s")


if __name__ == "__main__":
    main()
