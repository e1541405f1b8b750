"""The one jinja2 Environment of coprod's reports, its number filters and ``render``.

Numbers reach templates unrounded; they are rounded only here, by the filters:

========================  ====================  ===================
template                  en                    da
========================  ====================  ===================
``{{ 0.12345|num }}``     ``0.12``              ``0,12``
``{{ 1234.5|num(1) }}``   ``1,234.5``           ``1.234,5``
``{{ 0.0004|pval }}``     ``< .001``            ``< 0,001``
``{{ 0.0234|pval }}``     ``.023``              ``0,023``
``{{ 0.123|pct }}``       ``12%``               ``12 %``
``{{ lo|ci(hi) }}``       ``[0.71, 0.84]``      ``[0,71; 0,84]``
``{{ 0.004|stars }}``     ``**``                ``**``
========================  ====================  ===================

Missing values (None, NaN, pd.NA) print as an en dash "–"; a suppressed value
(:data:`reports.suppression.SUPPRESSED`) prints as the word "suppressed" in the report's language,
so the two never look alike. Negative numbers use the minus sign U+2212.

Filters and ``t()`` read the report language from the template variable ``lang``, which
:func:`render` always sets; templates that import macros must do so ``with context``.
"""
from __future__ import annotations

import functools
import math
from numbers import Real

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape

from coprod.instrument.errors import CoprodError
from coprod.reports.i18n import LANGS, t
from coprod.reports.suppression import SUPPRESSED

__all__ = [
    "MISSING",
    "ReportError",
    "fmt_ci",
    "fmt_count",
    "fmt_num",
    "fmt_pct",
    "fmt_pval",
    "get_environment",
    "render",
    "signif_stars",
]

MISSING = "\u2013"  # en dash
_MINUS = "\u2212"
_NBSP = "\u00a0"


class ReportError(CoprodError, ValueError):
    """A report cannot be rendered as asked (unknown language, bad value for a filter ...)."""


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ReportError(f"unknown report language {lang!r}; expected one of {', '.join(LANGS)}")
    return lang


def _is_missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN, pd.NA (whose != raises TypeError in bool()), NaT
    except TypeError:
        return True


