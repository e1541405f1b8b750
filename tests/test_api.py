"""The `coprod` root: every public name resolves, and importing it is cheap."""
from __future__ import annotations

import subprocess
import sys

import coprod


def test_every_public_name_resolves():
    for name in coprod.__all__:
        assert getattr(coprod, name) is not None, name
    assert coprod.read_responses.__module__ == "coprod.responses"
    assert coprod.fit_sem.__module__.startswith("coprod.analysis.sem")


def test_unknown_name_is_an_attribute_error():
    try:
        coprod.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("coprod.no_such_thing resolved")


def test_import_coprod_loads_no_heavy_library():
    code = ("import sys, coprod; print(coprod.__version__); "
            "print(','.join(m for m in ('pandas', 'numpy', 'scipy', 'jinja2', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == [coprod.__version__, ""]
