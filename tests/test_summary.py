"""Page 1's forecast sentence: said only when the forecast is untested or weak."""

from workbench.report.i18n import Translator
from workbench.report.summary import forecast_warning

T = Translator("en", "GBP")
CEILING = {"top_share": 0.80, "total_ratio": 1.0}


def test_a_good_forecast_is_not_mentioned_on_page_one():
    info = {"backtested": True, "chosen": "naive", "reason_params": {}}
    good = {"naive": {"top_share": 0.74, "total_ratio": 1.1}, "perfect_foresight": CEILING}
    assert forecast_warning(info, good, T) == []


def test_a_weak_or_untested_forecast_is_said_with_its_numbers():
    info = {"backtested": True, "chosen": "naive", "reason_params": {}}
    off = {"naive": {"top_share": 0.74, "total_ratio": 1.4}, "perfect_foresight": CEILING}  # total 40 % off
    assert "total off by 40%" in forecast_warning(info, off, T)[0]
    blunt = {"naive": {"top_share": 0.56, "total_ratio": 1.0}, "perfect_foresight": CEILING}  # 0.56 / 0.80 = 70 %
    assert "ranking at 70% of perfect foresight" in forecast_warning(info, blunt, T)[0]
    untested = {"backtested": False, "chosen": "naive", "reason_params": {"history_months": 9, "required_months": 15}}
    assert "covers 9 months and a backtest needs 15" in forecast_warning(untested, {}, T)[0]


def test_c_loses_its_growth_label_when_last_year_does_not_bear_it_out(tmp_path):
    from workbench import artifacts
    from workbench.report.summary import run_translator

    artifacts.save(tmp_path, "grouping", info={"growth_check": {"confirmed": False}})
    t = run_translator(tmp_path, "en", "RUB")
    assert "growth not confirmed" in t.label("segments", "C")
    artifacts.save(tmp_path, "grouping", info={"growth_check": {"confirmed": True}})
    assert run_translator(tmp_path, "en", "RUB").label("segments", "C") == "C — growth potential"
