"""Shared fixtures of the Python tests: the repository's paths and the
PyTorch-trained fixture models (tests/data, see its README)."""
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CLI = ROOT / "build" / "headcount"

_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    """name -> numpy array (the format: u64 header length, JSON header, data), so the tests need no
    safetensors package."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=_DTYPES[info["dtype"]]).reshape(info["shape"]).copy()
    return out


@pytest.fixture(scope="session")
def mol_model():
    import headcount
    return headcount.load(DATA / "max_of_list_torch.safetensors", task="max-of-list")


@pytest.fixture(scope="session")
def c01_model():
    import headcount
    return headcount.load(DATA / "count01_tl.safetensors", task="count01")


@pytest.fixture(scope="session")
def mol_test(mol_model):
    return mol_model.task.load_text(DATA / "max_of_list_torch.test.txt")


@pytest.fixture(scope="session")
def c01_test(c01_model):
    return c01_model.task.load_text(DATA / "count01_tl.test.txt")


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


def cli():
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build it with ninja -C build headcount")
    return str(CLI)


os.environ.setdefault("OMP_NUM_THREADS", "2")