def _as_float(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ReportError(f"{what} expects a number, got {type(x).__name__} {x!r}")
    return float(x)


def _localise(text: str, lang: str) -> str:
    if lang == "da":  # 1,234.5 -> 1.234,5
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def fmt_num(x: object, digits: int = 2, *, lang: str = "en") -> str:
    """``x`` rounded to ``digits`` decimals with thousands separators, in ``lang``'s notation.

    >>> fmt_num(0.12345), fmt_num(0.12345, lang="da"), fmt_num(-1234.5, 1, lang="da")
    ('0.12', '0,12', '−1.234,5')
    >>> fmt_num(None), fmt_num(float("nan")), fmt_num(-0.001)
    ('–', '–', '0.00')
    """
    _check_lang(lang)
    if x is SUPPRESSED:
        return t("suppressed", lang)
    if _is_missing(x):
        return MISSING
    value = _as_float(x, "num")
    if math.isinf(value):
        return ("" if value > 0 else _MINUS) + "\u221e"
    text = f"{abs(value):,.{int(digits)}f}"
    negative = value < 0 and any(c not in "0.," for c in text)  # no "−0.00"
    return (_MINUS if negative else "") + _localise(text, lang)


def fmt_count(x: object, *, lang: str = "en") -> str:
    """A whole number with thousands separators: ``fmt_count(12345) == "12,345"``."""
    return fmt_num(x, 0, lang=lang)


def fmt_pval(p: object, *, digits: int = 3, lang: str = "en") -> str:
    """A p-value, APA style in English (no leading zero), with a leading zero in Danish.

    >>> fmt_pval(0.0004), fmt_pval(0.0234), fmt_pval(0.0004, lang="da"), fmt_pval(0.9999)
    ('< .001', '.023', '< 0,001', '> .999')
    """
    _check_lang(lang)
    if p is SUPPRESSED:
        return t("suppressed", lang)
    if _is_missing(p):
        return MISSING
    value = _as_float(p, "pval")
    if not 0.0 <= value <= 1.0:
        raise ReportError(f"pval expects a probability in [0, 1], got {value!r}")
    floor = 10.0 ** -int(digits)
    if value < floor:
        return "< " + _strip_zero(fmt_num(floor, digits, lang=lang), lang)
    if value > 1 - floor:
        return "> " + _strip_zero(fmt_num(1 - floor, digits, lang=lang), lang)
    return _strip_zero(fmt_num(value, digits, lang=lang), lang)


def _strip_zero(text: str, lang: str) -> str:
    # APA drops the leading zero of quantities that cannot exceed 1; Danish usage keeps it
    return text[1:] if lang == "en" and text.startswith("0.") else text


def fmt_pct(x: object, digits: int = 0, *, lang: str = "en") -> str:
    """A proportion (0.123) as a percentage: ``12%`` in English, ``12 %`` (no-break space) in Danish."""
    _check_lang(lang)
    if x is SUPPRESSED:
        return t("suppressed", lang)
    if _is_missing(x):
        return MISSING
    number = fmt_num(_as_float(x, "pct") * 100, digits, lang=lang)
    return number + ("%" if lang == "en" else _NBSP + "%")


def fmt_ci(lower: object, upper: object = None, digits: int = 2, *, lang: str = "en") -> str:
    """A confidence interval: ``[0.71, 0.84]``; Danish ``[0,71; 0,84]``.

    ``lower`` may also be a (lower, upper) pair.

    >>> fmt_ci(0.7123, 0.8391), fmt_ci((0.7123, 0.8391), lang="da")
    ('[0.71, 0.84]', '[0,71; 0,84]')
    """
    _check_lang(lang)
    if upper is None and isinstance(lower, (tuple, list)):
        if len(lower) != 2:
            raise ReportError(f"ci expects a (lower, upper) pair, got {lower!r}")
        lower, upper = lower
    if _is_missing(lower) and _is_missing(upper):
        return MISSING
    sep = ", " if lang == "en" else "; "
    return f"[{fmt_num(lower, digits, lang=lang)}{sep}{fmt_num(upper, digits, lang=lang)}]"


def signif_stars(p: object, levels: tuple[float, float, float] = (0.05, 0.01, 0.001)) -> str:
    """``*`` p < .05, ``**`` p < .01, ``***`` p < .001; empty otherwise or when p is missing.

    >>> [signif_stars(p) for p in (0.2, 0.04, 0.004, 0.0004, None)]
    ['', '*', '**', '***', '']
    """
    if p is SUPPRESSED or _is_missing(p):
        return ""
    value = _as_float(p, "signif_stars")
    return "*" * sum(value < level for level in levels)


def _context_lang(ctx) -> str:
    lang = ctx.get("lang")
    if lang is None:
        raise ReportError(
            "the template has no 'lang' variable: render through reports.env.render(), "
            "and import macros 'with context'"
        )
    return _check_lang(lang)


def _lang_filter(fn):
    @pass_context
    def flt(ctx, value, *args, lang: str | None = None, **kwargs):
        return fn(value, *args, lang=lang or _context_lang(ctx), **kwargs)

    flt.__name__ = fn.__name__
    flt.__doc__ = fn.__doc__
    return flt


@pass_context
def _t_global(ctx, key: str, /, **fields: object) -> str:
    return t(key, _context_lang(ctx), **fields)


@functools.cache
def get_environment() -> Environment:
    """The reports' jinja2 Environment (built once): templates from ``reports/templates``.

    Autoescaping is on for every template, and undefined variables raise.
    """
    env = Environment(
        loader=PackageLoader("coprod.reports", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "svg", "j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=_lang_filter(fmt_num),
        count=_lang_filter(fmt_count),
        pval=_lang_filter(fmt_pval),
        pct=_lang_filter(fmt_pct),
        ci=_lang_filter(fmt_ci),
        stars=signif_stars,
        signif_stars=signif_stars,
    )
    env.tests["suppressed"] = lambda value: value is SUPPRESSED
    env.tests["missing"] = lambda value: value is not SUPPRESSED and _is_missing(value)
    env.globals["t"] = _t_global
    return env


def render(template_name: str, *, lang: str = "en", **context: object) -> str:
    """Render ``reports/templates/<template_name>`` in ``lang`` ("en" or "da").

    Every variable the template uses must be passed: a missing one raises
    ``jinja2.UndefinedError`` instead of printing nothing.
    """
    _check_lang(lang)
    return get_environment().get_template(template_name).render(lang=lang, **context)
