"""The questionnaire as a Qualtrics Survey Format file (QSF: JSON, ``File > Import Survey``).

Unlike the Advanced Format TXT (:mod:`.qualtrics`), a QSF carries display logic (consent, the
sector's blocks, context questions asked of one sector), every language of the bank as
translations, the data export tags and the recodes. The questions, their export tags and the
positional recodes are those of the TXT form, so a QSF-fielded survey is read back by the same
Qualtrics reader (matrix columns ``INS_m_1`` ..., don't know = n + 1).

How each feature was checked is stated in :func:`limitations` (and so in the codebook's
``platform_limitations.qualtrics-qsf``): the element and payload structure against a QSF that
Qualtrics exported (public test data of github.com/fflewddur/sp, ``libsp/data_test.go``; the key
sets are in ``tests/fixtures/qsf/real_export_keys.json``, made by ``scripts/qsf_keys.py``);
display logic and translations only against published descriptions of the format, not against
a Qualtrics import.
"""
from __future__ import annotations

import json
from typing import Any

from .. import naming
from ..formats import ExportResult
from ..generator import ContextField, Questionnaire
from ..model import Scale
from .qualtrics import _t, sector_recode

__all__ = ["to_qualtrics_qsf", "limitations", "SURVEY_ID"]

#: the placeholder ids Qualtrics replaces on import
SURVEY_ID = "SV_coprodambivalence"
_RESPONSE_SET = "RS_coprodambivalence"
_MATRIX_CONFIG = {"QuestionDescriptionOption": "UseText", "TextPosition": "inline", "ChoiceColumnWidth": 25,
                  "RepeatHeaders": "none", "WhiteSpace": "OFF", "MobileFirst": True}


def limitations(q: Questionnaire) -> tuple[str, ...]:
    """What the QSF carries, how each part was checked, and what is left to do after import."""
    out = ["structure (SurveyEntry, the BL/FL/SO/SCO/PROJ/STAT/QC/RS elements, block and flow "
           "entries, embedded data, and the payload keys of DB, MC/SAVR, TE/SL and Matrix/Likert "
           "questions) checked against a QSF exported by Qualtrics (public test data of "
           "github.com/fflewddur/sp); not checked by importing it into Qualtrics",
           "display logic (consent; sector blocks and sector-specific questions) written as "
           "question DisplayLogic on 'q://QID/SelectableChoice/n' as published descriptions of the "
           "format show it; not seen in the exported QSF: check Survey Flow and the questions after "
           "import"]
    others = ", ".join(q.other_languages())
    if others:
        out.append(f"translations ({others}) written under each question's 'Language' and in "
                   "SurveyOptions.AvailableLanguages as published descriptions show them; not "
                   "seen in the exported QSF: check Translate Survey after import")
    out.append("recodes are positional (RecodeValues 1..n, don't know = n + 1), the same as the TXT "
               "form's, so its exports are read by the Qualtrics reader")
    out.append("forced response and integer validation are not set: switch on 'Force response' "
               "where wanted")
    if any(f.filtered for f in q.context):
        out.append("answer options filtered by sector are all shown: add choice display logic, or "
                   "field a sector-specific form")
    if any(f.dynamic for f in q.context):
        out.append("questions naming the partner use the neutral noun (no piping of the sector answer)")
    return tuple(out)


def _element(kind: str, primary: str, payload: Any, secondary: str | None = None,
             tertiary: str | None = None) -> dict:
    return {"SurveyID": SURVEY_ID, "Element": kind, "PrimaryAttribute": primary,
            "SecondaryAttribute": secondary, "TertiaryAttribute": tertiary, "Payload": payload}


def _choices(labels: list[str]) -> dict:
    return {str(k): {"Display": _t(x)} for k, x in enumerate(labels, 1)}


def _selected(qid: str, choice: int, description: str) -> dict:
    locator = f"q://{qid}/SelectableChoice/{choice}"
    return {"LogicType": "Question", "QuestionID": qid, "QuestionIsInLoop": "no", "ChoiceLocator": locator,
            "Operator": "Selected", "QuestionIDFromLocator": qid, "LeftOperand": locator, "Type": "Expression",
            "Description": description}


def _display_logic(conditions: list[dict]) -> dict | None:
    if not conditions:
        return None
    group: dict[str, Any] = {}
    for k, c in enumerate(conditions):
        group[str(k)] = c if k == 0 else {**c, "Conjuction": "And"}  # sic: Qualtrics' spelling
    group["Type"] = "If"
    return {"0": group, "Type": "BooleanExpression", "inPage": False}


