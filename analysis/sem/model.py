"""LISREL matrices per group from the parameter table, implied moments and their Jacobian.

Representation (lavaan's "all-y" LISREL form): η holds the latent variables and, for every observed
variable that takes part in a regression (``~``), a phantom latent with the same name
(Λ row = 1, ν = 0, Θ = 0), so that

    Σ = Λ (I − B)⁻¹ Ψ (I − B)⁻ᵀ Λ′ + Θ,        μ = ν + Λ (I − B)⁻¹ α.

Rows of the parameter table map to one matrix cell each (symmetric cells to both triangles).
Exogenous covariates (``fixed.x``) get their variances, covariances and means from the sample
(per group), and are refreshed for every bootstrap draw.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coprod.analysis.sem.partable import ParTable

__all__ = ["Model", "GroupMatrices"]

LAM, BETA, PSI, THETA, NU, ALPHA = range(6)


@dataclass(slots=True)
class GroupMatrices:
    """Model matrices of one group."""

    lam: np.ndarray
    beta: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    nu: np.ndarray
    alpha: np.ndarray

    def implied(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(Σ, μ, A = (I − B)⁻¹)."""
        m = self.beta.shape[0]
        a = np.linalg.inv(np.eye(m) - self.beta) if m else np.zeros((0, 0))
        g = self.lam @ a
        sigma = g @ self.psi @ g.T + self.theta
        mu = self.nu + g @ self.alpha
        return 0.5 * (sigma + sigma.T), mu, a


