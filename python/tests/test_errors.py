"""Errors arrive as Python exceptions with the C++ library's message."""
import pytest

import headcount
from conftest import DATA


def test_missing_path_is_file_not_found(tmp):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        headcount.load(tmp / "nope.safetensors")


def test_weights_without_a_task_say_to_pass_one():
    with pytest.raises(ValueError, match='pass task="max-of-list"'):
        headcount.load(DATA / "max_of_list_torch.safetensors")


def test_wrong_task_for_the_weights(tmp):
    with pytest.raises(ValueError):
        headcount.load(DATA / "max_of_list_torch.safetensors", task="count01")


def test_bad_tokens(mol_model):
    with pytest.raises(ValueError, match="exactly 12"):
        mol_model([[1, 2, 3]])
    with pytest.raises(ValueError, match="not a token id"):
        mol_model([[99] * 12])


def test_unknown_task_and_option():
    with pytest.raises(ValueError, match="unknown task"):
        headcount.tasks.get("count02")
    with pytest.raises(ValueError, match="list-len|list_len"):
        headcount.tasks.get("max-of-list", list_len=0)


def test_bad_text_line_names_the_line():
    t = headcount.tasks.get("count01")
    with pytest.raises(ValueError, match="line 2"):
        t.parse("0 0 1 = 4 EOS\n0 1 7 = 5 EOS\n")
