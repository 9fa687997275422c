"""headcount from Python: train, load and take apart tiny attention-only
transformers with the C++ engine, with TransformerLens hook names, numpy
arrays and pandas tables. See docs/PYTHON.md.

    import headcount
    model = headcount.load("tests/data/count01_tl.safetensors", task="count01")
    logits, cache = model.run_with_cache(tokens, names_filter="blocks.0.attn.hook_pattern")
"""
from . import tasks
from .analyses import (analyses, analyze, AnalysisResult, edge_scaling_logits, reproduce, sweep, sweep_results,
                       zero_ablation_logits)
from .model import HookedModel, load, from_state_dict
from .train import train, train_options

__all__ = [
    "tasks", "analyses", "analyze", "AnalysisResult", "zero_ablation_logits", "edge_scaling_logits", "reproduce", "sweep", "sweep_results",
    "HookedModel", "load", "from_state_dict", "train", "train_options",
]
__version__ = "0.1.0"