class Model:
    """Mapping θ ↦ (Σ_g, μ_g) for all groups, with the Jacobian ∂(Σ, μ)/∂θ."""

    def __init__(self, pt: ParTable):
        vi = pt.vars
        self.pt = pt
        self.ov = list(vi.ov)
        self.lv = list(vi.lv)
        regs = {pt.lhs[i] for i in pt.rows() if pt.op[i] == "~"} | {pt.rhs[i] for i in pt.rows() if pt.op[i] == "~"}
        lv_cov = {pt.rhs[i] for i in pt.rows() if pt.op[i] == "~~" and pt.lhs[i] in vi.lv} | \
                 {pt.lhs[i] for i in pt.rows() if pt.op[i] == "~~" and pt.rhs[i] in vi.lv}
        self.phantom = [v for v in self.ov if v in regs or v in lv_cov]
        self.eta = self.lv + self.phantom
        self.p, self.m, self.ngroups, self.nfree = len(self.ov), len(self.eta), pt.ngroups, pt.nfree
        self.meanstructure = any(pt.op[i] == "~1" for i in pt.rows())
        oi = {v: k for k, v in enumerate(self.ov)}
        ei = {v: k for k, v in enumerate(self.eta)}
        self.ov_index, self.eta_index = oi, ei
        # per row: (matrix, r, c)
        self.cell: dict[int, tuple[int, int, int]] = {}
        for i in pt.rows():
            lhs, op, rhs = pt.lhs[i], pt.op[i], pt.rhs[i]
            if op == "=~":
                self.cell[i] = (BETA, ei[rhs], ei[lhs]) if rhs in ei else (LAM, oi[rhs], ei[lhs])
            elif op == "~":
                self.cell[i] = (BETA, ei[lhs], ei[rhs])
            elif op == "~~":
                if lhs in ei and rhs in ei:
                    self.cell[i] = (PSI, ei[lhs], ei[rhs])
                else:
                    self.cell[i] = (THETA, oi[lhs], oi[rhs])
            elif op == "~1":
                self.cell[i] = (ALPHA, ei[lhs], 0) if lhs in ei else (NU, oi[lhs], 0)
        self._base = [self._fixed_matrices(g + 1) for g in range(self.ngroups)]
        # free cells per group: arrays by matrix type
        self._free: list[dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
        for g in range(self.ngroups):
            cells: dict[int, list] = {k: [[], [], []] for k in range(6)}
            for i in pt.rows(g + 1):
                if pt.free[i]:
                    mat, r, c = self.cell[i]
                    for lst, v in zip(cells[mat], (r, c, pt.free[i] - 1)):
                        lst.append(v)
            self._free.append({k: tuple(np.asarray(x, dtype=int) for x in v) for k, v in cells.items()})
        # scatter matrices (q × cells) summing the derivatives of cells that share a parameter
        self._scatter = [{mat: self._scatter_matrix(k) for mat, (_, _, k) in fr.items()} for fr in self._free]
        # the free parameters each group's moments depend on: with many groups most of θ belongs
        # to the other groups, and a Jacobian over all of θ is mostly zeros (``active=True``)
        self.active = [np.unique(np.concatenate([k for (_, _, k) in fr.values()])).astype(int) for fr in self._free]
        self._scatter_active = [{mat: self._scatter_matrix(np.searchsorted(act, k), len(act))
                                 for mat, (_, _, k) in fr.items()} for fr, act in zip(self._free, self.active)]
        self.exo_rows = [i for i in pt.rows() if pt.exo[i]]

    def _scatter_matrix(self, k: np.ndarray, rows: int | None = None) -> np.ndarray:
        out = np.zeros((self.nfree if rows is None else rows, len(k)))
        out[k, np.arange(len(k))] = 1.0
        return out

    # ------------------------------------------------------------------ matrices
    def _fixed_matrices(self, group: int) -> GroupMatrices:
        p, m = self.p, self.m
        gm = GroupMatrices(np.zeros((p, m)), np.zeros((m, m)), np.zeros((m, m)), np.zeros((p, p)),
                           np.zeros(p), np.zeros(m))
        for v in self.phantom:
            gm.lam[self.ov_index[v], self.eta_index[v]] = 1.0
        for i in self.pt.rows(group):
            if not self.pt.free[i] and not self.pt.exo[i]:
                self._set(gm, self.cell[i], self.pt.ustart[i])
        return gm

    @staticmethod
    def _set(gm: GroupMatrices, cell, value) -> None:
        mat, r, c = cell
        arr = (gm.lam, gm.beta, gm.psi, gm.theta, gm.nu, gm.alpha)[mat]
        if mat in (NU, ALPHA):
            arr[r] = value
        else:
            arr[r, c] = value
            if mat in (PSI, THETA):
                arr[c, r] = value

    def set_exo(self, covs: list[np.ndarray], means: list[np.ndarray]) -> None:
        """Fix the fixed.x (co)variances and means to the sample values of each group."""
        pt = self.pt
        for i in self.exo_rows:
            g = pt.group[i] - 1
            if pt.op[i] == "~~":
                v = covs[g][self.ov_index[pt.lhs[i]], self.ov_index[pt.rhs[i]]]
            else:
                v = means[g][self.ov_index[pt.lhs[i]]]
            pt.ustart[i] = float(v)
            self._set(self._base[g], self.cell[i], v)

    def matrices(self, theta: np.ndarray, group: int) -> GroupMatrices:
        """Model matrices of ``group`` (0-based) at θ."""
        b = self._base[group]
        gm = GroupMatrices(b.lam.copy(), b.beta.copy(), b.psi.copy(), b.theta.copy(), b.nu.copy(), b.alpha.copy())
        for mat, (r, c, k) in self._free[group].items():
            if not len(k):
                continue
            arr = (gm.lam, gm.beta, gm.psi, gm.theta, gm.nu, gm.alpha)[mat]
            if mat in (NU, ALPHA):
                arr[r] = theta[k]
            else:
                arr[r, c] = theta[k]
                if mat in (PSI, THETA):
                    arr[c, r] = theta[k]
        return gm

    def implied(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(Σ_g, μ_g)] for every group."""
        return [self.matrices(theta, g).implied()[:2] for g in range(self.ngroups)]

    # ------------------------------------------------------------------ derivatives
    def jacobian(self, theta: np.ndarray, group: int, active: bool = False):
        """(Σ, μ, dΣ, dμ) of one group; dΣ has shape (q, p, p), dμ (q, p) for the q free parameters
        (with ``active``, for the group's own parameters ``self.active[group]`` only)."""
        gm = self.matrices(theta, group)
        sigma, mu, a = gm.implied()
        p = self.p
        q = len(self.active[group]) if active else self.nfree
        g = gm.lam @ a                      # p × m
        mm = a @ gm.psi @ a.T @ gm.lam.T    # m × p  (row c: ∂Σ rows for a loading on η_c)
        av = a @ gm.alpha                   # m
        d_sigma = np.zeros((q, p, p))
        d_mu = np.zeros((q, p))
        free, sc = self._free[group], (self._scatter_active if active else self._scatter)[group]
        pp = p * p
        r, c, k = free[LAM]
        if len(k):
            dl = np.zeros((len(k), p, p))
            idx = np.arange(len(k))
            dl[idx, r, :] += mm[c]
            dl[idx, :, r] += mm[c]
            d_sigma += (sc[LAM] @ dl.reshape(len(k), pp)).reshape(q, p, p)
            dmu = np.zeros((len(k), p))
            dmu[idx, r] = av[c]
            d_mu += sc[LAM] @ dmu
        r, c, k = free[BETA]
        if len(k):
            u = g[:, r].T
            db = u[:, :, None] * mm[c][:, None, :]
            d_sigma += (sc[BETA] @ (db + db.transpose(0, 2, 1)).reshape(len(k), pp)).reshape(q, p, p)
            d_mu += sc[BETA] @ (u * av[c][:, None])
        r, c, k = free[PSI]
        if len(k):
            u, v = g[:, r].T, g[:, c].T
            dp = u[:, :, None] * v[:, None, :]
            dp = dp + dp.transpose(0, 2, 1)
            dp[r == c] *= 0.5
            d_sigma += (sc[PSI] @ dp.reshape(len(k), pp)).reshape(q, p, p)
        r, c, k = free[THETA]
        if len(k):
            dt = np.zeros((len(k), p, p))
            idx = np.arange(len(k))
            dt[idx, r, c] = 1.0
            dt[idx, c, r] = 1.0
            d_sigma += (sc[THETA] @ dt.reshape(len(k), pp)).reshape(q, p, p)
        r, _, k = free[NU]
        if len(k):
            dmu = np.zeros((len(k), p))
            dmu[np.arange(len(k)), r] = 1.0
            d_mu += sc[NU] @ dmu
        r, _, k = free[ALPHA]
        if len(k):
            d_mu += sc[ALPHA] @ g[:, r].T
        return sigma, mu, d_sigma, d_mu

    # ------------------------------------------------------------------ values per row
    def row_values(self, theta: np.ndarray) -> np.ndarray:
        """Value of every parameter-table row (fixed rows their fixed value; := rows NaN)."""
        pt = self.pt
        out = np.full(len(pt), np.nan)
        for i in pt.rows():
            out[i] = theta[pt.free[i] - 1] if pt.free[i] else pt.ustart[i]
        return out
