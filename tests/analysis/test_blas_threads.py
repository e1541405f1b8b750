"""Every public estimator limits BLAS to one thread itself (issue 13, item 1): a script that calls
``fit_sem`` or ``measurement_invariance`` directly runs as ``coprod analyze`` does."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info

import coprod.analysis.sem.api as api
from coprod.analysis.efa import efa
from coprod.analysis.sem import fit_sem, measurement_invariance


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") == "blas"}


@pytest.fixture()
def data() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    f = rng.normal(size=400)
    df = pd.DataFrame({f"x{i}": 0.7 * f + rng.normal(scale=0.7, size=400) for i in range(4)})
    df["g"] = np.repeat(["a", "b"], 200)
    return df


def test_fit_sem_and_invariance_run_on_one_blas_thread(monkeypatch, data):
    if not _blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can see")
    seen: list[set[int]] = []
    real = api.summarize

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "summarize", spy)
    before = _blas_threads()
    fit_sem(data, "f =~ x0 + x1 + x2 + x3")
    assert seen == [{1}]
    # invariance fits through the same engine; outside the call the caller's setting is back
    res = measurement_invariance(data, "f =~ x0 + x1 + x2 + x3", "g", partial=False)
    assert res.decision and _blas_threads() == before


def test_the_decorated_estimators_keep_their_names_and_docs():
    for fn in (fit_sem, measurement_invariance, efa):
        assert fn.__wrapped__.__name__ == fn.__name__ and "Examples" in (fn.__doc__ or "")
