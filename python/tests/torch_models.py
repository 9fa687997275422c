"""PyTorch modules of the two weight layouts, written from their definitions
(TransformerLens's attention-only model; the puzzle series' model.py), so
that a state dict from headcount is loaded by load_state_dict(strict=True)
and run by PyTorch's own forward."""
import math

import torch
from torch import nn


class _Holder(nn.Module):
    pass


class TLAttnOnly(nn.Module):
    """TransformerLens names and shapes: embed.W_E [V,D], pos_embed.W_pos [T,D], blocks.l.attn.W_Q/W_K/W_V
    [H,D,E], W_O [H,E,D], b_Q/b_K/b_V [H,E], b_O [D], unembed.W_U [D,V], b_U [V]."""

    def __init__(self, cfg):
        super().__init__()
        L, D, H, E, V, T = (cfg[k] for k in ("n_layers", "d_model", "n_heads", "d_head", "d_vocab", "n_ctx"))
        self.cfg = cfg
        self.embed = _Holder()
        self.embed.W_E = nn.Parameter(torch.zeros(V, D))
        if cfg["pos_embed"]:
            self.pos_embed = _Holder()
            self.pos_embed.W_pos = nn.Parameter(torch.zeros(T, D))
        self.blocks = nn.ModuleList()
        for _ in range(L):
            b = _Holder()
            b.attn = _Holder()
            for n in ("W_Q", "W_K", "W_V"):
                setattr(b.attn, n, nn.Parameter(torch.zeros(H, D, E)))
            b.attn.W_O = nn.Parameter(torch.zeros(H, E, D))
            if cfg["biases"]:
                for n in ("b_Q", "b_K", "b_V"):
                    setattr(b.attn, n, nn.Parameter(torch.zeros(H, E)))
                b.attn.b_O = nn.Parameter(torch.zeros(D))
            self.blocks.append(b)
        self.unembed = _Holder()
        self.unembed.W_U = nn.Parameter(torch.zeros(D, V))
        if cfg["biases"]:
            self.unembed.b_U = nn.Parameter(torch.zeros(V))

    def forward(self, tokens):
        """(logits [B,T,V], {hook name: tensor}) for tokens [B,T]."""
        cache = {}
        B, T = tokens.shape
        x = self.embed.W_E[tokens]
        if self.cfg["pos_embed"]:
            x = x + self.pos_embed.W_pos[:T][None]
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        for l, b in enumerate(self.blocks):
            a = b.attn
            q = torch.einsum("btd,hde->bthe", x, a.W_Q)
            k = torch.einsum("btd,hde->bthe", x, a.W_K)
            v = torch.einsum("btd,hde->bthe", x, a.W_V)
            if self.cfg["biases"]:
                q, k, v = q + a.b_Q, k + a.b_K, v + a.b_V
            scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(q.shape[-1])
            scores = scores.masked_fill(mask, float("-inf"))
            pattern = scores.softmax(-1)
            z = torch.einsum("bhqk,bkhe->bqhe", pattern, v)
            out = torch.einsum("bqhe,hed->bqd", z, a.W_O)
            if self.cfg["biases"]:
                out = out + a.b_O
            cache[f"blocks.{l}.attn.hook_pattern"] = pattern
            cache[f"blocks.{l}.attn.hook_z"] = z
            x = x + out
        logits = x @ self.unembed.W_U
        if self.cfg["biases"]:
            logits = logits + self.unembed.b_U
        return logits, cache


class PuzzleHead(nn.Module):
    def __init__(self, D, E):
        super().__init__()
        self.W_Q, self.W_K, self.W_V = (nn.Linear(D, E, bias=False) for _ in range(3))


class PuzzleLayer(nn.Module):
    def __init__(self, D, H, E):
        super().__init__()
        self.heads = nn.ModuleList(PuzzleHead(D, E) for _ in range(H))
        self.W_O = nn.Linear(H * E, D, bias=False)


class PuzzleModel(nn.Module):
    """The puzzle series' model.py layout: tok_embed, pos_embed (nn.Embedding), layers.l.heads.h.W_Q/W_K/W_V and
    layers.l.W_O (nn.Linear, out x in), unembed (nn.Linear)."""

    def __init__(self, V, D, H, E, L, T):
        super().__init__()
        self.tok_embed = nn.Embedding(V, D)
        self.pos_embed = nn.Embedding(T, D)
        self.layers = nn.ModuleList(PuzzleLayer(D, H, E) for _ in range(L))
        self.unembed = nn.Linear(D, V, bias=False)

    def forward(self, tokens):
        B, T = tokens.shape
        x = self.tok_embed(tokens) + self.pos_embed(torch.arange(T))[None]
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        cache = {}
        for l, layer in enumerate(self.layers):
            zs, pats = [], []
            for h in layer.heads:
                q, k, v = h.W_Q(x), h.W_K(x), h.W_V(x)
                s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
                p = s.masked_fill(mask, float("-inf")).softmax(-1)
                pats.append(p)
                zs.append(p @ v)
            cache[f"blocks.{l}.attn.hook_pattern"] = torch.stack(pats, 1)
            cache[f"blocks.{l}.attn.hook_z"] = torch.stack(zs, 2)
            x = x + layer.W_O(torch.cat(zs, -1))
        return self.unembed(x), cache
