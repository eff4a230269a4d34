"""The documentation's examples run (Skyfield's rule: docs whose examples are tested)."""

import doctest

import boostphase.api


def test_api_docstring_examples():
    result = doctest.testmod(boostphase.api, verbose=False)
    assert result.attempted >= 4 and result.failed == 0


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's Python example runs as written (in a scratch folder for its CSV)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "nodong.csv").stat().st_size > 0
