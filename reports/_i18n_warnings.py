"""The analysis's warnings in Danish: English templates exactly as the analysis writes them, beside
their Danish (issue 11, item 6).

results.json keeps the English text (the machine record); :mod:`coprod.reports.warning_text`
translates at rendering. A template's ``{name}`` matches any text; that text is kept as it is
(item ids, group values, file names), unless it is itself one of :data:`FRAGMENTS` (nested English:
" in group 'x'", the optimiser's messages) or a decimal number (written with a decimal comma).
tests/reports/test_warnings_da.py walks the package's source for every warning it can write and
fails when one has no Danish here.
"""
from __future__ import annotations

__all__ = ["LABELS", "GROUPINGS", "MESSAGES", "FRAGMENTS", "VERBATIM"]

#: the "name: " prefixes of a warning or error: results.json sections (collect_warnings), analysis
#: steps (Steps' errors), invariance levels, sub-models; ``name[x]`` keeps x (a sector, a group
#: value), translating it only when it is one of GROUPINGS
LABELS: dict[str, str] = {
    "data": "data", "sample": "stikprøve", "items": "spørgsmål", "reliability": "reliabilitet",
    "efa": "EFA", "factorability": "faktoriserbarhed", "omega_hierarchical": "hierarkisk omega",
    "omega_h": "ω_h", "cfa": "CFA", "cfa_by_sector": "CFA pr. sektor", "validity": "validitet",
    "htmt": "HTMT", "invariance": "invarians", "invariance_by": "invarians", "ordinal": "ordinal analyse",
    "wlsmv_cfa": "WLSMV-CFA", "sem": "SEM", "sem_by_sector": "SEM pr. sektor", "sem[by sector]": "SEM pr. sektor",
    "scores": "skalascorer", "strategies": "strategier", "hypotheses": "hypoteser",
    "configural": "konfigural", "metric": "metrisk", "scalar": "skalar", "strict": "streng",
    "partial_metric": "delvis metrisk", "partial_scalar": "delvis skalar", "partial_strict": "delvis streng",
    "Fornell-Larcker": "Fornell-Larcker",
}
#: grouping columns of the instrument, as they appear in step names (``invariance[sector]``)
GROUPINGS: dict[str, str] = {"sector": "sektor", "service_area": "serviceområde", "municipality": "kommune",
                             "wave": "bølge", "role": "rolle"}