class _Builder:
    """Questions numbered QID1... in form order, with their texts in every language."""

    def __init__(self, q: Questionnaire):
        self.q, self.langs = q, (q.lang, *q.other_languages())
        self.questions: list[dict] = []

    def add(self, qtype: str, selector: str, sub: str | None, tag: str, text: dict[str, str], *,
            choices: list[dict[str, str]] | None = None, answers: list[dict[str, str]] | None = None,
            logic: list[dict] = ()) -> str:
        qid = f"QID{len(self.questions) + 1}"
        lang = self.q.lang
        p: dict[str, Any] = {"QuestionText": _t(text[lang]), "DefaultChoices": False, "DataExportTag": tag,
                             "QuestionType": qtype, "Selector": selector}
        if sub is not None:
            p["SubSelector"] = sub
        p["DataVisibility"] = {"Private": False, "Hidden": False}
        p["Configuration"] = dict(_MATRIX_CONFIG) if qtype == "Matrix" else {"QuestionDescriptionOption": "UseText"}
        p["QuestionDescription"] = _t(text[lang])[:100]
        if choices is not None:
            p["Choices"] = _choices([c[lang] for c in choices])
            p["ChoiceOrder"] = [str(k) for k in range(1, len(choices) + 1)]
        elif qtype == "DB":
            p["ChoiceOrder"] = []
        if answers is not None:
            p["Answers"] = _choices([a[lang] for a in answers])
            p["AnswerOrder"] = [str(k) for k in range(1, len(answers) + 1)]
            p["RecodeValues"] = {str(k): str(k) for k in range(1, len(answers) + 1)}
            p["ChoiceDataExportTags"] = False
        if qtype == "TE":
            p["SearchSource"] = {"AllowFreeResponse": "false"}
        p["Validation"] = {"Settings": {"ForceResponse": "OFF", "ForceResponseType": "ON", "Type": "None"}}
        p["GradingData"] = []
        p["Language"] = self._translations(text, choices, answers)
        p["NextChoiceId"] = (len(choices) if choices else 0) + 1
        p["NextAnswerId"] = (len(answers) if answers else 0) + 1
        p["QuestionID"] = qid
        dl = _display_logic(list(logic))
        if dl is not None:
            p["DisplayLogic"] = dl
        self.questions.append(p)
        return qid

    def _translations(self, text, choices, answers) -> dict | list:
        out = {}
        for lang in self.langs[1:]:
            t: dict[str, Any] = {"QuestionText": _t(text[lang])}
            if choices is not None:
                t["Choices"] = _choices([c[lang] for c in choices])
            if answers is not None:
                t["Answers"] = _choices([a[lang] for a in answers])
            out[lang.upper()] = t
        return out or []  # an exported QSF without translations has []


def _scale_labels(scale: Scale) -> list[dict[str, str]]:
    return [dict(p.label) for p in scale.points] + [dict(scale.dont_know_label)]


def _context_choices(q: Questionnaire, f: ContextField) -> list[dict[str, str]]:
    langs = (q.lang, *q.other_languages())
    return [{lang: q.static_choice_label(f, c, lang) for lang in langs} for c in f.choices]


def to_qualtrics_qsf(q: Questionnaire) -> ExportResult:
    """The questionnaire as a QSF: blocks, flow with embedded data, questions, display logic and
    translations (see the module docstring for what was verified how)."""
    lang, b = q.lang, _Builder(q)
    blocks: list[tuple[str, str, list[str]]] = []  # (id, description, question ids)

    title = dict(q.title) if q.combined else {
        lg: f"{q.title[lg]} – {q.bank.sector_label[q.sector][lg]}" for lg in q.title}
    intro = {lg: "\n\n".join(x for x in (title[lg], q.intro.get(lg, ""), q.ui("version", version=q.version)) if x)
             for lg in (lang, *q.other_languages())}
    ids = [b.add("DB", "TB", None, "intro", intro),
           b.add("MC", "SAVR", "TX", naming.qualtrics_context("consent"), dict(q.consent.label),
                 choices=[dict(c.label) for c in q.consent.choices])]
    blocks.append(("BL_consent", "consent", ids))
    yes = [c.name for c in q.consent.choices].index(q.consent_yes.name) + 1
    consented = _selected(ids[1], yes, "consent given")

    sector_qid, sector_pos = None, {}
    context_ids = []
    for f in q.context:
        if f.fixed is not None or f.preset is not None:
            continue
        text = {lg: f.label[lg] + (f"\n{f.hint[lg]}" if f.hint.get(lg) else "") for lg in f.label}
        logic = [consented]
        if q.combined and sector_qid is not None and set(f.sectors) != set(q.sectors):
            logic += [_selected(sector_qid, sector_pos[s], f"sector {s}") for s in f.sectors][:1]
        tag = naming.qualtrics_context(f.id)
        if f.type == "select_one":
            qid = b.add("MC", "SAVR", "TX", tag, text, choices=_context_choices(q, f), logic=logic)
        elif f.type == "rating":
            qid = b.add("MC", "SAHR", "TX", tag, text, choices=_scale_labels(f.scale), logic=logic)
        else:
            qid = b.add("TE", "SL", None, tag, text, logic=logic)
        context_ids.append(qid)
        if f is q.sector_field or f.id == q.sector_field.id:
            sector_qid = qid
            rec = sector_recode(q)
            sector_pos = {s: rec[q.sector_choice(s).code] for s in q.sectors}
    blocks.append(("BL_context", "context", context_ids))

    for blk in q.blocks:
        logic = [consented]
        if q.combined and sector_qid is not None:
            logic.append(_selected(sector_qid, sector_pos[blk.sector], f"sector {blk.sector}"))
        qids = [b.add("Matrix", "Likert", "SingleAnswer",
                      naming.qualtrics_question(blk.construct.id, blk.sector, m.part), dict(blk.instruction),
                      choices=[dict(r.text) for r in m.rows], answers=_scale_labels(m.scale), logic=logic)
                for m in blk.matrices]
        blocks.append((f"BL_{blk.key}", blk.key, qids))
    if q.outro:
        blocks.append(("BL_end", "end", [b.add("DB", "TB", None, "outro", dict(q.outro), logic=[consented])]))

    embedded = [(naming.VERSION_FIELD["qualtrics"], q.version)]
    if q.sector_field.fixed is not None:
        embedded.append((naming.qualtrics_context("sector"), sector_recode(q)[q.sector_field.fixed.code]))
    embedded += [(naming.qualtrics_context(f.id), f.preset) for f in q.context if f.preset is not None]
    doc = {"SurveyEntry": _entry(q, title[lang]),
           "SurveyElements": [_blocks(blocks), _flow(blocks, embedded), _options(q, title[lang]), *_fixed_elements(),
                              _element("QC", "Survey Question Count", None, str(len(b.questions))),
                              *(_element("SQ", p["QuestionID"], p, p["QuestionDescription"]) for p in b.questions),
                              _element("RS", _RESPONSE_SET, None, "Default Response Set")]}
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    return ExportResult(files={".qsf": text.encode("utf-8")}, warnings=(*q.warnings, *limitations(q)))


