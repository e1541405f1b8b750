"""Synthetic responses from the population model of ``constructs.md``.

Latent scores follow the default structural model (standardised paths)::

    COM = a·INS + e        REP = b·VIN + e        AMB = c·COM + d·REP + e
    each strategy = s·AMB + e                      INS ~ VIN correlated r

plus the paper's further hypotheses as mean shifts (managers see more compellingness, frontline
staff and volunteers more repellence, voluntary respondents more asymmetry, selection more
common in integration and individualisation in elderly care) and small municipality
intercepts. Each item answer is the latent response ``λ·η + √(1-λ²)·ε`` (``-λ`` for
reverse-keyed items) cut into categories at the item's thresholds. Core items have the same
loading and thresholds in both sectors (so measurement invariance holds unless
``core_noninvariance`` > 0); facet items, asked of one sector, have their own.

Item parameters are derived from the item id (CRC32), not from ``seed``: the population is fixed,
``seed`` only draws the sample, and the same seed gives the same table.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

import numpy as np
import pandas as pd

from coprod.instrument.bank import as_bank
from coprod.instrument.model import SECTORS, Bank, Scale

from .canonical import DURATION, ID, schema_for

__all__ = ["SimulationParams", "Simulation", "simulate", "simulate_population", "MUNICIPALITIES"]

#: Danish municipalities used by default (free text in the data: any name works)
MUNICIPALITIES: tuple[str, ...] = (
    "Aarhus", "København", "Odense", "Aalborg", "Frederiksberg", "Høje-Taastrup", "Næstved",
    "Ærø", "Esbjerg", "Vejle", "Randers", "Kolding", "Horsens", "Silkeborg", "Roskilde",
    "Sønderborg", "Holbæk", "Svendborg", "Lyngby-Taarbæk", "Tårnby",
)

_BASE_THRESHOLDS = {7: (-1.6, -1.0, -0.45, 0.1, 0.65, 1.3), 5: (-1.0, -0.2, 0.6, 1.4)}


@dataclass(frozen=True, slots=True)
class SimulationParams:
    """Population parameters of the simulator (all have defaults).

    Paths are standardised regression weights of the structural model. ``loadings`` overrides
    the derived loading of an item per sector, e.g. ``{"INS_C1": {"voluntary": 0.5}}``.
    Rates are shares of respondents (``careless_rate``) or of answered cells (``missing_rate``,
    ``dont_know_rate``).
    """

    ins_com: float = 0.45
    vin_rep: float = 0.5
    com_amb: float = 0.35
    rep_amb: float = 0.45
    amb_strategy: float = 0.3
    ins_vin_correlation: float = 0.2
    core_loadings: tuple[float, float] = (0.65, 0.85)
    facet_loadings: tuple[float, float] = (0.6, 0.85)
    loadings: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    threshold_jitter: float = 0.3
    core_noninvariance: float = 0.0
    p_municipal: float = 0.4
    municipalities: tuple[str, ...] = MUNICIPALITIES
    service_areas: Mapping[str, float] = field(default_factory=lambda: {
        "elderly_care": 0.45, "integration": 0.4, "other": 0.15})
    municipality_sd: float = 0.15
    manager_com: float = 0.35
    frontline_rep: float = 0.35
    voluntary_asymmetry: float = 0.8
    integration_selection: float = 0.5
    elderly_individualisation: float = 0.5
    missing_rate: float = 0.02
    dont_know_rate: float = 0.02
    careless_rate: float = 0.03
    careless_straightline_share: float = 0.5
    attention_fail_rate: float = 0.01
    durations: bool = True
    seconds_per_item: float = 7.0
    duration_sigma: float = 0.3
    speeder_rate: float = 0.01
    careless_speeder_share: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Simulation:
    """A simulated sample: the canonical table (don't know coded 99), the latent scores, and
    who was simulated as careless (``careless``: ``""``, ``"straightline"`` or ``"random"``)."""

    table: pd.DataFrame
    latent: pd.DataFrame
    careless: pd.Series
    params: SimulationParams


def _item_rng(*key: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(":".join(key).encode()))


def _loading(item, sector: str, p: SimulationParams) -> float:
    over = p.loadings.get(item.id, {})
    if sector in over:
        return float(over[sector])
    lo, hi = p.core_loadings if item.is_core else p.facet_loadings
    lam = _item_rng(item.id, "loading").uniform(lo, hi)
    if item.is_core and p.core_noninvariance:
        lam += p.core_noninvariance * _item_rng(item.id, sector, "dif").normal()
    return float(np.clip(lam, 0.05, 0.95))


def _thresholds(item_id: str, scale: Scale, sector: str, core: bool, p: SimulationParams) -> np.ndarray:
    k = len(scale.points)
    base = np.array(_BASE_THRESHOLDS.get(k, np.linspace(-1.5, 1.5, k - 1)), dtype=float)
    shift = _item_rng(item_id, "threshold").uniform(-p.threshold_jitter, p.threshold_jitter)
    if core and p.core_noninvariance:
        shift += p.core_noninvariance * _item_rng(item_id, sector, "tdif").normal()
    return base + shift


def _cut(ystar: np.ndarray, tau: np.ndarray, lo: int) -> np.ndarray:
    return lo + np.searchsorted(tau, ystar).astype(np.int64)


def _pick(rng: np.random.Generator, names: list[str], weights: Mapping[str, float], n: int) -> np.ndarray:
    w = np.array([weights.get(x, 1.0 / max(len(names), 1)) for x in names], dtype=float)
    w = w / w.sum()
    return np.asarray(names, dtype=object)[rng.choice(len(names), size=n, p=w)]


_ROLE_WEIGHTS = {"manager": 0.25, "frontline_employee": 0.55, "volunteer_coordinator": 0.2,
                 "volunteer_manager": 0.2, "volunteer_consultant": 0.1, "frontline_volunteer": 0.55,
                 "municipal_volunteer": 0.15}
_ORG_WEIGHTS = {"municipal_department": 1.0, "national_ngo_branch": 0.4, "local_association": 0.45,
                "religious_organisation": 0.15, "individual_volunteer": 0.0}
_FRONTLINE = {"frontline_employee", "frontline_volunteer", "municipal_volunteer"}
_MANAGERS = {"manager", "volunteer_manager"}


def simulate_population(n: int, *, seed: int, bank: Bank | None = None,
                        params: SimulationParams | None = None) -> Simulation:
    """Simulate ``n`` respondents; see :func:`simulate`. Also returns latent scores and truth."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    bank = as_bank(bank)
    p = params or SimulationParams()
    schema = schema_for(bank)
    rng = np.random.default_rng(int(seed))
    n = int(n)
    # the steps draw from one generator in this order; reordering them changes every table
    ctx, mun_idx = _respondents(bank, p, rng, n)
    latent = _latent_scores(bank, p, rng, n, ctx, mun_idx)
    careless, flat_pos = _careless(p, rng, n)
    draw = _Draw(bank, p, rng, n, ctx["sector"], latent, careless, flat_pos)
    out: dict[str, Any] = {ID: np.array([str(i) for i in range(1, n + 1)], dtype=object)}
    n_asked = np.zeros(n)
    for col in schema.columns:
        if col.kind in ("id", "duration"):
            continue
        if col.kind in ("select_one", "text"):
            out[col.name] = ctx.get(col.name, np.full(n, None, dtype=object))
        elif col.kind == "integer":
            out[col.name] = _integer_answers(col, rng, n)
        else:
            out[col.name] = _coded_answers(col, draw, n_asked)
    out[DURATION] = _durations(p, rng, n, n_asked, careless)
    table = pd.DataFrame({c.name: _as_dtype(out[c.name], c.dtype) for c in schema.columns})
    table.index = pd.RangeIndex(n)
    lat = pd.DataFrame(latent)
    return Simulation(table=table, latent=lat, careless=pd.Series(careless, name="careless"),
                      params=p)


def _respondents(bank: Bank, p: SimulationParams, rng: np.random.Generator,
                 n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Who answers: sector, the context answers and the municipality (and its index)."""
    sector = np.where(rng.random(n) < p.p_municipal, SECTORS[0], SECTORS[1]).astype(object)
    ctx: dict[str, np.ndarray] = {"sector": sector}
    by_id = {q.id: q for q in bank.context}
    for q in bank.context:
        if q.id == "sector" or q.type != "select_one":
            continue
        vals = np.full(n, None, dtype=object)
        for s in SECTORS:
            rows = np.flatnonzero(sector == s)
            names = [c.name for c in q.choices if s in c.sectors]
            if not names or not len(rows):
                continue
            weights = {"service_area": p.service_areas, "role": _ROLE_WEIGHTS,
                       "organisation_type": _ORG_WEIGHTS}.get(q.id, {})
            w = {x: weights.get(x, 1.0) for x in names}
            if sum(w.values()) <= 0:
                w = {x: 1.0 for x in names}
            vals[rows] = _pick(rng, names, w, len(rows))
        ctx[q.id] = vals
    if "organisation_type" in ctx and "role" in ctx:
        indiv = [c.name for c in by_id["organisation_type"].choices if c.name == "individual_volunteer"]
        if indiv:
            ctx["organisation_type"][ctx["role"] == "municipal_volunteer"] = indiv[0]
    mun_w = 1.0 / np.sqrt(np.arange(1, len(p.municipalities) + 1))
    mun_idx = rng.choice(len(p.municipalities), size=n, p=mun_w / mun_w.sum())
    ctx["municipality"] = np.asarray(p.municipalities, dtype=object)[mun_idx]
    return ctx, mun_idx


def _latent_scores(bank: Bank, p: SimulationParams, rng: np.random.Generator, n: int,
                   ctx: dict[str, np.ndarray], mun_idx: np.ndarray) -> dict[str, np.ndarray]:
    """The structural model of the module docstring, with the hypotheses' mean shifts."""
    mun_eff = rng.normal(0, p.municipality_sd, size=(len(p.municipalities), 2))
    r = p.ins_vin_correlation
    z = rng.standard_normal((n, 2))
    ins = z[:, 0] + mun_eff[mun_idx, 0]
    vin = r * z[:, 0] + np.sqrt(1 - r * r) * z[:, 1] + mun_eff[mun_idx, 1]
    role = ctx.get("role", np.full(n, None, dtype=object))
    area = ctx.get("service_area", np.full(n, None, dtype=object))
    com = p.ins_com * ins + np.sqrt(1 - p.ins_com ** 2) * rng.standard_normal(n)
    com += p.manager_com * np.isin(role, list(_MANAGERS))
    rep = p.vin_rep * vin + np.sqrt(1 - p.vin_rep ** 2) * rng.standard_normal(n)
    rep += p.frontline_rep * np.isin(role, list(_FRONTLINE))
    cov = p.ins_com * p.vin_rep * r
    r2 = p.com_amb ** 2 + p.rep_amb ** 2 + 2 * p.com_amb * p.rep_amb * cov
    amb = p.com_amb * com + p.rep_amb * rep + np.sqrt(max(1 - r2, 0.05)) * rng.standard_normal(n)
    latent = {"INS": ins, "COM": com, "REP": rep, "VIN": vin, "AMB": amb}
    for con in bank.constructs.values():
        if con.kind != "latent" and con.id not in latent:
            s = p.amb_strategy * amb + np.sqrt(1 - p.amb_strategy ** 2) * rng.standard_normal(n)
            if con.id == "SEL":
                s += p.integration_selection * (area == "integration")
            if con.id == "IND":
                s += p.elderly_individualisation * (area == "elderly_care")
            latent[con.id] = s
        elif con.id not in latent:
            latent[con.id] = rng.standard_normal(n)
    return latent


def _careless(p: SimulationParams, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Careless respondents ("straightline" / "random" / "") and each straight-liner's position."""
    careless = np.full(n, "", dtype=object)
    is_careless = rng.random(n) < p.careless_rate
    kind_draw = rng.random(n)
    careless[is_careless & (kind_draw < p.careless_straightline_share)] = "straightline"
    careless[is_careless & (kind_draw >= p.careless_straightline_share)] = "random"
    flat_pos = rng.random(n)  # the straight-liner's position on every scale (0..1)
    return careless, flat_pos


@dataclass(frozen=True)
class _Draw:
    """What the answer step needs of the respondents drawn before it."""

    bank: Bank
    p: SimulationParams
    rng: np.random.Generator
    n: int
    sector: np.ndarray
    latent: dict
    careless: np.ndarray
    flat_pos: np.ndarray


def _integer_answers(col, rng: np.random.Generator, n: int) -> np.ndarray:
    lo = col.min if col.min is not None else 0
    hi = col.max if col.max is not None else lo + 20
    x = np.floor(rng.gamma(2.0, max((hi - lo) / 12, 0.5), size=n)) + lo
    return np.clip(x, lo, hi)


def _coded_answers(col, d: _Draw, n_asked: np.ndarray) -> np.ndarray:
    """Codes of a rating column (item, attention check or rating context question), sector by
    sector, then careless answers, don't know and missing; counts the items asked in ``n_asked``."""
    bank, p, rng, n, sector, latent, careless = d.bank, d.p, d.rng, d.n, d.sector, d.latent, d.careless
    sc = col.scale
    codes = np.full(n, np.nan)
    for s in col.sectors:
        rows = np.flatnonzero(sector == s)
        if not len(rows):
            continue
        if col.kind == "item":
            item = bank.item(col.name)
            lam = _loading(item, s, p)
            eta = latent.get(item.construct, np.zeros(n))[rows]
            sign = -1.0 if item.reverse else 1.0
            tau = _thresholds(item.id, sc, s, item.is_core, p)
        elif col.kind == "attention":
            lam, eta, sign = 0.0, np.zeros(len(rows)), 1.0
            tau = _thresholds(col.name, sc, s, True, p)
        else:  # rating context question
            lam, sign = 0.6, 1.0
            eta = _rating_latent(col.name, rows, sector, latent, p, rng)
            tau = _thresholds(col.name, sc, s, True, p)
        ystar = sign * lam * eta + np.sqrt(1 - lam ** 2) * rng.standard_normal(len(rows))
        codes[rows] = _cut(ystar, tau, sc.min)
        if col.kind == "attention":
            ok = rng.random(len(rows)) >= p.attention_fail_rate
            wrong = rng.choice([c for c in sc.codes if c != col_expected(bank)], size=len(rows))
            codes[rows] = np.where(ok, col_expected(bank), wrong)
        if col.kind in ("item", "attention"):
            k = len(sc.points)
            sl = careless[rows] == "straightline"
            codes[rows[sl]] = sc.min + np.floor(d.flat_pos[rows[sl]] * k)
            rd = careless[rows] == "random"
            codes[rows[rd]] = rng.integers(sc.min, sc.max + 1, size=int(rd.sum()))
            n_asked[rows] += 1
    if col.kind != "attention":
        asked = ~np.isnan(codes)
        u = rng.random(n)
        genuine = careless == ""
        dk = asked & genuine & (u < p.dont_know_rate)
        miss = asked & genuine & (u >= p.dont_know_rate) & (u < p.dont_know_rate + p.missing_rate)
        codes[dk] = sc.dont_know
        codes[miss] = np.nan
    return codes


def _durations(p: SimulationParams, rng: np.random.Generator, n: int, n_asked: np.ndarray,
               careless: np.ndarray) -> np.ndarray:
    """Seconds per respondent (lognormal around 60 s + a share per item asked; speeders faster)."""
    if not p.durations:
        return np.full(n, np.nan)
    med = 60 + p.seconds_per_item * n_asked
    dur = med * np.exp(p.duration_sigma * rng.standard_normal(n))
    speed = (rng.random(n) < p.speeder_rate) | ((careless != "") & (rng.random(n) < p.careless_speeder_share))
    dur = np.where(speed, dur * rng.uniform(0.15, 0.3, size=n), dur)
    return np.round(dur)


def col_expected(bank: Bank) -> int:
    return bank.attention.expected


def _rating_latent(name: str, rows: np.ndarray, sector: np.ndarray, latent: dict,
                   p: SimulationParams, rng: np.random.Generator) -> np.ndarray:
    vol = (sector[rows] == "voluntary").astype(float)
    if name == "asymmetry":
        return p.voluntary_asymmetry * vol - p.voluntary_asymmetry / 2 + 0.3 * latent["REP"][rows]
    if name == "influence":
        return -0.4 * vol + 0.3 * latent["COM"][rows]
    if name == "commitment":
        return 0.4 * latent["COM"][rows] - 0.3 * latent["REP"][rows]
    return np.zeros(len(rows))


def _as_dtype(v: np.ndarray, dtype: str):
    if dtype == "Int64":
        return pd.array(np.asarray(v, dtype=float), dtype="Int64")
    if dtype == "float64":
        return np.asarray(v, dtype=float)
    return pd.array(np.asarray(v, dtype=object), dtype="str")


def simulate(n: int, *, seed: int, bank: Bank | None = None,
             params: SimulationParams | None = None) -> pd.DataFrame:
    """Synthetic responses to the instrument, as a canonical table.

    Parameters
    ----------
    n : int
        Number of respondents.
    seed : int
        Random seed; the same seed (with the same bank and params) gives the same table.
    bank : Bank, optional
        :func:`instrument.load_bank` by default.
    params : SimulationParams, optional
        Population parameters (paths, loadings, rates...); defaults as documented there.

    Returns
    -------
    DataFrame
        The canonical columns; don't know is kept as the scale's code (99), as a platform
        stores it. Write it with :func:`write_simulated`; read a written file back with
        :func:`read_responses`.

    Examples
    --------
    >>> t = simulate(50, seed=7)
    >>> t.shape[0], t["sector"].isin(["municipal", "voluntary"]).all()
    (50, np.True_)
    """
    return simulate_population(n, seed=seed, bank=bank, params=params).table

