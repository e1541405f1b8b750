"""Standard errors, standardized solution, R² and defined (``:=``) parameters.

* Complete-data ML: covariance of θ̂ = inverse of the expected information
  Σ_g N_g [½ tr(Σ⁻¹∂_kΣ Σ⁻¹∂_lΣ) + ∂_kμ′Σ⁻¹∂_lμ] (lavaan's default ``information = "expected"``).
  FIML: inverse of the observed information (numeric Hessian of −logL), lavaan's default for
  ``missing = "ml"``.
* Standardized solution as lavaan's ``lav_standardize_lv`` / ``lav_standardize_all``: latent
  variables are scaled by the SD of η (model-implied total variance); observed variables by the
  SD implied by Σ; covariances between residuals are residual *correlations* (divided by the square
  roots of the residual variances), which is where semopy differs; ``:=`` rows are the defined
  function applied to the standardized parameters.
* Defined parameters: expressions of labels, evaluated by a small AST walker (numbers, labels,
  + − * / ^ and parentheses only); delta-method SE √(∇g′ V ∇g) with a central-difference ∇g.
"""
from __future__ import annotations

import ast
import math

import numpy as np
from scipy import stats

from coprod.analysis.sem.model import Model
from coprod.analysis.sem.partable import ParTable, check_expression

__all__ = ["vcov_from_information", "DefinedFunction", "standardize", "r_squared", "wald_table"]

_Z975 = stats.norm.ppf(0.975)


def vcov_from_information(info: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Inverse of the information matrix; (NaN matrix, message) when it is singular."""
    q = len(info)
    if q == 0:
        return np.zeros((0, 0)), None
    if not np.all(np.isfinite(info)):
        return np.full((q, q), np.nan), "information matrix is not finite: standard errors not computed"
    d = np.sqrt(np.abs(np.diag(info)))
    d[d == 0] = 1.0
    scaled = info / np.outer(d, d)
    ev = np.linalg.eigvalsh(0.5 * (scaled + scaled.T))
    if ev.min() <= 1e-10 * max(ev.max(), 1e-300):
        return np.full((q, q), np.nan), ("information matrix is singular (smallest eigenvalue "
                                         f"{ev.min():.3g}): the model may not be identified; "
                                         "standard errors not computed")
    v = np.linalg.inv(scaled) / np.outer(d, d)
    return 0.5 * (v + v.T), None


def _eval(node, values: dict[str, float]) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body, values)
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        op = node.op
        try:
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            if isinstance(op, ast.Div):
                return a / b if b != 0 else math.nan
            if isinstance(op, ast.Pow):
                r = a ** b
                return float(r) if not isinstance(r, complex) else math.nan
        except (OverflowError, ZeroDivisionError):
            return math.nan
    raise ValueError(f"unsupported expression node {type(node).__name__}")


class DefinedFunction:
    """Values of the ``:=`` parameters as a function of θ (or of per-label values)."""

    def __init__(self, pt: ParTable):
        self.pt = pt
        self.names = [d[0] for d in pt.defined]
        known = {lab for lab in pt.label if lab}
        self.trees = []
        for name, expr, line in pt.defined:
            self.trees.append(check_expression(expr, line, known))
            known.add(name)
        self.first_row: dict[str, int] = {}
        for i in pt.rows():
            lab = pt.label[i]
            if lab and lab not in self.first_row:
                self.first_row[lab] = i

    def from_rows(self, row_values: np.ndarray) -> np.ndarray:
        """Defined values given the value of every table row (est, or a standardized column)."""
        values = {lab: float(row_values[i]) for lab, i in self.first_row.items()}
        out = []
        for name, tree in zip(self.names, self.trees):
            v = _eval(tree, values)
            values[name] = v
            out.append(v)
        return np.asarray(out, dtype=float)

    def __call__(self, theta: np.ndarray, model: Model) -> np.ndarray:
        return self.from_rows(model.row_values(theta))

    def jacobian(self, theta: np.ndarray, model: Model) -> np.ndarray:
        """∂g/∂θ by central differences."""
        k = len(self.names)
        jac = np.zeros((k, len(theta)))
        for j in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[j]))
            tp, tm = theta.copy(), theta.copy()
            tp[j] += h
            tm[j] -= h
            jac[:, j] = (self(tp, model) - self(tm, model)) / (2 * h)
        return jac


def wald_table(est: np.ndarray, se: np.ndarray) -> dict[str, np.ndarray]:
    """z, two-sided p and 95% Wald interval (p is 2·(1 − Φ(|z|)), as lavaan)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / se, np.nan)
    p = 2.0 * stats.norm.sf(np.abs(z))
    return {"z": z, "pvalue": p, "ci_lower": est - _Z975 * se, "ci_upper": est + _Z975 * se}


