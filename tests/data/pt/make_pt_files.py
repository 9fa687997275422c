#!/usr/bin/python3
"""Makes the .pt test files in this folder (run from anywhere; needs python3-torch).

Good files, written by torch.save itself (tests/io/torch_pt_test.cpp loads them
and compares with the safetensors fixtures bit for bit):
  count01_tl.pt        ../count01_tl.safetensors as a TransformerLens state dict
                       (with its bool causal-mask and IGNORE buffers)
  max_of_list_views.pt ../max_of_list_torch.safetensors (puzzle layout) with
                       tensors stored as float64, as a transposed view, and as
                       a slice at an offset into a larger storage
  protocol4.pt         a small state dict pickled with protocol 4 (FRAME,
                       MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL)

Malicious and broken files, made by hand (the pickles are written byte by
byte and never loaded here; each would touch a sentinel file if a reader ran
it):
  os_system.pt         REDUCE of posix.system("touch SENTINEL")
  os_system_stack.pt   the same through STACK_GLOBAL (protocol 4)
  builtins_eval.pt     REDUCE of builtins.eval("open(SENTINEL, 'w')")
  offset_past_end.pt   a [2,3] tensor at offset 4 of a 6-element storage
  half_dtype.pt        a torch.HalfStorage tensor
  int64_dtype.pt       a torch.LongStorage tensor
  zip_bomb.pt          data.pkl declared as 4 GB of deflated data in a tiny file
  truncated.pt         a real torch.save file cut before its central directory
"""
import collections
import io
import json
import os
import struct
import zipfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
SENTINEL = "/tmp/headcount-pt-sentinel"


def read_safetensors(path):
    b = path.read_bytes()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    base = 8 + n
    out = collections.OrderedDict()
    types = {"F32": torch.float32, "F64": torch.float64}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        t = torch.frombuffer(bytearray(b[base + lo:base + hi]), dtype=types[info["dtype"]])
        out[name] = t.reshape(info["shape"]).clone()
    return out


def good_files():
    tl = read_safetensors(DATA / "count01_tl.safetensors")
    T = tl["pos_embed.W_pos"].shape[0]
    tl["blocks.0.attn.mask"] = torch.tril(torch.ones(T, T)).bool()  # TransformerLens buffers
    tl["blocks.0.attn.IGNORE"] = torch.tensor(-1e5)
    torch.save(tl, HERE / "count01_tl.pt")

    mol = read_safetensors(DATA / "max_of_list_torch.safetensors")
    views = collections.OrderedDict()
    for name, t in mol.items():
        if name == "tok_embed.weight":
            t = t.double()  # float64 storage: read as float32, exactly
        elif name == "layers.0.W_O.weight":
            t = t.t().contiguous().t()  # same values, column-major strides
        elif name == "unembed.weight":
            big = torch.cat([torch.full((7,), 99.0), t.flatten(), torch.full((5,), 99.0)])
            t = big[7:7 + t.numel()].view(t.shape)  # offset 7 into a larger storage
        views[name] = t
    assert not views["layers.0.W_O.weight"].is_contiguous()
    assert views["unembed.weight"].storage_offset() == 7
    torch.save(views, HERE / "max_of_list_views.pt")

    small = collections.OrderedDict(a=torch.arange(6, dtype=torch.float32).reshape(2, 3), b=torch.ones(3))
    torch.save(small, HERE / "protocol4.pt", pickle_protocol=4)


# ---- hand-made pickles ---------------------------------------------------------------

def uni(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def tensor_pickle(storage_type, numel, offset, size, stride):
    """OrderedDict(w=_rebuild_tensor_v2(storage data/0, offset, size, stride, False, OrderedDict()))."""
    def tup(xs):
        return b"(" + b"".join(b"K" + bytes([x]) for x in xs) + b"t"
    pid = b"(" + uni("storage") + glob("torch", storage_type) + uni("0") + uni("cpu") + b"K" + bytes([numel]) + b"t"
    args = b"(" + pid + b"Q" + b"K" + bytes([offset]) + tup(size) + tup(stride) + b"\x89" + \
        glob("collections", "OrderedDict") + b")R" + b"t"
    return b"\x80\x02" + glob("collections", "OrderedDict") + b")R" + uni("w") + \
        glob("torch._utils", "_rebuild_tensor_v2") + args + b"R" + b"s."


def archive(path, pkl, storages=None, compress=False):
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as z:
        z.writestr("archive/data.pkl", pkl)
        for key, data in (storages or {}).items():
            z.writestr("archive/data/" + key, data)
        z.writestr("archive/version", "3\n")
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def bad_files():
    # posix.system is what os.system pickles as on Linux.
    archive(HERE / "os_system.pt", b"\x80\x02" + glob("posix", "system") + uni("touch " + SENTINEL + "-os-system") +
            b"\x85R.")
    archive(HERE / "os_system_stack.pt", b"\x80\x04" + b"\x8c\x02os\x94" + b"\x8c\x06system\x94\x93" +
            uni("touch " + SENTINEL + "-os-system-stack") + b"\x85R.")
    archive(HERE / "builtins_eval.pt", b"\x80\x02" + glob("builtins", "eval") +
            uni("open('" + SENTINEL + "-eval', 'w')") + b"\x85R.")
    floats = struct.pack("<6f", *range(6))
    archive(HERE / "offset_past_end.pt", tensor_pickle("FloatStorage", 6, 4, [2, 3], [3, 1]), {"0": floats})
    archive(HERE / "half_dtype.pt", tensor_pickle("HalfStorage", 6, 0, [2, 3], [3, 1]), {"0": bytes(12)})
    archive(HERE / "int64_dtype.pt", tensor_pickle("LongStorage", 6, 0, [2, 3], [3, 1]), {"0": bytes(48)})

    # Zip bomb: a deflated data.pkl whose headers (local and central, kept consistent)
    # declare 4 GB of output from a few hundred compressed bytes.
    raw = bytearray(archive(HERE / "zip_bomb.pt", tensor_pickle("FloatStorage", 6, 0, [2, 3], [3, 1]) + bytes(20000),
                            {"0": floats}, compress=True))
    lh = raw.index(b"PK\x03\x04")
    assert raw[lh + 30:lh + 30 + 16] == b"archive/data.pkl"
    struct.pack_into("<I", raw, lh + 22, 0xFFFFFF00)  # local header: uncompressed size
    ch = raw.index(b"PK\x01\x02")
    assert raw[ch + 46:ch + 46 + 16] == b"archive/data.pkl"
    struct.pack_into("<I", raw, ch + 24, 0xFFFFFF00)  # central directory: uncompressed size
    (HERE / "zip_bomb.pt").write_bytes(bytes(raw))

    buf = io.BytesIO()
    torch.save(collections.OrderedDict(w=torch.ones(4, 4)), buf)
    whole = buf.getvalue()
    (HERE / "truncated.pt").write_bytes(whole[: len(whole) * 2 // 3])


if __name__ == "__main__":
    good_files()
    bad_files()
    for p in sorted(HERE.glob("*.pt")):
        print(p.name, os.path.getsize(p))
