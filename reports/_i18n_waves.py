"""UI strings of the comparison's response rates and change between waves, in English and Danish.

Merged into :data:`coprod.reports.i18n.CATALOGUE`; kept apart so the catalogue module stays small.
"""
from __future__ import annotations

__all__ = ["WAVES"]

WAVES: dict[str, dict[str, str]] = {
    "cmp_rates": {"en": "Response rates", "da": "Svarprocenter"},
    "cmp_rates_caption": {"en": "Respondents, invited and response rate per group", "da": "Besvarelser, inviterede og svarprocent pr. gruppe"},
    "cmp_rates_caption_wave": {"en": "Respondents, invited and response rate per group, wave {wave}", "da": "Besvarelser, inviterede og svarprocent pr. gruppe, runde {wave}"},
    "cmp_invited": {"en": "Invited", "da": "Inviterede"},
    "cmp_rate": {"en": "Response rate", "da": "Svarprocent"},
    "cmp_rate_note": {"en": "Response rate: respondents in this report divided by the number invited (coprod study invited). A group hidden for privacy shows no rate and no number invited; a dash means the invited counts do not cover every sector the group has respondents in.",
                      "da": "Svarprocent: besvarelser i denne rapport divideret med antallet af inviterede (coprod study invited). En gruppe, der er skjult af hensyn til anonymiteten, viser hverken svarprocent eller antal inviterede; en tankestreg betyder, at antallet af inviterede ikke dækker alle sektorer, gruppen har besvarelser fra."},
    "cmp_change": {"en": "Change between waves", "da": "Ændring mellem runderne"},
    "cmp_change_caption": {"en": "Change in observed scale means from wave {before} to wave {after} (later minus earlier, 95% CI)",
                           "da": "Ændring i observerede skalagennemsnit fra runde {before} til runde {after} (senere minus tidligere, 95 %-KI)"},
    "cmp_change_means_caption": {"en": "Observed scale means in wave {before} and wave {after}, and the change (95% CI)",
                                 "da": "Observerede skalagennemsnit i runde {before} og runde {after} og ændringen (95 %-KI)"},
    "cmp_wave_n": {"en": "n, wave {wave}", "da": "n, runde {wave}"},
    "cmp_wave_mean": {"en": "Wave {wave}", "da": "Runde {wave}"},
    "cmp_change_col": {"en": "Change", "da": "Ændring"},
    "cmp_waves_ok": {"en": "The questions are understood in the same way in wave {before} and wave {after} (measurement invariance across the waves: {level}), so the change in average scores is shown.",
                     "da": "Spørgsmålene forstås på samme måde i runde {before} og runde {after} (målingsinvarians på tværs af runderne: {level}), så ændringen i gennemsnit vises."},
    "cmp_waves_not_invariant": {"en": "The check of whether the questions are understood in the same way in wave {before} and wave {after} failed (equivalent only up to the level: {level}). A change in average scores could come from how the questions are read, so no change is shown; each wave's observed means are shown as they are.",
                                "da": "Kontrollen af, om spørgsmålene forstås på samme måde i runde {before} og runde {after}, holdt ikke (kun ens op til niveauet: {level}). En ændring i gennemsnit kan skyldes, hvordan spørgsmålene læses, så ingen ændring vises; hver rundes observerede gennemsnit vises, som de er."},
    "cmp_waves_not_tested": {"en": "We could not check whether the questions are understood in the same way in wave {before} and wave {after} (too few respondents, or the models could not be estimated), so no change is shown; each wave's observed means are shown as they are.",
                             "da": "Vi kunne ikke undersøge, om spørgsmålene forstås på samme måde i runde {before} og runde {after} (for få besvarelser, eller modellerne kunne ikke estimeres), så ingen ændring vises; hver rundes observerede gennemsnit vises, som de er."},
    "cmp_waves_note": {"en": "The invariance across waves is tested on all respondents of each wave together (the wave as the group). The waves are treated as independent samples (Welch's confidence interval), which is conservative when the same people answered both. Privacy applies to each wave separately: a group hidden in a wave shows no figure of that wave and no change.",
                       "da": "Invariansen på tværs af runderne testes på alle besvarelser i hver runde samlet (runden som gruppe). Runderne behandles som uafhængige stikprøver (Welchs konfidensinterval), hvilket er forsigtigt, når de samme personer har svaret i begge. Anonymitetsreglen gælder for hver runde for sig: en gruppe, der er skjult i en runde, viser ingen tal fra den runde og ingen ændring."},
    "cmp_waves_hidden_before": {"en": "This group's figures of wave {wave} are not shown, to protect the anonymity of its respondents, so no change is shown either.",
                                "da": "Gruppens tal fra runde {wave} vises ikke for at beskytte besvarelsernes anonymitet, så der vises heller ingen ændring."},
    "inv_level_none": {"en": "none", "da": "ingen"},
    "inv_level_configural": {"en": "configural", "da": "konfigural"},
    "inv_level_metric": {"en": "metric", "da": "metrisk"},
    "inv_level_partial_metric": {"en": "partial metric", "da": "delvis metrisk"},
    "inv_level_scalar": {"en": "scalar", "da": "skalar"},
    "inv_level_partial_scalar": {"en": "partial scalar", "da": "delvis skalar"},
    "inv_level_strict": {"en": "strict", "da": "streng"},
}
