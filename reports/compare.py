"""The comparative reports of ``coprod compare``: groups side by side, one page per group.

:func:`build_comparison` renders the result of :func:`coprod.analysis.compare.compare_groups` as
these files, in memory (``coprod.workflow.compare_file`` reads the response file and writes them):

* ``index.html`` -- the groups side by side (group sizes, heatmap, and -- only where the means are
  comparable -- construct means with 95% CIs, effect sizes and strategy profiles),
* ``group-<slug>.html`` -- one page per group (ASCII slug, ``Høje-Taastrup`` ->
  ``group-hoeje-taastrup.html``; collisions get ``-2``, ``-3`` ...),
* ``benchmark-<slug>.html`` (``benchmark=True``) -- one page per group shown, to send to it: its
  figures against the others' quartiles, naming no other group,
* ``results.json`` -- the published figures; ``groups`` maps each group's value to its results,
  each with ``n`` and ``suppressed``.

The figures that may be published are worked out once (:func:`coprod.reports.views.published.publish`);
the pages are rendered from typed view-models built from them (:mod:`coprod.reports.views.compare`)
and ``results.json`` is their JSON, made only here. Group and construct names come from the
``Bank`` the groups were compared with, which the caller passes.

Privacy
-------
Group sizes go through :func:`reports.suppression.suppress_small_cells` (primary: fewer than
``min_cell`` respondents; secondary: further groups hidden so that a small one cannot be worked
out from the total). A suppressed group -- primary or secondary, the report does not say which,
since that would tell that the group is small -- shows **no figures anywhere**: not its n, means,
CIs, effect sizes, strategy profile, sector split or structural paths. In ``results.json`` it is
``{"n": null, "suppressed": true}``; on the index and the heatmap it is hatched "suppressed", which
looks different from "no data" (a construct nobody in the group answered). Single cells (valid n of
one construct within a shown group) are suppressed the same way, per construct
(:func:`reports.suppression.suppress_columns`), and the split by sector within a group too. If all
groups together are fewer than ``min_cell``, the overall figures are hidden as well. Invariance
details that name group sizes (per-group chi-square, meta) are not published.

Means
-----
Observed scale means with 95% CIs are shown for every group shown, labelled as observed. They
are compared (dot/CI plots, effect sizes, means heatmap) only when
``ComparisonResult.means_comparable`` (scalar invariance for every group); otherwise the pages say
so and why in plain language, and the index heatmap shows the valid number of answers per group
and construct instead. A group under the analytic minimum (``--min-analytic``, default 50) has
descriptive figures only and says so. With 5 or more groups at the minimum, latent means are
compared by alignment (:mod:`coprod.analysis.alignment`) with its share of approximately
non-invariant parameters and the 25% rule; when a group hidden for privacy took part, no aligned
figure is shown. Strategy profiles: a group page always shows its own, labelled descriptive when
means are not comparable. Structural paths are estimated within each group and shown on its page
when its model exists.

No respondent-level rows and no free-text answers are written: only the aggregates of
``ComparisonResult``.
"""
from __future__ import annotations

import dataclasses
import json
import re
import unicodedata

from coprod import __version__

from .env import render
from .i18n import t
from .views._shared import TocEntry
from .views.benchmark import benchmark_page
from .views.compare import construct_infos, display_label, display_order, group_page, index_page, page_common
from .views.published import masks, publish
from .views.published_waves import publish_change, publish_rates
from .views.waves import rates_view, waves_group_view, waves_index_view

__all__ = ["build_comparison", "hidden_groups", "slugify", "group_slugs", "published_results"]

_TRANSLIT = {"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "ß": "ss",
             "ö": "oe", "ä": "ae", "ü": "ue", "Ö": "Oe", "Ä": "Ae", "Ü": "Ue", "đ": "d", "ł": "l"}


# --------------------------------------------------------------------------- slugs
def slugify(value: str) -> str:
    """A safe ASCII slug: ``slugify("Høje-Taastrup") == "hoeje-taastrup"``; never empty."""
    text = "".join(_TRANSLIT.get(ch, ch) for ch in str(value))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:60].strip("-") or "group"