#: (English, Danish); ``{error}`` is an exception's message, itself translated when it is one of these;
#: ``{name}`` is any text (as short as the rest of the template allows; ``{name_}``
#: as long), the same name twice is the same text
MESSAGES: tuple[tuple[str, str], ...] = (
    # ---- structural equation models (analysis/sem)
    # a count of 1 in the singular (before the general template, which would also match)
    ("only 1 usable row(s){where}: the model cannot be estimated",
     "kun 1 brugbar række{where}: modellen kan ikke estimeres"),
    ("only 1 group(s) in '{group}': invariance cannot be tested",
     "kun 1 gruppe i '{group}': invarians kan ikke testes"),
    ("1 row(s) with missing responses dropped (listwise, as lavaan's default for ordered items)",
     "1 række med manglende svar udeladt (listevis, som lavaans standard for ordinale spørgsmål)"),
    ("1 respondent(s) who did not consent were left out", "1 respondent, der ikke gav samtykke, blev udeladt"),
    ("1 group(s) suppressed for privacy (min. n = {min_cell})",
     "1 gruppe skjult af hensyn til fortroligheden (min. n = {min_cell})"),
    ("only {n} usable row(s){where}: the model cannot be estimated",
     "kun {n} brugbare rækker{where}: modellen kan ikke estimeres"),
    ("column '{col}' is constant{where}: its variance is 0 and the sample covariance matrix is singular",
     "kolonnen '{col}' er konstant{where}: dens varians er 0, og stikprøvens kovariansmatrix er singulær"),
    ("fewer usable rows ({n}) than free parameters ({npar}): estimates are unreliable or not identified",
     "færre brugbare rækker ({n}) end frie parametre ({npar}): estimaterne er usikre eller ikke identificerede"),
    ("model is not identified: {npar} free parameters but only {m} sample moments (df = {df})",
     "modellen er ikke identificeret: {npar} frie parametre, men kun {m} stikprøvemomenter (frihedsgrader = {df})"),
    ("model is not identified: {npar} free parameters but only {m} sample statistics (df = {df})",
     "modellen er ikke identificeret: {npar} frie parametre, men kun {m} stikprøvestørrelser (frihedsgrader = {df})"),
    ("{n} row(s) with a missing exogenous covariate dropped (fixed.x)",
     "{n} rækker med manglende værdi på en eksogen kovariat udeladt (fixed.x)"),
    ("group_equal ignored: no group column given", "group_equal ignoreret: ingen gruppekolonne angivet"),
    ("EM for the saturated (h1) model did not converge", "EM for den mættede model (h1) konvergerede ikke"),
    ("sample covariance matrix is not positive definite{where}: χ² and logL_h1 undefined",
     "stikprøvens kovariansmatrix er ikke positiv definit{where}: χ² og logL_h1 er udefinerede"),
    ("model did not converge: {message}", "modellen konvergerede ikke: {message}"),
    ("implied covariance matrix not positive definite: no standard errors",
     "den modelimplicerede kovariansmatrix er ikke positiv definit: ingen standardfejl"),
    ("information matrix is not finite: standard errors not computed",
     "informationsmatricen er ikke endelig: standardfejl ikke beregnet"),
    ("information matrix is singular (smallest eigenvalue {ev}): the model may not be identified; "
     "standard errors not computed",
     "informationsmatricen er singulær (mindste egenværdi {ev}): modellen er muligvis ikke identificeret; "
     "standardfejl ikke beregnet"),
    ("information matrix is singular (smallest eigenvalue {ev}): the model may not be identified; "
     "standard errors and scaled tests not computed",
     "informationsmatricen er singulær (mindste egenværdi {ev}): modellen er muligvis ikke identificeret; "
     "standardfejl og skalerede test ikke beregnet"),
    ("negative variance estimate(s) (Heywood case; solution not admissible): {params}",
     "negative variansestimater (Heywood-tilfælde; løsningen er ikke tilladelig): {params}"),
    ("covariance matrix of the latent variables is not positive definite{where}",
     "kovariansmatricen for de latente variabler er ikke positiv definit{where}"),
    ("model-implied covariance matrix is not positive definite{where}",
     "den modelimplicerede kovariansmatrix er ikke positiv definit{where}"),
    ("bootstrap skipped: the full-sample fit did not converge",
     "bootstrap sprunget over: modellen for hele stikprøven konvergerede ikke"),
    ("{n_failed} of {n} bootstrap draws did not converge and were dropped",
     "{n_failed} af {n} bootstrap-træk konvergerede ikke og blev udeladt"),
    ("{n} bootstrap draws gave non-admissible solutions (kept, as lavaan does)",
     "{n} bootstrap-træk gav ikke-tilladelige løsninger (beholdt, som i lavaan)"),
    ("model syntax gives a variance, covariance or intercept for exogenous covariate(s) {names}: "
     "they are estimated, not fixed.x",
     "modelsyntaksen angiver en varians, kovarians eller et skæringspunkt for eksogene kovariater {names}: "
     "de estimeres, ikke fixed.x"),
    # ---- DWLS / WLSMV (analysis/sem/dwls*.py)
    ("residual variances of ordered indicators are not parameters in the delta parameterization "
     "(1 − explained variance); ignored for {names}",
     "residualvarianser for ordinale indikatorer er ikke parametre i delta-parametriseringen "
     "(1 − forklaret varians); ignoreret for {names}"),
    ("some polychoric correlations have zero weight (degenerate Γ)",
     "nogle polykoriske korrelationer har vægten 0 (degenereret Γ)"),
    ("negative residual variance(s) of latent responses (Heywood case; solution not admissible): {names}",
     "negative residualvarianser for latente svar (Heywood-tilfælde; løsningen er ikke tilladelig): {names}"),
    ("covariance matrix of the latent variables is not positive definite",
     "kovariansmatricen for de latente variabler er ikke positiv definit"),
    ("model-implied correlation matrix of the latent responses is not positive definite",
     "den modelimplicerede korrelationsmatrix for de latente svar er ikke positiv definit"),
    ("the polychoric correlation matrix is not positive definite: robust CFI/TLI/RMSEA not computed "
     "(lavaan gives NA)",
     "den polykoriske korrelationsmatrix er ikke positiv definit: robust CFI/TLI/RMSEA ikke beregnet "
     "(lavaan giver NA)"),
    ("model-implied correlation matrix not positive definite: robust fit indices not computed",
     "den modelimplicerede korrelationsmatrix er ikke positiv definit: robuste tilpasningsindeks ikke beregnet"),
    # ---- measurement invariance (analysis/sem/invariance.py)
    ("only {n} group(s) in '{group}': invariance cannot be tested",
     "kun {n} grupper i '{group}': invarians kan ikke testes"),
    ("{level} {what} did not converge ({message}): {level} invariance not tested",
     "{what} for {level} invarians konvergerede ikke ({message}): {level} invarians ikke testet"),
    ("partial {level} invariance: still rejected after freeing {k} of {n} constraints (the most allowed, "
     "{max}); {level} does not hold",
     "delvis {level} invarians: stadig forkastet efter frigivelse af {k} af {n} bindinger (højst tilladt: "
     "{max}); {level} invarians holder ikke"),
    # ---- exploratory factor analysis, factorability (analysis/efa.py, _extraction.py, factorability.py)
    ("items with no variance were left out: {items}", "spørgsmål uden varians blev udeladt: {items}"),
    ("cannot extract {k} factor(s) from {p} item(s) with variance",
     "kan ikke udtrække {k} faktorer af {p} spørgsmål med varians"),
    ("too few complete rows ({n}) for a factor analysis", "for få komplette rækker ({n}) til en faktoranalyse"),
    ("{k} factors for {p} items leave negative degrees of freedom ({df})",
     "{k} faktorer for {p} spørgsmål giver negative frihedsgrader ({df})"),
    ("the correlation matrix has undefined entries (pairs of items never observed together)",
     "korrelationsmatricen har udefinerede elementer (par af spørgsmål, der aldrig er besvaret sammen)"),
    ("the correlation matrix is singular: the ML factor model is undefined (use method='minres' or remove "
     "redundant items)",
     "korrelationsmatricen er singulær: ML-faktormodellen er udefineret (brug method='minres' eller fjern "
     "overflødige spørgsmål)"),
    ("the factor extraction did not converge", "faktorudtrækningen konvergerede ikke"),
    ("an ultra-Heywood case (communality > 1) was found; examine the solution",
     "et ultra-Heywood-tilfælde (kommunalitet > 1) blev fundet; undersøg løsningen"),
    ("uniqueness of {items} at psych's lower bound {bound} (Heywood case): held at the bound, not estimated; "
     "its communality is then near or above 1",
     "unikheden for {items} ligger på psychs nedre grænse {bound} (Heywood-tilfælde): den holdes på grænsen "
     "og estimeres ikke; kommunaliteten er da nær eller over 1"),
    ("the study holds waves {waves}: wave {last} is compared with wave {before}; choose others with --waves A,B, "
     "or one wave with --wave",
     "undersøgelsen har bølgerne {waves}: bølge {last} sammenlignes med bølge {before}; vælg andre med "
     "--waves A,B, eller én bølge med --wave"),
    ("uniqueness of {items} at psych's lower bound {bound} (Heywood case): there the solution depends on the "
     "optimiser's path, and loadings and communalities may differ from psych::fa in the 3rd-4th decimal",
     "unikheden for {items} ligger på psychs nedre grænse {bound} (Heywood-tilfælde): her afhænger løsningen "
     "af optimeringens vej, og ladninger og kommunaliteter kan afvige fra psych::fa i 3.-4. decimal"),
    ("factorability needs at least 2 items with variance and 3 complete rows (have {p} items, {n} rows)",
     "faktoriserbarhed kræver mindst 2 spørgsmål med varians og 3 komplette rækker (har {p} spørgsmål, "
     "{n} rækker)"),
    ("the correlation matrix is singular or not positive definite (an item is a linear combination of "
     "others, fewer rows than items, or pairwise correlations that do not fit together): KMO and Bartlett's "
     "test are undefined",
     "korrelationsmatricen er singulær eller ikke positiv definit (et spørgsmål er en linearkombination af "
     "andre, færre rækker end spørgsmål, eller parvise korrelationer, der ikke passer sammen): KMO og "
     "Bartletts test er udefinerede"),
    ("parallel analysis needs at least 2 items with variance and 3 complete rows (have {p} items)",
     "parallelanalyse kræver mindst 2 spørgsmål med varians og 3 komplette rækker (har {p} spørgsmål)"),
    ("the correlation matrix is singular; observed eigenvalues are still reported",
     "korrelationsmatricen er singulær; de observerede egenværdier vises stadig"),
    ("every observed eigenvalue exceeds the simulated ones (psych reports NA here)",
     "alle observerede egenværdier overstiger de simulerede (psych giver NA her)"),
    # ---- omega hierarchical (analysis/omega.py)
    ("too few complete rows ({n})", "for få komplette rækker ({n})"),
    ("{k} group factors need at least {m} items with variance (have {p})",
     "{k} gruppefaktorer kræver mindst {m} spørgsmål med varians (har {p})"),
    ("undefined correlations (pairs of items never observed together)",
     "udefinerede korrelationer (par af spørgsmål, der aldrig er besvaret sammen)"),
    ("the minres extraction did not converge", "minres-udtrækningen konvergerede ikke"),
    ("three group factors are required for identification; with two, the general loadings are set equal "
     "(psych option = 'equal')",
     "tre gruppefaktorer kræves for identifikation; med to sættes de generelle ladninger lig hinanden "
     "(psych option = 'equal')"),
    ("items with negative general loadings were reversed: {items}",
     "spørgsmål med negative generelle ladninger blev vendt: {items}"),
    # ---- reliability (analysis/reliability.py)
    ("too few rows ({n}) to estimate reliability", "for få rækker ({n}) til at estimere reliabiliteten"),
    ("alpha needs at least 2 items with variance (have {k})", "alfa kræver mindst 2 spørgsmål med varians (har {k})"),
    ("too few complete rows ({n}) to estimate reliability",
     "for få komplette rækker ({n}) til at estimere reliabiliteten"),
    ("some pairs of items are never answered together: covariances undefined",
     "nogle par af spørgsmål er aldrig besvaret sammen: kovarianserne er udefinerede"),
    ("the average inter-item correlation is negative: check for items that should be reversed",
     "den gennemsnitlige korrelation mellem spørgsmålene er negativ: se efter spørgsmål, der skal vendes"),
    ("only {n} complete rows: reliability estimates are very uncertain",
     "kun {n} komplette rækker: reliabilitetsestimaterne er meget usikre"),
    ("items with no variance were left out (as psych does): {items}",
     "spørgsmål uden varians blev udeladt (som i psych): {items}"),
    ("omega total needs at least 3 items (a one-factor model with 2 items is not identified)",
     "omega total kræver mindst 3 spørgsmål (en etfaktormodel med 2 spørgsmål er ikke identificeret)"),
    ("undefined correlations: omega skipped", "udefinerede korrelationer: omega sprunget over"),
    ("the EM estimate of the saturated covariance did not converge",
     "EM-estimatet af den mættede kovarians konvergerede ikke"),
    ("the items' covariance matrix is singular: one-factor CFA skipped",
     "spørgsmålenes kovariansmatrix er singulær: etfaktor-CFA sprunget over"),
    ("the items' covariance matrix is singular: one-factor CFA (omega_total_cfa) skipped",
     "spørgsmålenes kovariansmatrix er singulær: etfaktor-CFA (omega_total_cfa) sprunget over"),
    ("the one-factor CFA for omega_total_cfa may not have converged",
     "etfaktor-CFA'en for omega_total_cfa er muligvis ikke konvergeret"),
    ("one-factor CFA needs more rows than items (have {n})", "etfaktor-CFA kræver flere rækker end spørgsmål (har {n})"),
    ("one-factor CFA needs more complete rows than items (have {n})",
     "etfaktor-CFA kræver flere komplette rækker end spørgsmål (har {n})"),
    ("{n} of {total} rows were dropped (incomplete on the scales' items)",
     "{n} af {total} rækker blev udeladt (ufuldstændige på skalaernes spørgsmål)"),
    ("{n} of {total} rows were dropped (incomplete on the scales' items or {by})",
     "{n} af {total} rækker blev udeladt (ufuldstændige på skalaernes spørgsmål eller {by})"),
    ("{n} rows without {by} are left out of the group results",
     "{n} rækker uden {by} er udeladt af grupperesultaterne"),
    # ---- items (analysis/items.py, _itemdata.py)
    ("no don't-know information for {items}", "ingen oplysninger om ved ikke for {items}"),
    ("item {item}: {n} cells are marked don't know but hold an answer",
     "spørgsmål {item}: {n} celler er markeret som ved ikke, men indeholder et svar"),
    ("item {item}: {n} values outside the scale range {lo}..{hi}",
     "spørgsmål {item}: {n} værdier uden for skalaens interval {lo}..{hi}"),
    ("item {item}: fewer than 2 answers", "spørgsmål {item}: færre end 2 svar"),
    ("items with no variance get no item-rest statistics: {items}",
     "spørgsmål uden varians får ingen item-rest-statistik: {items}"),
    ("with 2 items, 'alpha if deleted' follows psych's convention (C12/C22, r12)",
     "med 2 spørgsmål følger 'alfa uden spørgsmålet' psychs konvention (C12/C22, r12)"),
    ("item-rest statistics need at least 2 items with variance and 2 complete rows",
     "item-rest-statistik kræver mindst 2 spørgsmål med varians og 2 komplette rækker"),
    ("{n} distinct values: no category table (pass scale_range for rating items)",
     "{n} forskellige værdier: ingen kategoritabel (angiv scale_range for vurderingsspørgsmål)"),
    # ---- validity (analysis/validity.py)
    ("a correlation is exactly 0: HTMT2 (geometric mean) is 0 or undefined",
     "en korrelation er præcis 0: HTMT2 (geometrisk gennemsnit) er 0 eller udefineret"),
    ("an AVE outside [0, 1]: check the solution (Heywood case?)",
     "en AVE uden for [0, 1]: undersøg løsningen (Heywood-tilfælde?)"),
    ("scale {scale}: the within-scale mean correlation is undefined (fewer than 2 items, a constant item, "
     "or no overlap)",
     "skala {scale}: den gennemsnitlige korrelation inden for skalaen er udefineret (færre end 2 spørgsmål, "
     "et konstant spørgsmål eller intet overlap)"),
    ("factor {f} has fewer than 2 indicators: no {measure} (semTools drops it)",
     "faktor {f} har færre end 2 indikatorer: ingen {measure} (semTools udelader den)"),
    ("factor {f}: indicators {items} cross-load; AVE is undefined (semTools gives NA)",
     "faktor {f}: indikatorerne {items} krydslader; AVE er udefineret (semTools giver NA)"),
    ("regression {lhs} ~ {rhs} involves an observed variable and is ignored",
     "regressionen {lhs} ~ {rhs} omfatter en observeret variabel og ignoreres"),
    ("Fornell-Larcker: {error}", "Fornell-Larcker: {error}"),
    # ---- ordinal analysis (analysis/ordinal)
    ("{n} row(s) with missing responses dropped (listwise, as lavaan's default for ordered items)",
     "{n} rækker med manglende svar udeladt (listevis, som lavaans standard for ordinale spørgsmål)"),
    ("item {item}: a single observed category ({category}); it has no thresholds and its polychoric "
     "correlations are undefined (NaN). lavaan stops here",
     "spørgsmål {item}: kun én observeret kategori ({category}); det har ingen tærskler, og dets polykoriske "
     "korrelationer er udefinerede (NaN). lavaan stopper her"),
    ("item {item}: no responses in category {categories}; as lavaan with ordered=, only the {k} observed "
     "categories are used ({t} thresholds)",
     "spørgsmål {item}: ingen svar i kategori {categories}; som i lavaan med ordered= bruges kun de {k} "
     "observerede kategorier ({t} tærskler)"),
    ("{a} × {b}: polychoric correlation did not converge",
     "{a} × {b}: den polykoriske korrelation konvergerede ikke"),
    ("correlation between {a} and {b} is (nearly) 1.0 ({rho})",
     "korrelationen mellem {a} og {b} er (næsten) 1,0 ({rho})"),
    ("{a} × {b}: two empty cells in the 2×2 table; correlation set to {rho} (as lavaan)",
     "{a} × {b}: to tomme celler i 2×2-tabellen; korrelationen sat til {rho} (som i lavaan)"),
    ("{a} × {b}: 2×2 table with an empty cell; {add} added to it keeping the margins (lavaan's zero.add)",
     "{a} × {b}: 2×2-tabel med en tom celle; {add} lagt til den med uændrede marginaler (lavaans zero.add)"),
    ("factor {f}: a communality or correlation exceeds 1 (Heywood case); omega on the ordinal scale not "
     "computed",
     "faktor {f}: en kommunalitet eller korrelation overstiger 1 (Heywood-tilfælde); omega på den ordinale "
     "skala ikke beregnet"),
    ("factor {f} has a single indicator: skipped (semTools' dropSingle)",
     "faktor {f} har kun én indikator: sprunget over (semTools' dropSingle)"),
    ("left out of the moments (single category): {items}", "udeladt af momenterne (kun én kategori): {items}"),
    ("Γ: correlations at ±1 scored at ±{bound}", "Γ: korrelationer på ±1 scoret ved ±{bound}"),
    ("Γ entries of correlations on the ±{bound} bound are not reliable: {pairs}",
     "Γ-elementer for korrelationer på grænsen ±{bound} er ikke pålidelige: {pairs}"),
    ("Γ: a correlation has a zero score; generalised inverse used for A22 (as lavaan)",
     "Γ: en korrelation har scoren 0; generaliseret invers brugt for A22 (som i lavaan)"),
    ("Γ has zero or non-finite diagonal entries; their DWLS weight is set to 0 (lavaan stops here)",
     "Γ har diagonalelementer, der er 0 eller ikke endelige; deres DWLS-vægt sættes til 0 (lavaan stopper her)"),
    ("Γ: threshold information of {item} is singular; generalised inverse used (as lavaan)",
     "Γ: tærskelinformationen for {item} er singulær; generaliseret invers brugt (som i lavaan)"),
    ("wlsmv_cfa not fitted: {error}", "WLSMV-CFA ikke estimeret: {error}"),
    ("wlsmv_cfa uses the rows complete on the model's items (lavaan's WLSMV would use pairwise deletion)",
     "WLSMV-CFA bruger de rækker, der er komplette på modellens spørgsmål (lavaans WLSMV ville bruge parvis "
     "udeladelse)"),
    # ---- the data (spec mode, response files, the workflow)
    ("data: column '{col}' has {n} value(s) that are not numbers ({examples}); treated as missing",
     "data: kolonnen '{col}' har {n} værdier, der ikke er tal ({examples}); behandlet som manglende svar"),
    ("{n} {kind} response(s) ({col} column) were left out", "{n} {kind}besvarelser (kolonnen {col}) blev udeladt"),
    ("{n} respondent(s) who did not consent were left out",
     "{n} respondenter, der ikke gav samtykke, blev udeladt"),
    ("{n} incomplete response(s) ({rule}) were kept; the missingness flag marks those with most items unanswered",
     "{n} ufuldstændige besvarelser ({rule}) blev beholdt; markeringen for manglende svar viser dem, hvor de "
     "fleste spørgsmål er ubesvarede"),
    ("the file has no columns for {sector} respondents (a form for one sector only); their questions are "
     "read as not asked",
     "filen har ingen kolonner for respondenter fra {sector} (et skema for kun én sektor); deres spørgsmål "
     "læses som ikke stillet"),
    ("{n} column(s) that are not part of instrument {bank} were kept aside, not read: {shown} "
     "(validate --strict reports them as problems)",
     "{n} kolonner, der ikke hører til instrumentet {bank}, blev lagt til side og ikke læst: {shown} "
     "(validate --strict melder dem som fejl)"),
    ("the question columns are not named with the form's export tags (Qualtrics' defaults such as Q1, "
     "Q13_1?); they were matched to the form's questions: {how}",
     "spørgsmålskolonnerne er ikke navngivet med skemaets eksportnavne (Qualtrics' standardnavne som Q1, "
     "Q13_1?); de blev koblet til skemaets spørgsmål: {how}"),
    ("the headers are question labels in {language} ({n} column(s) matched to the form's fields by their label)",
     "overskrifterne er spørgsmålstekster på {language} ({n} kolonner koblet til skemaets felter efter "
     "deres tekst)"),
    ("the question text {text} is not the text of {field}; the column was read as {field} by its position",
     "spørgsmålsteksten {text} er ikke teksten til {field}; kolonnen blev læst som {field} ud fra sin placering"),
    ("{n} matrix column(s) ({cols}) were matched to items by their question text: the form asks them in "
     "another order than the codebook (built with --seed?)",
     "{n} matrixkolonner ({cols}) blev koblet til spørgsmål efter deres tekst: skemaet stiller dem i en anden "
     "rækkefølge end kodebogen (bygget med --seed?)"),
    ("{n} matrix column(s) ({cols} ...) were matched to items by their question text: the form asks them in "
     "another order than the codebook (built with --seed?)",
     "{n} matrixkolonner ({cols} ...) blev koblet til spørgsmål efter deres tekst: skemaet stiller dem i en "
     "anden rækkefølge end kodebogen (bygget med --seed?)"),
    ("the column mixes codes and labels; {n} label(s) were read as their codes",
     "kolonnen blander koder og svartekster; {n} svartekster blev læst som deres koder"),
    ("{msg} (same base version, edited texts)", "{msg} (samme grundversion, redigerede tekster)"),
    ("{spelling} ({n} row) grouped with {into} (by the groups file)",
     "{spelling} ({n} række) samlet med {into} (efter gruppefilen)"),
    ("{spelling} ({n} rows) grouped with {into} (by the groups file)",
     "{spelling} ({n} rækker) samlet med {into} (efter gruppefilen)"),
    ("{spelling} ({n} row) grouped with {into}{how}", "{spelling} ({n} række) samlet med {into}{how}"),
    ("{spelling} ({n} rows) grouped with {into}{how}", "{spelling} ({n} rækker) samlet med {into}{how}"),
    ("{n} cell(s) held control characters ({which}); they were removed",
     "{n} celler indeholdt kontroltegn ({which}); de blev fjernet"),
    ("the header held control characters ({which}); they were removed",
     "overskriftsrækken indeholdt kontroltegn ({which}); de blev fjernet"),
    ("the workbook has {n} sheets; sheet {chosen} was read (the one naming most columns of the instrument), "
     "not {others}",
     "projektmappen har {n} ark; arket {chosen} blev læst (det, der navngiver flest af instrumentets "
     "kolonner), ikke {others}"),
    ("the header is on row {row}; {rows} above it was skipped",
     "overskriftsrækken er række {row}; {rows} over den blev sprunget over"),
    ("the header is on row {row}; {rows} above it were skipped",
     "overskriftsrækken er række {row}; {rows} over den blev sprunget over"),
    ("the header is on row {row}; {rows} above it ({first}) was skipped",
     "overskriftsrækken er række {row}; {rows} over den ({first}) blev sprunget over"),
    ("the header is on row {row}; {rows} above it ({first}) were skipped",
     "overskriftsrækken er række {row}; {rows} over den ({first}) blev sprunget over"),
    ("the file is not UTF-8; read it as Windows-1252", "filen er ikke UTF-8; læst som Windows-1252"),
    ("the file is not UTF-8; read it as Windows-1252 ({chars} found)",
     "filen er ikke UTF-8; læst som Windows-1252 ({chars} fundet)"),
    ("the results were computed with instrument version {used}; the report's wording is from version {version}",
     "resultaterne er beregnet med instrumentversion {used}; rapportens formuleringer er fra version {version}"),
    ("1 warning about a group suppressed for privacy is not shown",
     "1 advarsel om en gruppe, der er skjult af hensyn til fortroligheden, vises ikke"),
    ("{n} warnings about a group suppressed for privacy are not shown",
     "{n} advarsler om en gruppe, der er skjult af hensyn til fortroligheden, vises ikke"),
    ("{n} group(s) suppressed for privacy (min. n = {min_cell})",
     "{n} grupper skjult af hensyn til fortroligheden (min. n = {min_cell})"),
    ("{file}: {n} row(s) name another municipality ({names}); stored as {municipality}",
     "{file}: {n} rækker nævner en anden kommune ({names}); gemt som {municipality}"),
    # ---- errors: a step that could not run records its exception as "step: message"
    ("model syntax is empty", "modelsyntaksen er tom"),
    ("model syntax has no formulas (=~, ~, ~~): it is empty or only comments",
     "modelsyntaksen har ingen formler (=~, ~, ~~): den er tom eller kun kommentarer"),
    ("model syntax has no observed variables", "modelsyntaksen har ingen observerede variabler"),
    # {msg_}: the longest text, as the message itself may say " in '...'"
    ("model syntax, line {line}: {msg_} in '{statement}'", "modelsyntaks, linje {line}: {msg_} i '{statement}'"),
    ("model syntax, line {line}: variable '{v}' is neither a column of the data nor a latent variable "
     "(defined with =~)",
     "modelsyntaks, linje {line}: variablen '{v}' er hverken en kolonne i data eller en latent variabel "
     "(defineret med =~)"),
    ("model syntax, line {line}: '{name}' in '{lhs} == {rhs}' is not a parameter label",
     "modelsyntaks, linje {line}: '{name}' i '{lhs} == {rhs}' er ikke en parameterlabel"),
    ("model syntax, line {line}: '{name}' is defined twice", "modelsyntaks, linje {line}: '{name}' er defineret to gange"),
    ("model syntax, line {line}: label '{label}' is also a variable name",
     "modelsyntaks, linje {line}: labelen '{label}' er også navnet på en variabel"),
    ("model syntax, line {line}: {k} {what} given for '{lhs} {op} {rhs}' but the data have {g} group(s)",
     "modelsyntaks, linje {line}: {k} {what} angivet for '{lhs} {op} {rhs}', men data har {g} grupper"),
    ("model syntax, line {line}: '{expr}' uses something other than numbers, labels, + - * / ^ and parentheses",
     "modelsyntaks, linje {line}: '{expr}' bruger andet end tal, labels, + - * / ^ og parenteser"),
    ("model syntax, line {line}: cannot read expression '{expr}'",
     "modelsyntaks, linje {line}: kan ikke læse udtrykket '{expr}'"),
    ("model syntax, line {line}: unexpected constant in '{expr}'",
     "modelsyntaks, linje {line}: uventet konstant i '{expr}'"),
    ("model syntax, line {line}: unknown label '{label}' in '{expr}'",
     "modelsyntaks, linje {line}: ukendt label '{label}' i '{expr}'"),
    ("group_partial: cannot read '{item}' (expected e.g. 'f1=~x2' or 'x3~1')",
     "group_partial: kan ikke læse '{item}' (forventet f.eks. 'f1=~x2' eller 'x3~1')"),
    ("group column '{group}' is not in the data", "gruppekolonnen '{group}' findes ikke i data"),
    ("column '{col}' is not numeric (e.g. value {value})", "kolonnen '{col}' er ikke numerisk (f.eks. værdien {value})"),
    ("{what}: the model has {m} factors, whose covariances alone are {k} free parameters; at most {max} free "
     "parameters are estimated",
     "{what}: modellen har {m} faktorer, hvis kovarianser alene er {k} frie parametre; højst {max} frie "
     "parametre estimeres"),
    ("{what}: the model has {k} free parameters; at most {max} are estimated (the information matrix holds "
     "parameters² numbers)",
     "{what}: modellen har {k} frie parametre; højst {max} estimeres (informationsmatricen rummer "
     "parametre² tal)"),
    ("{what}: the model has {k} free parameters but the data have {n} rows; a model needs at least as many "
     "rows as free parameters",
     "{what}: modellen har {k} frie parametre, men data har {n} rækker; en model kræver mindst lige så mange "
     "rækker som frie parametre"),
    ("WLSMV with ordered indicators supports CFA/SEM whose observed variables are all ordered indicators of "
     "latent variables; this model has {problems}",
     "WLSMV med ordinale indikatorer understøtter CFA/SEM, hvor alle observerede variabler er ordinale "
     "indikatorer for latente variabler; denne model har {problems}"),
    ("multi-group WLSMV (ordered indicators with group=) is not supported yet; fit each group separately or "
     "use estimator='ML'",
     "WLSMV med flere grupper (ordinale indikatorer med group=) understøttes endnu ikke; estimér hver gruppe "
     "for sig, eller brug estimator='ML'"),
    ("missing='{missing}' is not supported with ordered indicators: FIML is a normal-theory method (lavaan "
     "uses pairwise deletion for WLSMV); use missing='listwise'",
     "missing='{missing}' understøttes ikke med ordinale indikatorer: FIML er en normalfordelingsmetode "
     "(lavaan bruger parvis udeladelse ved WLSMV); brug missing='listwise'"),
    ("bootstrap is not supported with estimator='WLSMV'", "bootstrap understøttes ikke med estimator='WLSMV'"),
    ("observed variables {names} are not in ordered=: mixing continuous and ordered indicators is not "
     "supported with WLSMV; declare every indicator ordered",
     "de observerede variabler {names} er ikke i ordered=: en blanding af kontinuerte og ordinale indikatorer "
     "understøttes ikke med WLSMV; angiv alle indikatorer som ordinale"),
    ("ordered item(s) {items} have a single observed category (no variance) in the complete rows: they carry "
     "no information for thresholds or polychoric correlations; drop them from the model",
     "de ordinale spørgsmål {items} har kun én observeret kategori (ingen varians) i de komplette rækker: de "
     "giver ingen information om tærskler eller polykoriske korrelationer; fjern dem fra modellen"),
    ("ordered: {names} not among the data columns", "ordered: {names} findes ikke blandt kolonnerne i data"),
    ("alignment needs at least {k} groups, got {g}", "alignment kræver mindst {k} grupper, fik {g}"),
    ("alignment needs a finite loading and intercept for every group and item",
     "alignment kræver en endelig ladning og et endeligt skæringspunkt for hver gruppe og hvert spørgsmål"),
    ("the one-factor model of {items} did not converge in group {g}",
     "etfaktormodellen for {items} konvergerede ikke i gruppen {g}"),
    ("parameter table lacks the column(s) {cols} (needs lhs, op, rhs, est)",
     "parametertabellen mangler kolonnerne {cols} (kræver lhs, op, rhs, est)"),
    ("parameter table has no loadings (op '=~')", "parametertabellen har ingen ladninger (op '=~')"),
    ("the regressions among the factors are singular (I - B has no inverse); check the parameter table",
     "regressionerne mellem faktorerne er singulære (I - B har ingen invers); undersøg parametertabellen"),
    ("the parameter table has several groups: pass group=<data column>",
     "parametertabellen har flere grupper: angiv group=<kolonne i data>"),
    ("group {g} of the parameter table has no matching value in column {group}",
     "gruppen {g} i parametertabellen har ingen tilsvarende værdi i kolonnen {group}"),
    ("latent_correlations: pass the rows of one group", "latent_correlations: angiv rækkerne for én gruppe"),
    ("htmt needs at least two scales ({scales})", "HTMT kræver mindst to skalaer ({scales})"),
    ("fornell_larcker: factors {names} have an AVE but no correlations",
     "fornell_larcker: faktorerne {names} har en AVE, men ingen korrelationer"),
    ("fornell_larcker: pass the AVE of one group", "fornell_larcker: angiv AVE for én gruppe"),
    ("items not in the polychoric matrix: {items}", "spørgsmål, der ikke er i den polykoriske matrix: {items}"),
    ("ordinal alpha needs at least 2 items, got {k}", "ordinal alfa kræver mindst 2 spørgsmål, fik {k}"),
    ("composite_reliability_ordinal needs a WLSMV fit with ordered indicators (fit_sem(..., ordered=...))",
     "composite_reliability_ordinal kræver en WLSMV-estimation med ordinale indikatorer "
     "(fit_sem(..., ordered=...))"),
    ("composite_reliability_ordinal: multi-group fits are not supported",
     "composite_reliability_ordinal: modeller med flere grupper understøttes ikke"),
    ("{where}: items listed more than once: {items}", "{where}: spørgsmål angivet mere end én gang: {items}"),
    ("{where}: items not in the responses: {items} (columns are {cols})",
     "{where}: spørgsmål, der ikke findes i besvarelserne: {items} (kolonnerne er {cols})"),
    ("reliability_table: grouping column {by} is not in the responses",
     "reliability_table: grupperingskolonnen {by} findes ikke i besvarelserne"),
    ("factor_analyzer's Rotator returned matrices of the wrong shape",
     "factor_analyzers Rotator returnerede matricer med forkert form"),
    ("factor_analyzer's Rotator failed for rotation={rotation}: {error}. coprod is tested with factor_analyzer "
     "0.5.1 on scikit-learn 1.7 to 1.9.",
     "factor_analyzers Rotator fejlede for rotation={rotation}: {error}. coprod er testet med factor_analyzer "
     "0.5.1 på scikit-learn 1.7 til 1.9."),
)

