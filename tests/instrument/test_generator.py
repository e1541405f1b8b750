"""Questionnaire generator: layout, routing, partner nouns, seeded shuffling, options."""
from __future__ import annotations

import pytest
import yaml

from coprod.instrument.bank import load_bank
from coprod.instrument.generator import LATENT_ORDER, OptionError, build_questionnaire
from coprod.instrument.model import SECTORS


def _block_order(bank, sector):
    latent = [c for c in LATENT_ORDER if c in bank.constructs and sector in bank.constructs[c].sectors]
    strategies = [c.id for c in bank.constructs.values() if c.kind == "strategy" and sector in c.sectors]
    return [c for c in latent + strategies if bank.items_for(sector, c)]


def test_combined_layout(bank):
    q = build_questionnaire(bank)
    assert q.combined and q.sectors == SECTORS
    assert q.consent.id == "consent" and q.consent_yes.name == "yes"
    assert q.context[0].id == "sector" and q.context[0].fixed is None
    assert [f.id for f in q.context[1:]] == [c.id for c in bank.context if c.id != "sector"]
    # all municipal blocks, then all voluntary blocks, each in INS, COM, REP, VIN, AMB, strategies
    keys = [b.key for b in q.blocks]
    expected = [f"{c}_m" for c in _block_order(bank, "municipal")] + [
        f"{c}_v" for c in _block_order(bank, "voluntary")]
    assert keys == expected
    assert keys[:5] == ["INS_m", "COM_m", "REP_m", "VIN_m", "AMB_m"]
    assert [b.number for b in q.blocks_for("voluntary")] == list(range(1, len(q.blocks_for("voluntary")) + 1))


def test_block_rows_core_first_then_facets_in_bank_order(bank):
    q = build_questionnaire(bank)
    att = bank.attention
    for b in q.blocks:
        items = [r.id for r in b.rows if r.kind == "item"]
        bank_items = bank.items_for(b.sector, b.construct.id)
        assert items == [i.id for i in bank_items if i.is_core] + [i.id for i in bank_items if not i.is_core]
        atts = [r for r in b.rows if r.kind == "attention"]
        if b.construct.id == att.block:
            assert [r.id for r in atts] == [att.id]
            pos = [r.id for r in b.rows].index(att.id)
            assert 0 < pos < len(b.rows) - 1, "attention check is not first or last"
            assert atts[0].expected == att.expected
        else:
            assert atts == []


def test_attention_check_in_every_sector(bank):
    q = build_questionnaire(bank)
    holders = [b.key for b in q.blocks if any(r.kind == "attention" for r in b.rows)]
    assert holders == [f"{bank.attention.block}_{t}" for t in ("m", "v")]


def test_item_counts_match_bank(bank):
    q = build_questionnaire(bank)
    for b in q.blocks:
        n_items = sum(r.kind == "item" for r in b.rows)
        assert n_items == len(bank.items_for(b.sector, b.construct.id)) > 0


def test_partner_noun_substituted_per_sector_and_language(bank):
    q = build_questionnaire(bank)
    for b in q.blocks:
        for lang in ("en", "da"):
            rows = [r for r in b.rows if r.item]
            texts = [b.instruction[lang], *(r.text[lang] for r in rows)]
            raw = [b.construct.instruction[lang], *(r.item.text[lang] for r in rows)]
            assert not any("{partner}" in t or "{Partner}" in t for t in texts)
            other = [s for s in SECTORS if s != b.sector][0]
            if any("{partner}" in t for t in raw):
                noun = bank.partner[b.sector][lang]
                assert any(noun in t for t in texts)
                # the noun of the other sector appears only where the bank wording has it anyway
                other_noun = bank.partner[other][lang]
                assert all(other_noun not in t or other_noun in r for t, r in zip(texts, raw))
    com_v = next(b for b in q.blocks if b.key == "COM_v")
    assert com_v.instruction["en"] == bank.fill(bank.constructs["COM"].instruction["en"], "voluntary", "en")


