"""Lavaan-syntax models generated from the instrument (constructs.md, "Structural model").

The same strings drive our SEM engine and any cross-check in R, so they are plain lavaan syntax.

Which items go where (constructs.md): within one sector a construct's scale is its core items plus
that sector's facet items; across sectors (invariance, multi-group models, pooled models) only
the mirrored core items are used. The latent constructs and their causal order are bank data
(``bank.latent_order``, from ``analysis.yaml``).
"""
from __future__ import annotations

from coprod.instrument.model import Bank

__all__ = ["scale_items", "measurement_model", "structural_model", "defined_effects"]


def defined_effects(bank: Bank) -> dict[str, str]:
    """The defined effects of the structural model (name → lavaan expression of path labels).

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> defined_effects(load_bank())["ind_INS_COM_AMB"]
    'a1*b1'
    """
    return dict(bank.structural.defined)


def scale_items(bank: Bank, construct: str, sector: str | None = None) -> list[str]:
    """Item ids of a construct's scale: the sector's full scale, or the core items when ``sector``
    is ``None`` (comparable across sectors)."""
    if sector is None:
        return [i.id for i in bank.items if i.construct == construct and i.is_core]
    return [i.id for i in bank.items_for(sector, construct)]


def measurement_model(bank: Bank, constructs: tuple[str, ...] | list[str] | None = None,
                      sector: str | None = None) -> str:
    """``F =~ i1 + i2 + ...`` lines for ``constructs`` (the bank's latent constructs in causal
    order by default; core items when ``sector`` is None).

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> print(measurement_model(load_bank("tests/fixtures/bank_min"), ["INS"]))
    INS =~ INS_C1 + INS_C2
    """
    lines = []
    for c in bank.latent_order if constructs is None else constructs:
        items = scale_items(bank, c, sector)
        if len(items) >= 2:
            lines.append(f"{c} =~ " + " + ".join(items))
    return "\n".join(lines)


def structural_model(bank: Bank, sector: str | None = None,
                     strategies: tuple[str, ...] | None = None, *, labels: bool = True) -> str:
    """The structural model of ``bank`` (``analysis.yaml``: H1–H4) with labelled paths and the
    defined effects, as lavaan syntax.

    ``labels=False`` leaves the paths unlabelled and defines no effects: in a multi-group model a
    label names one parameter shared by every group (lavaan's rule), which would force the paths
    to be equal across groups.

    ``strategies`` defaults to the boundary-work strategies asked of every respondent in scope:
    with ``sector=None`` (pooled, core items) those asked of both sectors (DEM, WEL); within a
    sector, all of that sector's strategies. An equation whose constructs are not all measured
    (two or more items in scope) is left out, and so is a defined effect that uses its labels.

    Examples
    --------
    >>> from coprod.instrument.bank import load_bank
    >>> print(structural_model(load_bank(), None).split("# structural paths")[1].strip())
    COM ~ a1*INS
    REP ~ a2*VIN
    AMB ~ b1*COM + b2*REP
    # strategies on AMB
    DEM ~ AMB
    WEL ~ AMB
    # defined effects
    ind_INS_COM_AMB := a1*b1
    ind_VIN_REP_AMB := a2*b2
    ind_difference := a1*b1 - a2*b2
    """
    design = bank.structural
    if strategies is None:
        strategies = tuple(c.id for c in bank.constructs.values() if c.kind == "strategy"
                           and (set(c.sectors) == {"municipal", "voluntary"} if sector is None
                                else sector in c.sectors))
    latent = [c for c in bank.latent_order if c in bank.constructs]
    meas = measurement_model(bank, [*latent, *strategies], sector)
    present = {line.split(" =~ ")[0] for line in meas.splitlines()}
    lines = [meas, "# structural paths"]
    used: set[str] = set()
    for r in design.regressions:
        if r.outcome in present and all(cause in present for cause, _ in r.causes):
            lines.append(f"{r.outcome} ~ " + " + ".join(f"{lab}*{cause}" if labels and lab else cause
                                                          for cause, lab in r.causes))
            used.update(lab for _, lab in r.causes if lab)
    on = design.strategies_on
    st = [s for s in strategies if s in present]
    if st and on in present:
        lines.append(f"# strategies on {on}")
        lines.extend(f"{s} ~ {on}" for s in st)
    effects = [(k, v) for k, v in design.defined if design.names_in(v) <= used] if labels else []
    if effects:
        lines.append("# defined effects")
        lines.extend(f"{k} := {v}" for k, v in effects)
    return "\n".join(lines)