#: nested English inside a message's ``{name}``: optimiser messages, " in group 'x'", list entries
FRAGMENTS: tuple[tuple[str, str], ...] = (
    (" in group {group}", " i gruppen {group}"),
    ("{lhs} ~~ {rhs} (group {group})", "{lhs} ~~ {rhs} (gruppe {group})"),
    ("converged", "konvergeret"),
    ("converged: Newton decrement g'H^-1 g below the tolerance",
     "konvergeret: Newton-dekrementet g'H^-1 g under tolerancen"),
    ("converged: predicted and achieved change of the objective below 1e-10 of its value (nlminb's relative "
     "convergence), scaled gradient as small",
     "konvergeret: forudsagt og opnået ændring af objektfunktionen under 1e-10 af dens værdi (nlminbs relative "
     "konvergens), skaleret gradient lige så lille"),
    ("objective not finite at the starting values", "objektfunktionen er ikke endelig i startværdierne"),
    ("implied covariance matrix not positive definite", "den modelimplicerede kovariansmatrix er ikke positiv definit"),
    ("information matrix not finite", "informationsmatricen er ikke endelig"),
    ("line search failed", "linjesøgningen mislykkedes"),
    ("no convergence within the iteration limit", "ingen konvergens inden for grænsen for iterationer"),
    ("no convergence in {n} iterations", "ingen konvergens på {n} iterationer"),
    ("too few rows to estimate the model", "for få rækker til at estimere modellen"),
    ("singular Gauss-Newton system", "singulært Gauss-Newton-system"),
    ("non-finite step", "ikke-endeligt skridt"),
    ("{first}; after BFGS: {second}", "{first}; efter BFGS: {second}"),
    ("{first}; after Levenberg-Marquardt: {second}", "{first}; efter Levenberg-Marquardt: {second}"),
    ("{message} (retried from {start}; first start: {first})",
     "{message} (forsøgt igen fra {start}; første start: {first})"),
    ("default starts", "standardstartværdier"), ("pooled starts", "samlede startværdier"),
    ("model", "modellen"), ("partial model", "den delvise model"),
    ("configural", "konfigural"), ("metric", "metrisk"), ("scalar", "skalar"), ("strict", "streng"),
    ("row 1", "række 1"), ("rows 1-{h}", "rækkerne 1-{h}"),
    ("preview", "forhåndsvisnings"),  # "{n} {kind}besvarelser": test and spam stay as they are
    ("English (en)", "engelsk (en)"), ("Danish (da)", "dansk (da)"),
    ("the file was collected with instrument version {v}, but the item bank is version {version}",
     "filen er indsamlet med instrumentversion {v}, men spørgsmålsbanken er version {version}"),
    ("{n} by their ImportId (header row 3)", "{n} efter deres ImportId (overskriftsrække 3)"),
    ("{n} by their question text in {language} (header row 2)",
     "{n} efter deres spørgsmålstekst på {language} (overskriftsrække 2)"),
    ("row {n}", "række {n}"), ("column {name}", "kolonne {name}"),
    # model syntax errors (analysis/sem/syntax.py _err) and what a WLSMV model has that it cannot fit
    ("unexpected token '{tok}'", "uventet tegn '{tok}'"),
    ("modifiers with different numbers of groups", "modifikatorer med forskelligt antal grupper"),
    ("empty modifier before '*'", "tom modifikator før '*'"),
    ("start() needs a number, got '{v}'", "start() kræver et tal, fik '{v}'"),
    ("cannot mix labels and values in '{mod}'", "labels og værdier kan ikke blandes i '{mod}'"),
    ("'{name}' is not a valid variable name", "'{name}' er ikke et gyldigt variabelnavn"),
    ("no operator (=~, ~, ~~, :=, ==) found", "ingen operator (=~, ~, ~~, :=, ==) fundet"),
    ("nothing on the left of '{op}'", "intet til venstre for '{op}'"),
    ("nothing on the right of '{op}'", "intet til højre for '{op}'"),
    ("inequality constraints ('{op}') are not supported", "ulighedsbindinger ('{op}') understøttes ikke"),
    ("a '+' or '*' without a following term", "et '+' eller '*' uden et efterfølgende led"),
    ("'1' is only allowed as an intercept in '~', not after '{op}'",
     "'1' er kun tilladt som skæringspunkt i '~', ikke efter '{op}'"),
    ("unexpected operator in '{var}'", "uventet operator i '{var}'"),
    ("exogenous observed covariates {names}", "eksogene observerede kovariater {names}"),
    ("observed variables in regressions or covariances with latent variables {names}",
     "observerede variabler i regressioner eller kovarianser med latente variabler {names}"),
    ("observed variables that are not indicators of a latent variable {names}",
     "observerede variabler, der ikke er indikatorer for en latent variabel {names}"),
    ("intercepts (~1): for ordered indicators they are fixed at 0 and the thresholds are estimated instead",
     "skæringspunkter (~1): for ordinale indikatorer er de fastsat til 0, og tærsklerne estimeres i stedet"),
    ("values", "værdier"), ("labels", "labels"), ("start values", "startværdier"),
)

#: placeholder names whose text is kept verbatim even when it looks like a decimal number
VERBATIM = frozenset({"used", "version", "v", "bank", "file", "col", "item", "items", "name"})
