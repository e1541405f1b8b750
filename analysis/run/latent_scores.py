"""Factor scores of an analysis's measurement model, one row per respondent (``coprod analyze --scores``).

The model is the one the analysis reports: the spec's ``cfa`` (or its ``sem`` when there is no
``cfa``), fitted to the rows that analysis used; in instrument mode, the CFA of the constructs on
the respondents the analysis kept. It is fitted again here (same rows, same options, so the same
estimates) because results hold no fitted model. Respondents the fit did not use (a missing
answer under listwise deletion, flagged respondents, rows dropped by the spec's listwise rule)
keep their row, with empty scores.
"""
from __future__ import annotations

import pandas as pd

from coprod.instrument.bank import as_bank
from coprod.instrument.model import Bank

from ..errors import ModelSpecError
from ..models import measurement_model
from ..responses import ResponseData, from_table
from ..sem import factor_scores, fit_sem
from ..sem.scores import SCORE_METHODS
from ..spec import AnalysisSpec
from .instrument_sections import reverse_keyed
from .spec_mode import _check_columns, _rows

__all__ = ["spec_factor_scores", "instrument_factor_scores", "SCORE_METHODS", "ID_COLUMNS"]

#: a spec-mode table's respondent id: the first of these columns it has (else the file row number)
ID_COLUMNS = ("respondent_id", "id")


def spec_factor_scores(data: pd.DataFrame, spec: AnalysisSpec, *, method: str = "regression") -> pd.DataFrame:
    """Scores of the spec's measurement model for every row of ``data``.

    Returns
    -------
    DataFrame
        In the order of ``data``: the id (``respondent_id`` or ``id`` when the table has one,
        else ``row``, the file row with the header as row 1) and one column per factor; rows
        the analysis did not use have NaN scores.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from coprod.analysis.spec import spec_from_dict
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=200)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=200) for i in range(3)})
    >>> df.loc[3, "x1"] = np.nan
    >>> s = spec_factor_scores(df, spec_from_dict({"cfa": "f =~ x0 + x1 + x2"}))
    >>> list(s.columns), int(s["row"].iloc[0]), bool(s["f"].isna().iloc[3])
    (['row', 'f'], 2, True)
    """
    model = spec.cfa or spec.sem
    if not model:
        raise ModelSpecError("--scores needs a model: the spec has neither cfa nor sem")
    _check_columns(data, spec)
    df, _summary, _notes = _rows(data, spec)
    fit = _converged(fit_sem(df, model, missing="fiml" if spec.missing == "fiml" else "listwise"))
    scores = factor_scores(fit, df, method=method).reindex(data.index)
    id_col = next((c for c in ID_COLUMNS if c in data.columns), None)
    ids = (data[id_col] if id_col else pd.Series(range(2, len(data) + 2), index=data.index, name="row"))
    return pd.concat([ids.rename(id_col or "row"), scores], axis=1).reset_index(drop=True)


def instrument_factor_scores(data, *, bank: Bank | None = None, keep_flagged: bool = False,
                             missing: str = "listwise", method: str = "regression") -> pd.DataFrame:
    """Scores of the instrument's CFA (one factor per construct) for every respondent read.

    ``data`` is what :func:`coprod.read_responses` returned (or a canonical table); the result has
    ``respondent_id`` and one column per construct, in the order of the responses; flagged
    respondents (unless ``keep_flagged``) and rows the fit did not use have NaN scores.
    """
    bank = as_bank(bank)
    rd = data if isinstance(data, ResponseData) else from_table(data, bank=bank, strict=False)
    df = reverse_keyed(rd.analysis_table(keep_flagged=keep_flagged), bank)
    fit = _converged(fit_sem(df, measurement_model(bank, bank.latent_order, None), missing=missing))
    scores = factor_scores(fit, df, method=method).reindex(rd.table.index)
    return pd.concat([rd.table["respondent_id"], scores], axis=1).reset_index(drop=True)


def _converged(fit):
    if not fit.converged:
        raise ModelSpecError("factor scores not written: the measurement model did not converge "
                             f"({fit.meta.get('optimizer_message', '')})")
    return fit