def group_slugs(labels) -> dict[str, str]:
    """One unique slug per label, in order; collisions get ``-2``, ``-3`` ..."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for label in labels:
        base = slugify(label)
        slug, k = base, 1
        while slug in used:
            k += 1
            slug = f"{base}-{k}"
        used.add(slug)
        out[label] = slug
    return out


# --------------------------------------------------------------------------- files
def published_results(result, *, bank=None, min_cell: int = 5, meta: dict | None = None) -> dict:
    """The JSON-safe figures the reports publish, with suppression applied (``results.json``).

    ``bank`` tells strategies from latent constructs where ``result.meta`` does not
    (``construct_kinds``); without it, unknown ids count as latent.
    """
    return publish(result, bank=bank, min_cell=min_cell, meta=meta).to_dict()


def build_comparison(result, *, bank, min_cell: int = 5, lang: str = "en", meta: dict | None = None,
                     benchmark: bool = False, rates=None, change=None) -> dict[str, str]:
    """All files of the comparison, in memory: file name -> text.

    Parameters
    ----------
    result : ComparisonResult
        From :func:`coprod.analysis.compare.compare_groups`.
    bank : Bank or None
        The item bank the groups were compared with: answer labels name the groups, construct
        names and scales label the figures (``None``: ids only).
    min_cell : int
        Groups and cells with fewer respondents are suppressed (see the module's Privacy notes).
    lang : {"en", "da"}
    meta : dict, optional
        Added to the ``meta`` of ``results.json`` (input file, hash...).
    benchmark : bool
        Also ``benchmark-<slug>.html`` for every group shown: its figures against the others'
        quartiles, naming no other group (:mod:`coprod.reports.views.benchmark`).
    rates : ResponseRates, optional
        Response rates per group (:func:`coprod.analysis.run.rates.response_rates`): a table on the
        index and the rate on each group's page, suppressed with the groups.
    change : WaveChange, optional
        The change per group between two waves (:func:`coprod.analysis.run.waves.compare_waves`),
        ``result`` being the later wave's comparison: a section on the index and on each group page.

    Examples
    --------
    >>> files = build_comparison(result, bank=bank, min_cell=5)  # doctest: +SKIP
    >>> sorted(files)[:2]                                          # doctest: +SKIP
    ['group-aarhus.html', 'group-odense.html']
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"min_cell must be a positive integer, got {min_cell!r}")
    pub = publish(result, bank=bank, min_cell=min_cell, meta=meta)
    labels = display_order(pub.groups)
    slugs = group_slugs(labels)
    infos = construct_infos(pub, bank, lang)
    common = page_common(pub, version=__version__, lang=lang)
    pub_rates = publish_rates(rates, pub.hidden, pub.hide_total)
    pub_change = publish_change(change, min_cell=min_cell, page_hidden=pub.hidden)
    shown = {g: display_label(bank, pub.by, g, lang) for g in labels}
    index = index_page(pub, common, bank=bank, infos=infos, slugs=slugs, lang=lang)
    extra = (((TocEntry("rates", t("cmp_rates", lang)),) if pub_rates else ())
             + ((TocEntry("change", t("cmp_change", lang)),) if pub_change else ()))
    index = dataclasses.replace(index, rates=rates_view(pub_rates, labels, shown, lang),
                                waves=waves_index_view(pub_change, infos, labels, shown, lang), toc=index.toc + extra)
    files = {"index.html": render("compare_index.html.j2", lang=lang, **index.context())}
    for g in labels:
        page = group_page(g, pub, common, bank=bank, infos=infos, lang=lang)
        if not pub.groups[g].suppressed:
            page = dataclasses.replace(page, rate=pub_rates.groups.get(g) if pub_rates else None,
                                       waves=waves_group_view(pub_change, g, infos, lang))
        files[f"group-{slugs[g]}.html"] = render("compare_group.html.j2", lang=lang, **page.context())
    if benchmark:
        for g in labels:
            if not pub.groups[g].suppressed:
                page = benchmark_page(g, pub, common, bank=bank, infos=infos, lang=lang)
                files[f"benchmark-{slugs[g]}.html"] = render("compare_benchmark.html.j2", lang=lang, **page.context())
    files["results.json"] = json.dumps(_with_waves(pub.to_dict(), pub_rates, pub_change), ensure_ascii=False,
                                       indent=1, allow_nan=False)
    return files


def _with_waves(out: dict, rates, change) -> dict:
    """results.json with the published response rates and change between waves, when there are."""
    if rates is not None:
        out["response_rates"] = rates.to_dict()
    if change is not None:
        out["waves"] = change.to_dict()
    return out


def hidden_groups(result, min_cell: int = 5) -> set[str]:
    """The groups whose figures are suppressed (primary or secondary) at ``min_cell``."""
    row, _, _ = masks(result, min_cell)
    return {g for g in result.groups if bool(row.get(g, False))}