def _sd_tables(model: Model, theta: np.ndarray, group: int):
    gm = model.matrices(theta, group)
    sigma, _, a = gm.implied()
    veta = a @ gm.psi @ a.T
    with np.errstate(invalid="ignore"):
        eta_var = np.diag(veta).copy()
        eta_var[eta_var < 0] = np.nan
        ov_var = np.diag(sigma).copy()
        ov_var[np.abs(ov_var) < np.finfo(float).eps] = np.nan
    lv_sd = {v: math.sqrt(eta_var[model.eta_index[v]]) if np.isfinite(eta_var[model.eta_index[v]]) else np.nan
             for v in model.lv}
    ov_sd = {v: math.sqrt(ov_var[model.ov_index[v]]) if ov_var[model.ov_index[v]] > 0 else np.nan
             for v in model.ov}
    ov_v2 = {v: ov_var[model.ov_index[v]] for v in model.ov}
    return lv_sd, ov_sd, ov_v2


def _std_row(lhs, op, rhs, x, lvs, lv_sd, ov_sd, ov_v2, resvar, with_ov: bool) -> float:
    """One standardized value (std.lv when ``with_ov`` is False, std.all when True)."""
    def sd(v):
        if v in lvs:
            return lv_sd[v]
        return ov_sd[v] if with_ov else 1.0
    if op == "=~":
        return x * sd(lhs) / sd(rhs)
    if op == "~":
        return x * sd(rhs) / sd(lhs)
    if op == "~1":
        return x / sd(lhs)
    if op == "~~" and lhs == rhs:
        if lhs in lvs:
            return x / lv_sd[lhs] ** 2
        return x / ov_v2[lhs] if with_ov else x
    if op == "~~":
        # lavaan: covariances between residuals become residual correlations
        for v in (lhs, rhs):
            if v in lvs or with_ov:
                rv = resvar.get(v, np.nan)
                x = x / math.sqrt(abs(rv)) if rv == rv else np.nan
    return x


def standardize(model: Model, theta: np.ndarray, defined: DefinedFunction | None):
    """(std_lv, std_all) for every row of the parameter table, lavaan's rules."""
    pt = model.pt
    est = model.row_values(theta)
    std_lv = est.copy()
    std_all = est.copy()
    lvs = set(model.lv)
    for g in range(model.ngroups):
        rows = pt.rows(g + 1)
        lv_sd, ov_sd, ov_v2 = _sd_tables(model, theta, g)
        resvar = {pt.lhs[i]: est[i] for i in rows if pt.op[i] == "~~" and pt.lhs[i] == pt.rhs[i]}
        for out, with_ov in ((std_lv, False), (std_all, True)):
            for i in rows:
                out[i] = _std_row(pt.lhs[i], pt.op[i], pt.rhs[i], est[i], lvs, lv_sd, ov_sd, ov_v2, resvar, with_ov)
    if defined is not None and defined.names:
        idx = [i for i in range(len(pt)) if pt.op[i] == ":="]
        std_lv[idx] = defined.from_rows(std_lv)
        std_all[idx] = defined.from_rows(std_all)
    return std_lv, std_all


def r_squared(model: Model, theta: np.ndarray) -> list[dict[str, float]]:
    """R² of endogenous observed and latent variables, per group (lavaan's ``inspect(fit, "r2")``)."""
    pt = model.pt
    vi = pt.vars
    out = []
    predicted = {pt.rhs[i] for i in pt.rows() if pt.op[i] == "=~"} | {pt.lhs[i] for i in pt.rows() if pt.op[i] == "~"}
    for g in range(model.ngroups):
        gm = model.matrices(theta, g)
        sigma, _, a = gm.implied()
        veta = a @ gm.psi @ a.T
        res: dict[str, float] = {}
        for v in model.ov:
            if v in vi.ov_x or v not in predicted:
                continue
            if v in model.eta_index:
                k = model.eta_index[v]
                res[v] = 1.0 - gm.psi[k, k] / veta[k, k]
            else:
                j = model.ov_index[v]
                res[v] = 1.0 - gm.theta[j, j] / sigma[j, j]
        for v in model.lv:
            if v in vi.lv_x:
                continue
            k = model.eta_index[v]
            res[v] = 1.0 - gm.psi[k, k] / veta[k, k]
        # lavaan: an R² above 1 (a negative residual variance, Heywood case) is NA
        out.append({k: (math.nan if v > 1.0 else v) for k, v in res.items()})
    return out
