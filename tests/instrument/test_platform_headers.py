"""How headers that are not the form's names are read (issue 15): Kobo label headers with and
without group labels, the same label over two sectors' columns, separators in group names."""
from __future__ import annotations

from coprod.instrument.platforms.base import norm_text
from coprod.instrument.platforms.registry import platform_for


def test_group_separators_and_notes(bank):
    kobo = platform_for(bank, "kobo")
    for h in ("INS_m/INS_C1_m", "INS_m-INS_C1_m", "INS_m.INS_C1_m", "INS_C1_m"):
        assert kobo.field_for(h).target == "INS_C1", h
    for h in ("intro/intro_note", "intro.intro_note", "outro_note", "meta.instanceID",
              "meta-instanceID", "start", "deviceid", "__version__", "_validation_status"):
        assert kobo.is_system(h), h


def test_label_headers_map_in_form_order_and_say_the_language(bank):
    kobo = platform_for(bank, "kobo")
    att = next(e for e in kobo.fields if e.target == "ATT_1")
    text_da = norm_text(bank.attention.text["da"])
    header = ["_id", f"Gruppe / med skråstreg/{text_da}", "Hvilken kommune handler dine svar om?",
              f"  {text_da.replace(' ', '  ')} "]
    r = kobo.resolve(header)
    assert r.lang == "da" and r.n_labels == 3
    assert r.names == ("_id", "ATT_1_m", "municipality", "ATT_1_v") and att.column == "ATT_1_m"


def test_unknown_text_stays_as_it_is(bank):
    r = platform_for(bank, "kobo").resolve(["_uuid", "Kommunens egen ekstra spørgsmål"])
    assert r.names == ("_uuid", "Kommunens egen ekstra spørgsmål") and r.lang is None