def _entry(q: Questionnaire, title: str) -> dict:
    never = "0000-00-00 00:00:00"
    return {"SurveyID": SURVEY_ID, "SurveyName": title, "SurveyDescription": None, "SurveyOwnerID": "UR_coprod",
            "SurveyBrandID": None, "DivisionID": None, "SurveyLanguage": q.lang.upper(),
            "SurveyActiveResponseSet": _RESPONSE_SET, "SurveyStatus": "Inactive", "SurveyStartDate": never,
            "SurveyExpirationDate": never, "SurveyCreationDate": never, "CreatorID": "UR_coprod",
            "LastModified": never, "LastAccessed": never, "LastActivated": never, "Deleted": None}


def _blocks(blocks: list[tuple[str, str, list[str]]]) -> dict:
    payload = [{"Type": "Default" if k == 0 else "Standard", "SubType": "", "Description": desc, "ID": bid,
                "BlockElements": [{"Type": "Question", "QuestionID": qid} for qid in qids]}
               for k, (bid, desc, qids) in enumerate(blocks)]
    payload.append({"Type": "Trash", "Description": "Trash / Unused Questions", "ID": "BL_trash"})
    return _element("BL", "Survey Blocks", payload)


def _flow(blocks: list[tuple[str, str, list[str]]], embedded: list[tuple[str, Any]]) -> dict:
    flow: list[dict] = [{"Type": "EmbeddedData", "FlowID": "FL_2", "EmbeddedData": [
        {"Description": name, "Type": "Custom", "Field": name, "VariableType": "String", "DataVisibility": [],
         "AnalyzeText": False, "Value": str(value)} for name, value in embedded]}]
    flow += [{"Type": "Block" if k == 0 else "Standard", "ID": bid, "FlowID": f"FL_{k + 3}", "Autofill": []}
             for k, (bid, _, _) in enumerate(blocks)]
    return _element("FL", "Survey Flow", {"Type": "Root", "FlowID": "FL_1", "Flow": flow,
                                          "Properties": {"Count": len(flow) + 1, "RemovedFieldsets": []}})


def _options(q: Questionnaire, title: str) -> dict:
    return _element("SO", "Survey Options", {
        "BackButton": "false", "SaveAndContinue": "true", "SurveyProtection": "PublicSurvey",
        "BallotBoxStuffingPrevention": "false", "NoIndex": "Yes", "SecureResponseFiles": "true",
        "SurveyExpiration": "None", "SurveyTermination": "DefaultMessage", "Header": "", "Footer": "",
        "ProgressBarDisplay": "None", "PartialData": "+1 week", "ValidationMessage": "", "PreviousButton": "",
        "NextButton": "", "SurveyTitle": title, "NewScoring": 1,
        "AvailableLanguages": {lg.upper(): [] for lg in (q.lang, *q.other_languages())}})


def _fixed_elements() -> list[dict]:
    return [_element("SCO", "Scoring", {"ScoringCategories": [], "ScoringCategoryGroups": [],
                                        "ScoringSummaryCategory": None, "ScoringSummaryAfterQuestions": 0,
                                        "ScoringSummaryAfterSurvey": 0, "DefaultScoringCategory": None,
                                        "AutoScoringCategory": None}),
            _element("PROJ", "CORE", {"ProjectCategory": "CORE", "SchemaVersion": "1.1.0"}, None, "1.1.0"),
            _element("STAT", "Survey Statistics", {"MobileCompatible": True, "ID": "Survey Statistics"})]
