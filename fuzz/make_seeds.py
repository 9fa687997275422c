#!/usr/bin/env python3
"""Writes the small seed corpora in fuzz/corpus/ (run from the repository root).

Seeds are tiny on purpose: libFuzzer's default -max_len follows the largest
seed, and small inputs mutate faster. The real fixtures are exercised by the
test suite; here each seed shows the fuzzer one shape of valid input."""
import json, os, struct

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def put(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def safetensors(tensors, metadata=None):
    header, buf = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(buf), len(buf) + len(data)]}
        buf += data
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + buf

def f32(n, start=0.0):
    return struct.pack("<%df" % n, *[start + 0.125 * i for i in range(n)])

# A native model L1 D2 H1 E1 V8 T3 (count01's vocabulary is 8), with and without metadata.
V, D, H, E, T = 8, 2, 1, 1, 3
native = {
    "embed.W_E": ("F32", [V, D], f32(V * D)),
    "pos_embed.W_pos": ("F32", [T, D], f32(T * D)),
    "blocks.0.attn.W_Q": ("F32", [H, D, E], f32(H * D * E)),
    "blocks.0.attn.W_K": ("F32", [H, D, E], f32(H * D * E)),
    "blocks.0.attn.W_V": ("F32", [H, D, E], f32(H * D * E)),
    "blocks.0.attn.W_O": ("F32", [H, E, D], f32(H * E * D)),
    "unembed.W_U": ("F32", [D, V], f32(D * V)),
}
put("safetensors", "native_tiny", safetensors(native))
cfg = {"n_layers": 1, "d_model": D, "n_heads": H, "d_head": E, "d_vocab": V, "n_ctx": T,
       "pos_embed": True, "biases": False, "init_std": -1.0}
put("safetensors", "native_tiny_meta", safetensors(native, {"headcount.model_config": json.dumps(cfg),
                                                            "headcount.task_config": '{"name":"count01"}'}))
puzzle = {
    "tok_embed.weight": ("F32", [V, D], f32(V * D)),
    "pos_embed.weight": ("F32", [T, D], f32(T * D)),
    "layers.0.heads.0.W_Q.weight": ("F32", [E, D], f32(E * D)),
    "layers.0.heads.0.W_K.weight": ("F32", [E, D], f32(E * D)),
    "layers.0.heads.0.W_V.weight": ("F32", [E, D], f32(E * D)),
    "layers.0.W_O.weight": ("F32", [D, H * E], f32(D * H * E)),
    "unembed.weight": ("F32", [V, D], f32(V * D)),
}
put("safetensors", "puzzle_tiny", safetensors(puzzle, {"d_model": str(D)}))
put("safetensors", "dtypes", safetensors({
    "a": ("F16", [2], b"\x00\x3c\x00\xc0"), "b": ("BF16", [1], b"\x80\x3f"), "c": ("I64", [1], struct.pack("<q", -5)),
    "d": ("BOOL", [2], b"\x00\x01"), "e": ("F64", [], struct.pack("<d", 2.5)), "f": ("U8", [0], b"")}))
put("safetensors", "empty_header", safetensors({}))

# Configurations: a run directory's config.json, a task and a model config.
train_cfg = {"task": {"name": "count01", "min_len": 1, "max_len": 20, "noise": 0.3333333333333333,
                      "ties_as_4": False, "test_mod": 10},
             "model": dict(cfg, d_model=32, n_heads=16, d_head=2, d_vocab=8, n_ctx=22, pos_embed=False),
             "steps": 3000, "batch": 256, "lr": 0.003, "weight_decay": 0.01, "beta1": 0.9, "beta2": 0.999,
             "eps": 1e-08, "schedule": "cosine", "warmup": 0, "eval_every": 250, "eval_size": 4000,
             "target_accuracy": 0.0, "seed": 1}
put("config", "train_count01.json", json.dumps(train_cfg, indent=1))
put("config", "train_max_of_list.json", json.dumps({"task": {"name": "max-of-list", "list_len": 5, "num_range": 10,
                                                             "stratified": 0.5, "test_mod": 10},
                                                    "model": {"d_model": 64, "n_heads": 4, "d_head": 16},
                                                    "steps": 20000, "schedule": "constant", "warmup": 100}))
put("config", "task.json", '{"name":"max-of-list","list_len":7,"num_range":20}')
put("config", "model.json", json.dumps(cfg))

# Evaluation sets: the first byte picks the task (see eval_set_fuzz.cpp).
put("eval_set", "count01", b"\x27" + b"2 1 0 1 2 = 5 EOS\n0 2 0 0 0 0 1 0 0 1 2 = 4 EOS\n1 2 2 2 = 5 EOS\n")
put("eval_set", "count01_ties", b"\x27" + b"0 1 = 4 EOS\n")
put("eval_set", "max_of_list", b"\x08" + b"BOS 3 SEP 9 SEP 6 SEP 3 SEP 1 ANS 9 EOS\nBOS 7 SEP 3 SEP 5 SEP 6 SEP 2 ANS 7 EOS\n")
put("eval_set", "max_of_list_crlf", b"\x08" + b"BOS 3 SEP 9 SEP 6 SEP 3 SEP 1 ANS 9 EOS\r\n")
