"""The C++ extension (_headcount, built by CMake into build/python)."""
try:
    import _headcount as core  # noqa: F401
except ImportError as e:  # pragma: no cover - what a user without a build sees
    raise ImportError(
        "headcount: the C++ extension _headcount is not built or not on the path ("
        + str(e)
        + "); run scripts/setup.sh, which builds it into build/python and installs the package into .venv"
    ) from e
