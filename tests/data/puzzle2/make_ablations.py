#!/usr/bin/python3
"""Writes tests/data/puzzle2/{digits,unique}/ablation.json: PyTorch's
accuracy on each fixture's eval.txt with one head zero-ablated (its output,
z in TransformerLens's names, set to 0 before W_O), for every head of both
layers, and with every set of heads zero-ablated (zero_ablated_subsets_correct,
indexed by the bit mask of ablated heads, bit layer * H + head), scored at the query position (ANS: the tens digit for 1b, the count
for count-unique), the position headcount's subset ablation scores.

It loads the fixtures that make_fixtures.py (its sibling) wrote and reuses its
model class, so the numbers come from the same PyTorch model the parity tests
check. Usage: /usr/bin/python3 tests/data/puzzle2/make_ablations.py
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import AttentionOnlyTransformer  # noqa: E402

def zero(module, inputs, output):
    """A forward hook on one Head: its output (z) replaced by zeros."""
    out, attn = output
    return torch.zeros_like(out), attn


HERE = Path(__file__).resolve().parent
FIXTURES = {
    "digits": {"vocab": [str(i) for i in range(10)] + ["BOS", "SEP", "ANS", "EOS"], "query": 15},
    "unique": {"vocab": [chr(ord("a") + i) for i in range(10)] + ["BOS", "ANS"] + [f"#{k}" for k in range(1, 11)],
               "query": 11},
}


def main():
    torch.set_num_threads(1)
    for name, f in FIXTURES.items():
        cfg = json.loads((HERE / name / "config.json").read_text())["model"]
        model = AttentionOnlyTransformer(cfg["vocab_size"], cfg["d_model"], cfg["n_heads"], cfg["max_seq_len"],
                                         cfg["n_layers"], cfg["pos_embed_type"])
        model.load_state_dict(torch.load(HERE / name / "model.pt"))
        model.eval()
        ids = {t: i for i, t in enumerate(f["vocab"])}
        seqs = [[ids[t] for t in line.split()] for line in (HERE / name / "eval.txt").read_text().splitlines()]
        seq = torch.tensor(seqs)
        q = f["query"]
        x, target = seq[:, : cfg["max_seq_len"]], seq[:, q + 1]
        # Only the query position is scored.
        with torch.no_grad():
            logits, _ = model(x)
        full = int((logits[:, q].argmax(-1) == target).sum())
        heads = {}
        for layer in range(cfg["n_layers"]):
            for head in range(cfg["n_heads"]):
                h = model.layers[layer].heads[head].register_forward_hook(zero)
                with torch.no_grad():
                    logits, _ = model(x)
                h.remove()
                heads[f"L{layer}H{head}"] = int((logits[:, q].argmax(-1) == target).sum())
        # Every set of heads (bit layer * H + head set = ablated), 2^(L*H) forwards.
        L, H = cfg["n_layers"], cfg["n_heads"]
        subsets = []
        for mask in range(1 << (L * H)):
            hooks = [model.layers[f // H].heads[f % H].register_forward_hook(zero)
                     for f in range(L * H) if mask >> f & 1]
            with torch.no_grad():
                logits, _ = model(x)
            for h in hooks:
                h.remove()
            subsets.append(int((logits[:, q].argmax(-1) == target).sum()))
        out = {"n": len(seqs), "query_position": q, "full_correct": full, "zero_ablated_correct": heads,
               "zero_ablated_subsets_correct": subsets, "torch": torch.__version__}
        (HERE / name / "ablation.json").write_text(json.dumps(out, indent=2) + "\n")
        print(name, json.dumps(out))


if __name__ == "__main__":
    main()
