"""run_with_cache against PyTorch on the PyTorch-trained fixtures: logits,
attention patterns and z within 1e-5, from the weights file read by
PyTorch itself and from headcount's state dict loaded into PyTorch."""
import numpy as np
import pytest
import torch

import headcount
from conftest import DATA, read_safetensors
from torch_models import PuzzleModel, TLAttnOnly

TOL = dict(rtol=1e-5, atol=1e-5)


def _puzzle_torch(weights):
    m = PuzzleModel(V=14, D=64, H=4, E=16, L=1, T=12)
    m.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=True)
    return m.eval()


def test_max_of_list_cache_matches_pytorch_forward_of_the_file(mol_model):
    ref = read_safetensors(DATA / "max_of_list_torch.reference.safetensors")
    tokens = ref["probe_tokens"]
    logits, cache = mol_model.run_with_cache(tokens)
    with torch.no_grad():
        t_logits, t_cache = _puzzle_torch(read_safetensors(DATA / "max_of_list_torch.safetensors"))(
            torch.from_numpy(tokens))
    np.testing.assert_allclose(logits, t_logits.numpy(), **TOL)
    for name in ("blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z"):
        assert cache[name].shape == tuple(t_cache[name].shape), name
        np.testing.assert_allclose(cache[name], t_cache[name].numpy(), **TOL)
    # and what PyTorch computed when the fixture was made
    np.testing.assert_allclose(logits, ref["probe_logits"], **TOL)
    np.testing.assert_allclose(cache["blocks.0.attn.hook_pattern"], ref["probe_patterns"], **TOL)


def test_count01_cache_matches_pytorch_forward_of_the_file(c01_model, c01_test):
    w = read_safetensors(DATA / "count01_tl.safetensors")
    cfg = dict(c01_model.cfg, pos_embed=True, biases=True)  # the file holds W_pos (zeros) and the biases
    tm = TLAttnOnly(cfg)
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()}, strict=True)
    tokens = c01_test.tokens[:512]
    logits, cache = c01_model.run_with_cache(tokens)
    with torch.no_grad():
        t_logits, t_cache = tm(torch.from_numpy(tokens.astype(np.int64)))
    np.testing.assert_allclose(logits, t_logits.numpy(), **TOL)
    for name in ("blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z"):
        np.testing.assert_allclose(cache[name], t_cache[name].numpy(), **TOL)
    # shapes as TransformerLens has them
    B, T = tokens.shape
    H, E, D = cfg["n_heads"], cfg["d_head"], cfg["d_model"]
    assert cache["blocks.0.attn.hook_pattern"].shape == (B, H, T, T)
    assert cache["blocks.0.attn.hook_z"].shape == (B, T, H, E)
    assert cache["blocks.0.attn.hook_result"].shape == (B, T, H, D)
    assert cache["blocks.0.hook_resid_pre"].shape == (B, T, D)


@pytest.mark.parametrize("layout", ["transformer-lens", "puzzle"])
def test_state_dict_loaded_into_pytorch_gives_the_same_logits(mol_model, layout):
    sd = {k: torch.from_numpy(v) for k, v in mol_model.state_dict(layout=layout).items()}
    c = mol_model.cfg
    tm = TLAttnOnly(c) if layout == "transformer-lens" else PuzzleModel(
        c["d_vocab"], c["d_model"], c["n_heads"], c["d_head"], c["n_layers"], c["n_ctx"])
    tm.load_state_dict(sd, strict=True)
    tokens = read_safetensors(DATA / "max_of_list_torch.reference.safetensors")["probe_tokens"]
    with torch.no_grad():
        t_logits, _ = tm(torch.from_numpy(tokens))
    np.testing.assert_allclose(mol_model(tokens), t_logits.numpy(), **TOL)


def test_count01_state_dict_into_pytorch(c01_model, c01_test):
    tm = TLAttnOnly(c01_model.cfg)
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in c01_model.state_dict().items()}, strict=True)
    tokens = c01_test.tokens[:256]
    with torch.no_grad():
        t_logits, _ = tm(torch.from_numpy(tokens.astype(np.int64)))
    np.testing.assert_allclose(c01_model(tokens), t_logits.numpy(), **TOL)


def test_from_state_dict_round_trip_is_exact(mol_model):
    for layout in ("transformer-lens", "puzzle"):
        sd = mol_model.state_dict(layout=layout)
        back = headcount.from_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, task="max-of-list")
        for k, v in back.state_dict(layout=layout).items():
            assert np.array_equal(v, sd[k]), (layout, k)


def test_model_call_matches_cache_logits(c01_model, c01_test):
    tokens = c01_test.tokens[:100]
    logits, _ = c01_model.run_with_cache(tokens, names_filter=[])
    # model() takes the fast path (factored layer 0), the cache the full one: the same up to float32 rounding
    np.testing.assert_allclose(c01_model(tokens, threads=2), logits, rtol=1e-5, atol=1e-4)
    assert (c01_model(tokens).argmax(-1) == logits.argmax(-1)).mean() > 0.999
