"""Alignment optimization: the loss, its gradient, group order, and recovery of known means."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import check_grad

from coprod.analysis.alignment import TRUST_SHARE, _objective, align, component_loss, noninvariance

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "alignment_recovery.py"
_spec = importlib.util.spec_from_file_location("alignment_recovery", _SCRIPT)
recovery = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recovery)


def _exact(means, sds, lam=(0.8, 0.7, 0.9, 0.75), nu=(4.0, 3.5, 4.2, 3.8)):
    """Configural parameters implied by exact invariance: lambda*sd, nu + lambda*mean."""
    lam, nu = np.array(lam), np.array(nu)
    return (np.outer(sds, lam), nu[None, :] + np.outer(means, lam))


def test_component_loss_values():
    assert component_loss(0.0, eps=0.0001) == pytest.approx(0.1)
    assert component_loss(0.0, eps=0.01) == pytest.approx(0.01 ** 0.25)
    assert component_loss(2.0, eps=0.0) == pytest.approx(np.sqrt(2.0))
    assert component_loss(-2.0, eps=0.01) == pytest.approx((4.01) ** 0.25)


@pytest.mark.parametrize("free", [False, True])
def test_gradient_is_the_derivative_of_the_loss(free):
    rng = np.random.default_rng(3)
    G, I = 6, 4
    lam, nu = rng.uniform(0.5, 1.2, (G, I)), rng.uniform(3, 5, (G, I))
    w = rng.uniform(1, 2, G)
    W = np.outer(w, w) / w.sum() ** 2
    x = rng.normal(0, 0.3, 2 * G - (1 if free else 2))
    err = check_grad(lambda z: _objective(z, lam, nu, W, 0.01, free, 0.001)[0],
                     lambda z: _objective(z, lam, nu, W, 0.01, free, 0.001)[1], x)
    assert err < 1e-5


@pytest.mark.parametrize("method", ["fixed", "free"])
def test_exact_invariance_recovers_means_and_variances(method):
    means, sds = np.array([0.0, 0.5, -0.3, 0.2, 0.8]), np.array([1.0, 1.2, 0.9, 1.1, 0.8])
    lam, nu = _exact(means, sds)
    r = align(lam, nu, [300] * 5, method=method)
    np.testing.assert_allclose(r.mean, means, atol=2e-3)
    np.testing.assert_allclose(r.variance, sds ** 2, atol=5e-3)
    assert r.noninvariant_share == 0.0
    assert r.trusted is True
    assert r.r2["intercepts"] == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("method", ["fixed", "free"])
def test_order_of_the_other_groups_does_not_matter(method):
    rng = np.random.default_rng(5)
    lam, nu = _exact(rng.normal(0, 0.5, 8), rng.uniform(0.7, 1.3, 8))
    lam, nu = lam + rng.normal(0, 0.05, lam.shape), nu + rng.normal(0, 0.08, nu.shape)
    n = rng.integers(60, 300, 8)
    a = align(lam, nu, n, method=method)
    perm = np.array([0, 5, 3, 7, 1, 2, 6, 4])  # the reference (first) group stays first
    b = align(lam[perm], nu[perm], n[perm], method=method)
    np.testing.assert_allclose(np.array(b.mean), np.array(a.mean)[perm], atol=1e-4)
    np.testing.assert_allclose(np.array(b.variance), np.array(a.variance)[perm], atol=1e-4)


def test_tolerance_rule_flags_the_outlier_only():
    parm = np.array([[1.0, 4.0], [1.1, 4.1], [0.9, 3.9], [2.0, 4.05], [1.05, 5.0]])
    flags = noninvariance(parm, 0.4, np.ones(5))
    assert flags.tolist() == [[False, False], [False, False], [False, False], [True, False], [False, True]]


def test_bad_input_messages():
    with pytest.raises(ValueError, match=r"^alignment method 'mplus' is not one of fixed, free$"):
        align(np.ones((3, 2)), np.ones((3, 2)), [1, 1, 1], method="mplus")
    with pytest.raises(ValueError, match=r"^alignment needs at least 2 groups, got 1$"):
        align(np.ones((1, 2)), np.ones((1, 2)), [1])
    with pytest.raises(ValueError, match=r"^n must give a positive size for each of the 3 groups$"):
        align(np.ones((3, 2)), np.ones((3, 2)), [1, 0, 1])
    with pytest.raises(ValueError, match=r"^alignment needs a finite loading and intercept for every group and item$"):
        align(np.array([[1.0, np.nan], [1, 1]]), np.ones((2, 2)), [1, 1])


@pytest.mark.parametrize("method", ["fixed", "free"])
def test_recovers_known_group_means_from_simulated_data(method):
    """10 groups x 300, two noninvariant intercepts and one loading (scripts/alignment_recovery.py)."""
    r = recovery.recovery(method)
    truth_m, truth_v = np.array(recovery.TRUE_MEAN), np.array(recovery.TRUE_VAR)
    mean, var = np.array(r.mean), np.array(r.variance)
    assert np.max(np.abs(mean - truth_m)) < 0.15
    assert np.corrcoef(mean, truth_m)[0, 1] > 0.97
    assert np.corrcoef(var, truth_v)[0, 1] > 0.8
    # the two shifted intercepts are found, and nothing else among the intercepts
    nu_flags = [(r.groups[g], r.items[i]) for g, row in enumerate(r.nu_noninvariant) for i, v in enumerate(row) if v]
    assert nu_flags == [("g3", "x2"), ("g7", "x4")]
    assert r.noninvariant_share == pytest.approx(2 / 100)
    assert r.noninvariant_share < TRUST_SHARE and r.trusted
