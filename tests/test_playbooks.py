"""Step 5 — playbooks: how the layers combine, and the shipped templates."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.paths import TEMPLATES
from workbench.playbooks import FIELDS, build_playbooks, load_template, template_path

FULL = {
    "products": "all",
    "terms": "standard",
    "contacts_per_year": 12,
    "hours_per_contact": 1.0,
    "channel": "calls",
    "contact_person": "buyer",
    "resources": "catalogue",
    "role": "farmer",
}


def _template() -> dict:
    return {
        "tier_1": dict(FULL),
        "tier_2": {**FULL, "contacts_per_year": 4, "hours_per_contact": 0.5, "channel": "e-mail"},
        "A": {"contacts_per_year": 24, "channel": "meetings"},  # refines tier 1 for segment A
    }


def _priorities(pairs) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["segment", "tier"])


def test_layers_tier_then_segment_then_overrides():
    overrides = {"tier_1": {"contacts_per_year": 30, "hours_per_contact": 2.0}, "A": {"contacts_per_year": 36}}
    out = build_playbooks(_priorities([("A", 1), ("B", 1), ("C", 2)]), _template(), overrides).set_index("segment")
    # A: contacts 36 (override by segment beats override by tier 30, template A 24, tier 12);
    #    hours 2 (override by tier beats template tier 1); channel from template A; role from tier 1.
    assert out.loc["A", "contacts_per_year"] == 36
    assert out.loc["A", "hours_per_contact"] == 2.0
    assert out.loc["A", "channel"] == "meetings"
    assert out.loc["A", "role"] == "farmer"
    # B, also tier 1, has no entry of its own: the tier override applies.
    assert out.loc["B", "contacts_per_year"] == 30
    assert out.loc["B", "channel"] == "calls"
    # C is tier 2: untouched by the tier 1 override.
    assert out.loc["C", "contacts_per_year"] == 4
    assert out.loc["C", "hours_per_contact"] == 0.5
    assert out.loc["C", "channel"] == "e-mail"
    assert out.loc["C", "tier"] == 2


def test_template_segment_entry_beats_tier_entry():
    out = build_playbooks(_priorities([("A", 1)]), _template()).iloc[0]
    assert out["contacts_per_year"] == 24
    assert out["hours_per_contact"] == 1.0


def test_override_by_tier_beats_template_segment_entry():
    out = build_playbooks(_priorities([("A", 1)]), _template(), {"tier_1": {"channel": "video"}}).iloc[0]
    assert out["channel"] == "video"


def test_none_in_an_override_does_not_erase():
    # Overrides from the config carry None for fields not set.
    out = build_playbooks(_priorities([("A", 1)]), _template(), {"A": {"channel": None, "role": "closer"}}).iloc[0]
    assert out["channel"] == "meetings"
    assert out["role"] == "closer"


def test_columns_and_order():
    out = build_playbooks(_priorities([("C", 2), ("A", 1)]), _template())
    assert list(out.columns) == ["segment", "tier", *FIELDS]
    assert list(out["segment"]) == ["C", "A"]


def test_missing_field_names_the_segment():
    template = _template()
    del template["tier_2"]["resources"]
    with pytest.raises(ValueError, match=r"segment 'C' \(tier 2\): no value for resources"):
        build_playbooks(_priorities([("A", 1), ("C", 2)]), template)


def test_missing_tier_names_every_field():
    with pytest.raises(ValueError, match="segment 'D' .*products, terms, contacts_per_year"):
        build_playbooks(_priorities([("D", 3)]), _template())


# --------------------------------------------------------------------------- templates


def test_template_path():
    assert template_path("default", "ru") == TEMPLATES / "playbooks" / "default.ru.yaml"
    assert str(template_path("my/own.yaml", "en")) == "my/own.yaml"


def test_load_template_rejects_an_invalid_entry(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("tier_1:\n  role: boss\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.yaml: entry 'tier_1'"):
        load_template(path)
    with pytest.raises(FileNotFoundError):
        load_template(tmp_path / "missing.yaml")


#: The templates shipped in templates/playbooks/ (each in both languages).
SHIPPED = ("default", "small_business")


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request):
    return {lang: load_template(template_path(request.param, lang)) for lang in ("en", "ru")}


def test_every_shipped_template_is_tested():
    assert {p.name.split(".")[0] for p in (TEMPLATES / "playbooks").glob("*.yaml")} == set(SHIPPED)


def test_shipped_templates_have_the_same_entries(shipped):
    assert list(shipped["en"]) == list(shipped["ru"])
    assert {f"tier_{n}" for n in range(1, 7)} <= set(shipped["en"])
    assert {"lost", "potential"} <= set(shipped["en"])
    for key in shipped["en"]:
        assert set(shipped["en"][key]) == set(shipped["ru"][key]), key


@pytest.mark.parametrize("field", ["contacts_per_year", "hours_per_contact", "role"])
def test_shipped_templates_have_the_same_numbers(shipped, field):
    for key, entry in shipped["en"].items():
        assert entry.get(field) == shipped["ru"][key].get(field), (key, field)


def test_shipped_template_new_clients_go_to_hunters(shipped):
    assert shipped["en"]["potential"]["role"] == "hunter"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_shipped_template_covers_every_segment(shipped, lang):
    pairs = [("A", 1), ("B", 1), ("C", 2), ("D", 3), ("E", 4), ("lost", 5), ("potential", 6)]
    out = build_playbooks(_priorities(pairs), shipped[lang])
    assert out.notna().all().all()
    # E refines tier 4's wording but has no numbers of its own: tier 4's apply.
    assert "contacts_per_year" not in shipped[lang]["E"]
    assert out.set_index("segment").loc["E", "contacts_per_year"] == shipped[lang]["tier_4"]["contacts_per_year"]


@pytest.mark.parametrize("template", SHIPPED)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_default_resources_name_no_role_so_they_never_contradict_who_works(language, template):
    """Who works a segment is the plan's (its assignment); a template's resources are tools and materials."""
    import re

    from workbench.report.i18n import Translator

    t = Translator(language)
    sellers = ("head_of_sales", "key_account_manager", "farmer", "closer", "hunter")  # not "automation"
    roles = [t.label("roles", r).lower() for r in sellers]
    words = r"\b(manager|hunter|farmer)\b" if language == "en" else r"(менеджер|охотник|фермер)"
    for name, entry in load_template(template_path(template, language)).items():
        text = str(entry.get("resources", "")).lower()
        assert not re.search(words, text), (name, text)
        assert not any(role in text for role in roles), (name, text)