def test_sector_form(bank):
    q = build_questionnaire(bank, sector="voluntary", lang="da")
    assert q.sectors == ("voluntary",) and not q.combined
    assert {b.sector for b in q.blocks} == {"voluntary"}
    assert [b.key for b in q.blocks] == [f"{c}_v" for c in _block_order(bank, "voluntary")]
    sector = q.sector_field
    assert sector.fixed is not None and sector.fixed.name == "voluntary"
    role = q.field("role")
    assert not role.filtered
    assert {c.name for c in role.choices} == {
        c.name for c in next(x for x in bank.context if x.id == "role").choices if "voluntary" in c.sectors}
    # exact partner noun in context questions, not both
    contact = q.field("contact_frequency")
    assert not contact.dynamic and bank.partner["voluntary"]["da"] in contact.label["da"]
    assert bank.partner["municipal"]["da"] not in contact.label["da"]


def test_combined_form_filters_and_switches_on_sector(bank):
    q = build_questionnaire(bank)
    assert q.field("role").filtered and q.field("organisation_type").filtered
    assert not q.field("service_area").filtered
    contact = q.field("contact_frequency")
    assert contact.dynamic
    for lang in ("en", "da"):
        # where the wording cannot switch, the neutral noun
        assert contact.label[lang] == bank.fill(contact.question.label[lang], None, lang)
        assert bank.partner_neutral[lang] in contact.label[lang]
        for s in SECTORS:
            assert contact.label_by_sector[s][lang] == bank.fill(contact.question.label[lang], s, lang)


def test_seeded_shuffle(bank):
    base = build_questionnaire(bank)
    a = build_questionnaire(bank, seed=11)
    b = build_questionnaire(bank, seed=11)
    c = build_questionnaire(bank, seed=12)
    assert a.item_order() == b.item_order()
    assert a.item_order() != c.item_order()
    assert a.item_order() != base.item_order()
    for key, ids in base.item_order().items():
        assert sorted(a.item_order()[key]) == sorted(ids)
        assert sorted(c.item_order()[key]) == sorted(ids)
    # block order itself is never shuffled
    assert list(a.item_order()) == list(base.item_order())


def test_shuffle_does_not_depend_on_form(bank):
    combined = build_questionnaire(bank, seed=5).item_order()
    municipal = build_questionnaire(bank, sector="municipal", seed=5).item_order()
    assert municipal == {k: v for k, v in combined.items() if k.endswith("_m")}


def test_no_seed_is_bank_order(bank):
    assert build_questionnaire(bank).item_order() == build_questionnaire(bank, seed=None).item_order()


@pytest.mark.parametrize("kw,message", [
    ({"sector": "private"}, "allowed: municipal, voluntary"),
    ({"lang": "de"}, "allowed: en, da"),
    ({"seed": "7"}, "seed must be an integer"),
    ({"seed": True}, "seed must be an integer"),
])
def test_bad_options(bank, kw, message):
    with pytest.raises(OptionError, match=message) as exc:
        build_questionnaire(bank, **kw)
    assert isinstance(exc.value, ValueError) and exc.value.exit_code == 2


def test_mixed_scales_split_into_matrices(mini_copy):
    items = yaml.safe_load((mini_copy / "items.yaml").read_text(encoding="utf-8"))
    items.append({"id": "INS_M9", "construct": "INS", "facet": "freq", "sectors": ["municipal"],
                  "reverse": False, "scale": "freq5", "text": {"en": "How often?", "da": "Hvor ofte?"},
                  "source": "x"})
    (mini_copy / "items.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    q = build_questionnaire(load_bank(mini_copy), sector="municipal")
    ins = q.blocks[0]
    assert [(m.part, m.scale.id) for m in ins.matrices] == [(1, "agree7"), (2, "freq5")]
    assert [r.id for r in ins.matrices[1].rows] == ["INS_M9"]


def test_mini_bank(mini_bank):
    q = build_questionnaire(mini_bank)
    assert [b.key for b in q.blocks] == ["INS_m", "SEL_m", "INS_v"]
    assert [r.id for r in q.blocks[0].rows] == ["INS_C1", "ATT_1", "INS_C2", "INS_M1"]
