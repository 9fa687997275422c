"""Hooks as TransformerLens users write them, checked against the C++
interventions: a hook zeroing a head's z equals the C++ zero ablation; a hook
replacing the pattern equals the C++ attention edit (edge scaling)."""
import numpy as np
import pytest
import torch

import headcount
from headcount import edge_scaling_logits, zero_ablation_logits


def _at_query(logits, data):
    return logits[np.arange(len(data)), data.query_positions]


@pytest.mark.parametrize("head", [0, 2])
def test_zero_hook_equals_cpp_zero_ablation(mol_model, mol_test, head):
    data = mol_test[:1000]

    def zero(z, hook):
        assert hook.name == "blocks.0.attn.hook_z"
        z[:, :, head, :] = 0.0

    ours = _at_query(mol_model.run_with_hooks(data.tokens, fwd_hooks=[("blocks.0.attn.hook_z", zero)]), data)
    cpp = zero_ablation_logits(mol_model, data, [head])
    np.testing.assert_allclose(ours, cpp, rtol=1e-5, atol=1e-5)
    assert (ours.argmax(-1) == cpp.argmax(-1)).all()
    # the ablation changed something
    assert not np.allclose(_at_query(mol_model(data.tokens), data), cpp)


def test_zero_hook_count01_by_returning_an_array(c01_model, c01_test):
    data = c01_test[:500]

    def zero(z, hook):
        out = z.copy()
        out[:, :, [1, 5], :] = 0.0
        return torch.from_numpy(out)  # a torch tensor back is accepted

    ours = _at_query(c01_model.run_with_hooks(data, fwd_hooks=[("blocks.0.attn.hook_z", zero)]), data)
    np.testing.assert_allclose(ours, zero_ablation_logits(c01_model, data, [1, 5]), rtol=1e-5, atol=1e-5)


def _weight_edit(data, key_mask, head, s):
    """The edge-scaling weight edit written in numpy: at each example's query row, scale the weights of the
    target keys by s and renormalise."""
    q = data.query_positions

    def hook(pattern, hook):
        for b in range(pattern.shape[0]):
            row = pattern[b, head, q[b]].astype(np.float64)
            row[key_mask[b]] *= s
            row = row.astype(np.float32)
            total = row.sum(dtype=np.float32)
            pattern[b, head, q[b]] = row / total if total > 0 else row  # all mass removed: the head writes nothing
    return hook


def test_pattern_hook_equals_cpp_attention_edit(mol_model, mol_test):
    data = mol_test[:1000]
    tokens = data.tokens
    T = tokens.shape[1]
    # Max-of-List's key target: positions before the query holding the answer (the maximum).
    keys = (tokens == data.answers[:, None]) & (np.arange(T)[None] < data.query_positions[:, None])
    for head, s in [(1, 0.3), (3, 0.0)]:
        hook = _weight_edit(data, keys, head, s)
        ours = _at_query(mol_model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_pattern", hook)]), data)
        cpp = edge_scaling_logits(mol_model, data, [head], s, mode="weight")
        np.testing.assert_allclose(ours, cpp, rtol=1e-5, atol=1e-5)
        assert (ours.argmax(-1) == cpp.argmax(-1)).all()


def test_hook_reads_what_the_cache_holds(c01_model, c01_test):
    tokens = c01_test.tokens[:64]
    seen = {}
    def look(pattern, hook):
        seen["p"] = pattern.copy()

    c01_model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_pattern", look)])
    _, cache = c01_model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    assert list(cache) == ["blocks.0.attn.hook_pattern"]
    assert np.array_equal(seen["p"], cache["blocks.0.attn.hook_pattern"])


def test_bad_hook_name_lists_the_valid_ones(mol_model, mol_test):
    with pytest.raises(ValueError) as e:
        mol_model.run_with_hooks(mol_test.tokens[:4], fwd_hooks=[("blocks.0.attn.hook_patern", lambda a, hook: None)])
    msg = str(e.value)
    assert "hook_patern" in msg and "blocks.0.attn.hook_pattern" in msg and "blocks.0.attn.hook_z" in msg
    with pytest.raises(ValueError, match="blocks.0.attn.hook_q"):
        mol_model.run_with_cache(mol_test.tokens[:4], names_filter=["blocks.3.attn.hook_q"])


def test_hook_returning_a_wrong_shape_is_an_error(mol_model, mol_test):
    with pytest.raises(ValueError, match=r"must keep the activation's shape \[4, 12, 4, 16\]"):
        mol_model.run_with_hooks(mol_test.tokens[:4], fwd_hooks=[("blocks.0.attn.hook_z", lambda z, hook: z[:, 0])])


def test_exception_in_a_hook_reaches_the_caller(mol_model, mol_test):
    def bad(z, hook):
        raise RuntimeError("my hook failed")
    with pytest.raises(RuntimeError, match="my hook failed"):
        mol_model.run_with_hooks(mol_test.tokens[:4], fwd_hooks=[("blocks.0.attn.hook_z", bad)])
    # the model still works afterwards
    assert mol_model(mol_test.tokens[:4]).shape == (4, 12, 14)


def test_cache_is_zero_copy_and_read_only(mol_model, mol_test):
    _, cache = mol_model.run_with_cache(mol_test.tokens[:8])
    p = cache["blocks.0.attn.hook_pattern"]
    assert not p.flags.owndata and not p.flags.writeable
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-6)
