"""Synthetic demo company: a Russian industrial-supplies distributor.

``generate`` writes the CRM exports a real engagement would start from
(clients, invoice lines, payments, sales team).  Column names mimic a CRM
export on purpose, so the demo exercises the same column mapping as real data.
Everything comes from one ``np.random.default_rng(seed)``, so a seed always
yields byte-identical CSV files.

The company's labels (client names, regions, industries, channels, divisions,
CRM statuses, product lines, the team's names) are in the report's language.
Every random draw is made on the English labels (or on indices) and the
labels are translated afterwards, so one seed gives the same numbers, dates,
statuses and owners in every language: only the text differs.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

# Region -> INN region code; weights follow where industrial demand sits.
REGIONS = {
    "Moscow": "77",
    "Saint Petersburg": "78",
    "Kazan": "16",
    "Yekaterinburg": "66",
    "Novosibirsk": "54",
    "Nizhny Novgorod": "52",
    "Krasnodar": "23",
    "Samara": "63",
}
REGION_P = np.array([0.26, 0.14, 0.10, 0.12, 0.09, 0.10, 0.10, 0.09])
# Companies registered outside their sales region; several codes start with 0,
# which is why INN must be handled as text.
FOREIGN_INN_CODES = ("02", "03", "05", "07", "24", "50", "59", "74")
INDUSTRIES = (
    "Construction",
    "Manufacturing",
    "Food processing",
    "Energy",
    "Logistics",
    "Retail chains",
    "Public sector",
    "Agriculture",
)
INDUSTRY_P = np.array([0.20, 0.24, 0.10, 0.10, 0.12, 0.08, 0.06, 0.10])
CHANNELS = ("Direct", "Distributor", "E-commerce")
CORPORATE_MIN_EMPLOYEES = 250

PRODUCT_LINES = ("Fasteners", "Hand tools", "Consumables", "Equipment", "Service contracts", "Smart sensors")
LINE_MARGIN = np.array([0.32, 0.25, 0.18, 0.10, 0.45, 0.40])
LINE_MIX = np.array([0.25, 0.18, 0.30, 0.12, 0.15, 0.0])  # typical basket share
LINE_TICKET = np.array([1.0, 1.0, 0.8, 2.5, 1.5, 1.5])  # relative line value
NEW_LINE, NEW_LINE_MONTHS = PRODUCT_LINES.index("Smart sensors"), 9  # launched 9 months before end

SHARE_POTENTIAL, SHARE_LOST = 0.20, 0.12
INTENSITY_SIGMA = 1.05  # spread of client spend beyond size; sets the ~75% top-20% share
SPECIAL_PRICING_SHARE = 0.03  # buyers sold below cost
LOOKBACK_ACTIVE = 300  # active clients always bought within this many days

PREFIXES = (
    "Sever",
    "Ural",
    "Volga",
    "Sibir",
    "Neva",
    "Kama",
    "Baltic",
    "Don",
    "Altai",
    "Amur",
    "Oka",
    "Vyatka",
    "Tavr",
    "Zapad",
    "Vostok",
    "Yug",
    "Polar",
    "Ladoga",
    "Irtysh",
    "Angara",
)
ROOTS = (
    "stal",
    "mash",
    "prom",
    "stroy",
    "energo",
    "tekh",
    "snab",
    "metall",
    "khim",
    "les",
    "agro",
    "trans",
    "avto",
    "neft",
    "gaz",
)
TAILS = ("", "-Trade", "-Service", "-Komplekt", "-Invest", " Group", " Holding")
LEGAL_FORMS = ("LLC", "JSC", "PJSC")
MALE_FIRST = ("Alexey", "Dmitry", "Sergey", "Andrey", "Pavel", "Igor", "Mikhail", "Nikolai", "Oleg", "Roman")
FEMALE_FIRST = ("Elena", "Olga", "Natalia", "Irina", "Anna", "Tatiana", "Svetlana", "Marina", "Yulia")
SURNAMES = (
    "Ivanov",
    "Petrov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Sokolov",
    "Lebedev",
    "Kozlov",
    "Novikov",
    "Morozov",
    "Volkov",
    "Orlov",
    "Belov",
    "Zaitsev",
    "Pavlov",
    "Egorov",
    "Vinogradov",
)
CRM_STATUS = {  # CRM status is typed by hand: stale, inconsistent, sometimes blank
    "potential": (("Prospect", "In development", "New lead", "", "Stopped"), (0.5, 0.28, 0.1, 0.08, 0.04)),
    "lost": (("Stopped", "Active", "Inactive", "", "In development"), (0.45, 0.3, 0.1, 0.1, 0.05)),
    "active": (("Active", "In development", "active", "", "Stopped"), (0.8, 0.08, 0.05, 0.04, 0.03)),
}


LANGUAGES = ("en", "ru")

#: Russian labels of the English ones above, per output column (same order, same draws).
#: The exports' column headers in Russian, as a Russian CRM or 1C export names them; the English ones are the
#: generated ones. ``workbench demo --language ru`` maps them in engagement.yaml (``cli.demo_engagement``).
HEADERS: dict[str, dict[str, str]] = {
    "en": {},
    "ru": {
        "Client ID": "Код клиента",
        "Company": "Контрагент",
        "INN": "ИНН",
        "Region": "Регион",
        "Industry": "Отрасль",
        "Employees": "Численность сотрудников",
        "Annual revenue": "Годовая выручка",
        "Channel": "Канал продаж",
        "Division": "Подразделение",
        "Manager": "Ответственный",
        "CRM status": "Статус в CRM",
        "Invoice": "Номер счёта",
        "Date": "Дата",
        "Product line": "Товарная группа",
        "Amount": "Сумма",
        "Cost": "Себестоимость",
        "Due date": "Срок оплаты",
        "Paid date": "Дата оплаты",
        "Name": "ФИО",
        "Role": "Роль",
        "Capacity": "Ставка",
    },
}
#: The team workbook's sheet, by language.
TEAM_SHEET = {"en": "Team", "ru": "Команда"}

RU_LABELS: dict[str, dict[str, str]] = {
    "Region": {
        "Moscow": "Москва",
        "Saint Petersburg": "Санкт-Петербург",
        "Kazan": "Казань",
        "Yekaterinburg": "Екатеринбург",
        "Novosibirsk": "Новосибирск",
        "Nizhny Novgorod": "Нижний Новгород",
        "Krasnodar": "Краснодар",
        "Samara": "Самара",
    },
    "Industry": {
        "Construction": "Строительство",
        "Manufacturing": "Производство",
        "Food processing": "Пищевая промышленность",
        "Energy": "Энергетика",
        "Logistics": "Логистика",
        "Retail chains": "Розничные сети",
        "Public sector": "Госсектор",
        "Agriculture": "Сельское хозяйство",
    },
    "Channel": {"Direct": "Прямые продажи", "Distributor": "Дистрибьютор", "E-commerce": "Интернет-магазин"},
    "Division": {"Corporate": "Корпоративный отдел", "Regional": "Региональный отдел"},
    "CRM status": {  # as hand-typed as the English ones, including the lower-case duplicate
        "Prospect": "Потенциальный",
        "In development": "В работе",
        "New lead": "Новый лид",
        "Stopped": "Не работаем",
        "Active": "Активный",
        "active": "активный",
        "Inactive": "Неактивный",
        "": "",
    },
    "Product line": {
        "Fasteners": "Крепёж",
        "Hand tools": "Ручной инструмент",
        "Consumables": "Расходные материалы",
        "Equipment": "Оборудование",
        "Service contracts": "Сервисные контракты",
        "Smart sensors": "Умные датчики",
    },
}
#: Company-name parts, index for index with PREFIXES, ROOTS, TAILS and LEGAL_FORMS.
PREFIXES_RU = (
    "Север",
    "Урал",
    "Волга",
    "Сиб",
    "Нева",
    "Кама",
    "Балт",
    "Дон",
    "Алтай",
    "Амур",
    "Ока",
    "Вятка",
    "Тавр",
    "Запад",
    "Восток",
    "Юг",
    "Поляр",
    "Ладога",
    "Иртыш",
    "Ангара",
)
ROOTS_RU = (
    "сталь",
    "маш",
    "пром",
    "строй",
    "энерго",
    "тех",
    "снаб",
    "металл",
    "хим",
    "лес",
    "агро",
    "транс",
    "авто",
    "нефть",
    "газ",
)
TAILS_RU = ("", "-Трейд", "-Сервис", "-Комплект", "-Инвест", " Групп", " Холдинг")
LEGAL_FORMS_RU = ("ООО", "АО", "ПАО")
#: A public company (ПАО) is a large one: a smaller "PJSC" is an ООО, named with these tails instead of
#: TAILS_RU (so that no two clients share a name), which keeps ПАО rare and ООО the commonest form.
PUBLIC_MIN_EMPLOYEES = 1000
TAILS_RU_PRIVATE = ("-Центр", "-Ресурс", "-Опт", " Плюс", "-Профи", "-Развитие", "-Регион")
#: A small client (at most this many employees) whose name would be a bare ООО «…» is a sole trader (ИП).
SOLE_TRADER_MAX_EMPLOYEES = 15
RU_FIRST = dict(
    zip(
        MALE_FIRST,
        ("Алексей", "Дмитрий", "Сергей", "Андрей", "Павел", "Игорь", "Михаил", "Николай", "Олег", "Роман"),
        strict=True,
    )
) | dict(
    zip(
        FEMALE_FIRST,
        ("Елена", "Ольга", "Наталья", "Ирина", "Анна", "Татьяна", "Светлана", "Марина", "Юлия"),
        strict=True,
    )
)
#: Masculine forms; every one ends in -ов/-ев, whose feminine adds -а (Иванов, Иванова).
RU_SURNAMES = dict(
    zip(
        SURNAMES,
        (
            "Иванов",
            "Петров",
            "Смирнов",
            "Кузнецов",
            "Попов",
            "Соколов",
            "Лебедев",
            "Козлов",
            "Новиков",
            "Морозов",
            "Волков",
            "Орлов",
            "Белов",
            "Зайцев",
            "Павлов",
            "Егоров",
            "Виноградов",
        ),
        strict=True,
    )
)
#: Patronymic stems: + "ич" for a man, + "на" for a woman (Петрович, Петровна).
RU_PATRONYMICS = (
    "Александров",
    "Викторов",
    "Сергеев",
    "Андреев",
    "Петров",
    "Николаев",
    "Владимиров",
    "Юрьев",
    "Михайлов",
    "Олегов",
)
RU_VOWELS = set("аеёиоуыэюя")


def generate(
    out_dir,
    n_clients: int = 3000,
    years: int = 3,
    seed: int = 42,
    end_date: str = "2026-10-31",
    language: str = "en",
) -> dict[str, Path]:
    """Write the demo company's CRM exports into out_dir (created if absent).

    Parameters
    ----------
    out_dir : str or Path
        Target directory; created if absent, existing files are overwritten.
    n_clients : int, default 3000
        Rows in ``clients.csv`` (about 20% never buy). At least 50.
    years : int, default 3
        Years of invoice history ending at ``end_date``. At least 2, so that
        lost clients (nothing bought in the last 12 months) can exist.
    seed : int, default 42
        Seed for ``np.random.default_rng``; same seed gives identical CSVs.
    end_date : str, default "2026-10-31"
        Last day of the history (ISO date).
    language : {"en", "ru"}, default "en"
        Language of the labels: client names, regions, industries, channels,
        divisions, CRM statuses, product lines and the team's names. The
        numbers, dates, IDs, statuses and owners are the same in every
        language; a Russian sole trader (ИП) has a 12-digit INN, the same
        client's 10-digit one plus two control digits. The column headers and
        the team's sheet are in the language too (:data:`HEADERS`,
        :data:`TEAM_SHEET`), as a Russian CRM export writes them.

    Returns
    -------
    dict of str to Path
        Keys ``"clients"``, ``"transactions"``, ``"payments"``, ``"team"``.
    """
    if n_clients < 50:
        raise ValueError("n_clients must be at least 50")
    if years < 2:
        raise ValueError("years must be at least 2 so lost clients can exist")
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    end = pd.Timestamp(end_date).normalize()
    start = end - pd.DateOffset(years=years)
    span = (end - start).days
    launch = (end - pd.DateOffset(months=NEW_LINE_MONTHS) - start).days

    team = _team(rng)
    c = _clients(rng, n_clients, span, team)
    lines, inv = _transactions(rng, c, span, launch)
    due = _payments(rng, c, inv, span)

    base = np.datetime64(start.date(), "D")
    lines["Date"] = np.datetime_as_string(base + lines.pop("day").to_numpy())
    c, lines, team = _in_language(c, lines, team, language)
    paths = dict(
        clients=out / "clients.csv",
        transactions=out / "invoice_lines.csv",
        payments=out / "payments.csv",
        team=out / "team.xlsx",
    )
    header = HEADERS[language]
    c.loc[:, "Client ID":"CRM status"].rename(columns=header).to_csv(paths["clients"], index=False, lineterminator="\n")
    lines[["Invoice", "Client ID", "Date", "Product line", "Amount", "Cost"]].rename(columns=header).to_csv(
        paths["transactions"], index=False, float_format="%.2f", lineterminator="\n"
    )
    pay = pd.DataFrame(
        {
            "Invoice": inv["Invoice"],
            "Due date": np.datetime_as_string(base + due["due"]),
            "Paid date": np.where(due["paid"] <= span, np.datetime_as_string(base + np.minimum(due["paid"], span)), ""),
            "Amount": inv["total"],
        }
    )
    pay.rename(columns=header).to_csv(paths["payments"], index=False, float_format="%.2f", lineterminator="\n")
    with pd.ExcelWriter(paths["team"], engine="openpyxl") as xl:
        team.loc[:, "Manager":"Capacity"].rename(columns=header).to_excel(
            xl, sheet_name=TEAM_SHEET[language], index=False
        )
    return paths


def _team(rng) -> pd.DataFrame:
    # Deliberately hunter-light: the team plan should reveal an acquisition gap.
    n_farm, n_hunt = int(rng.integers(9, 11)), int(rng.integers(1, 3))
    roles = ["head_of_sales"] * 2 + ["key_account_manager"] * 2 + ["farmer"] * n_farm + ["hunter"] * n_hunt
    divs = (
        ["Corporate", "Regional", "Corporate", "Corporate"]
        + ["Corporate"] * 3
        + ["Regional"] * (n_farm - 3)
        + ["Regional", "Corporate"][:n_hunt]
    )
    n = len(roles)
    female = rng.random(n) < 0.4
    first = np.where(female, rng.choice(FEMALE_FIRST, n), rng.choice(MALE_FIRST, n))
    last = rng.permutation(SURNAMES)[:n]
    cap = np.ones(n)
    cap[rng.choice(np.arange(4, n), 2, replace=False)] = 0.5  # part-timers among field staff
    return pd.DataFrame(
        {
            "Manager": [f"M{i + 1:02d}" for i in range(n)],
            "Name": [f"{f} {s}{'a' if w else ''}" for f, s, w in zip(first, last, female, strict=True)],
            "Role": roles,
            "Division": divs,
            "Capacity": cap,
            "first": first,
            "surname": last,
            "female": female,
        }
    )


def _clients(rng, n: int, span: int, team: pd.DataFrame) -> pd.DataFrame:
    emp = np.clip(np.exp(rng.normal(np.log(80), 1.4, n)), 5, 20000).round().astype(int)
    revenue = pd.Series(np.round(emp * np.exp(rng.normal(np.log(6e6), 0.6, n)), -3)).astype("Int64")
    revenue = revenue.mask(rng.random(n) < 0.10)  # unknown for one client in ten
    region = rng.choice(len(REGIONS), n, p=REGION_P)
    corporate = emp >= CORPORATE_MIN_EMPLOYEES
    channel = np.where(corporate, rng.choice(3, n, p=[0.8, 0.15, 0.05]), rng.choice(3, n, p=[0.45, 0.35, 0.2]))
    p_status = [SHARE_POTENTIAL, SHARE_LOST, 1 - SHARE_POTENTIAL - SHARE_LOST]
    status = rng.choice(np.array(["potential", "lost", "active"]), n, p=p_status)
    # Buying windows: active clients run to the end, lost ones stop >13 months before it.
    start = np.where(rng.random(n) < 0.65, 0, rng.integers(0, span - 240, n))
    stop = np.full(n, span)
    lost = status == "lost"
    lost_stop = rng.integers(90, span - 395, n)
    lost_start = (lost_stop * rng.uniform(0.0, 0.7, n)).astype(int)
    start, stop = np.where(lost, lost_start, start), np.where(lost, lost_stop, stop)
    # Annual spend scales with size, times a heavy-tailed appetite: this yields Pareto-like skew.
    intensity = 1.2e6 * (emp / 80) ** 0.6 * np.exp(rng.normal(0, INTENSITY_SIGMA, n))
    # Two whale key accounts: long relationships, fixed share of total spend.
    act = np.flatnonzero(status == "active")
    whales = act[np.argsort(-emp[act], kind="stable")[:2]]
    start[whales] = 0
    spend = np.where(status == "potential", 0.0, intensity * (stop - start + 1) / 365)
    # Cap the random tail so only the planted whales dominate margin (keeps the KAM test meaningful).
    spend = np.minimum(spend, 0.035 * spend.sum())
    shares = np.array([rng.uniform(0.065, 0.095), rng.uniform(0.025, 0.045)])[: len(whales)]
    spend[whales] = shares * (spend.sum() - spend[whales].sum()) / (1 - shares.sum())
    buyer = spend > 0
    special = np.zeros(n, dtype=bool)  # exact count: a stable share at any size
    eligible = np.setdiff1d(np.flatnonzero(buyer), whales)
    special[rng.choice(eligible, max(1, round(SPECIAL_PRICING_SHARE * buyer.sum())), replace=False)] = True
    offset = np.clip(rng.normal(0, 0.03, n), -0.06, 0.06)
    offset[whales] = -0.02  # volume discount

    # Account ownership: biggest corporate buyers to KAMs, the rest to farmers of their division.
    division = np.where(corporate, "Corporate", "Regional")
    mgr = np.full(n, "", dtype=object)
    by_role = team.groupby(["Role", "Division"]).Manager.agg(list)
    for div in ("Corporate", "Regional"):
        m = buyer & (division == div)
        mgr[m] = rng.choice(by_role["farmer", div], m.sum())
    corp_buyers = np.flatnonzero(buyer & corporate)
    top = corp_buyers[np.argsort(-spend[corp_buyers], kind="stable")[: max(2, round(0.015 * buyer.sum()))]]
    mgr[top] = np.resize(by_role["key_account_manager", "Corporate"], len(top))
    mgr[lost & (rng.random(n) < 0.2)] = ""  # owner left, account orphaned
    prospect = (status == "potential") & (rng.random(n) < 0.3)
    mgr[prospect] = rng.choice(sum(by_role["hunter"], []), prospect.sum())
    crm = np.empty(n, dtype=object)
    for s, (labels, p) in CRM_STATUS.items():
        crm[status == s] = rng.choice(labels, (status == s).sum(), p=p)
    parts = _name_parts(rng, n)

    return pd.DataFrame(
        {
            "Client ID": [f"C{i + 1:05d}" for i in range(n)],
            "Company": [_company_name(row, "en") for row in parts],
            "INN": _inns(rng, region),
            "Region": np.array(list(REGIONS))[region],
            "Industry": rng.choice(INDUSTRIES, n, p=INDUSTRY_P),
            "Employees": emp,
            "Annual revenue": revenue,
            "Channel": np.array(CHANNELS)[channel],
            "Division": division,
            "Manager": mgr,
            "CRM status": crm,
            "status": status,
            "start": start,
            "stop": stop,
            "spend": spend,
            "intensity": intensity,
            "special": special,
            "offset": offset,
            "adopter": (status == "active") & ~special & (rng.random(n) < np.where(corporate, 0.12, 0.03)),
            "terms": rng.choice([30, 14, 60], n, p=[0.75, 0.1, 0.15]),
            "late": np.where(rng.random(n) < 0.15, rng.uniform(20, 90, n), 0.0),
            "name_parts": list(parts),
        }
    )


def _name_parts(rng, n: int) -> np.ndarray:
    """Each client's name as indices (prefix, root, tail, legal form) and its repeat (0: the first use)."""
    pool = np.array(list(itertools.product(*(range(len(p)) for p in (PREFIXES, ROOTS, TAILS, LEGAL_FORMS)))))
    pool = pool[rng.permutation(len(pool))]
    i = np.arange(n)
    # Beyond the combination pool, the repeats are numbered so that names stay unique.
    return np.column_stack([pool[i % len(pool)], i // len(pool)])


def _company_name(parts, language: str, employees: int = 0) -> str:
    """A client's name in ``language``: "Ladogagaz-Invest JSC", АО «Ладогагаз-Инвест», ИП Орлова Анна Петровна.

    Injective on the parts, whatever the employees: the legal form, tail and
    repeat number set apart any two clients.
    """
    p, r, t, f, repeat = (int(x) for x in parts)
    number = f" {repeat + 1}" if repeat else ""
    if language == "en":
        return f"{PREFIXES[p]}{ROOTS[r]}{TAILS[t]} {LEGAL_FORMS[f]}{number}"
    form, tail = LEGAL_FORMS_RU[f], TAILS_RU[t]
    if form == "ООО" and not tail and not repeat and employees <= SOLE_TRADER_MAX_EMPLOYEES:
        return "ИП " + _sole_trader(p * len(ROOTS) + r)
    if form == "ПАО" and employees < PUBLIC_MIN_EMPLOYEES:
        form, tail = "ООО", TAILS_RU_PRIVATE[t]
    prefix, root = PREFIXES_RU[p], ROOTS_RU[r]
    # Кама + авто reads as Кама-Авто, not Камаавто.
    stem = f"{prefix}-{root.capitalize()}" if prefix[-1] in RU_VOWELS and root[0] in RU_VOWELS else prefix + root
    return f"{form} «{stem}{tail}{number}»"


def _sole_trader(k: int) -> str:
    """A sole trader's full name (surname, first name, patronymic), one person per k < 17 x 18."""
    surname = RU_SURNAMES[SURNAMES[k % len(SURNAMES)]]
    q = k // len(SURNAMES)
    stem = RU_PATRONYMICS[(7 * k) % len(RU_PATRONYMICS)]
    if q < len(MALE_FIRST):
        return f"{surname} {RU_FIRST[MALE_FIRST[q]]} {stem}ич"
    return f"{surname}а {RU_FIRST[FEMALE_FIRST[(q - len(MALE_FIRST)) % len(FEMALE_FIRST)]]} {stem}на"


def _inn12(inn10: str) -> str:
    """A sole trader's 12-digit INN: the 10 digits given plus the two control digits of a personal INN."""
    digits = [int(x) for x in inn10]
    for weights in ((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)):
        digits.append(sum(w * d for w, d in zip(weights, digits, strict=True)) % 11 % 10)
    return "".join(map(str, digits))


def _in_language(
    c: pd.DataFrame, lines: pd.DataFrame, team: pd.DataFrame, language: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The clients, lines and team with their labels in ``language`` (the English ones are the generated ones)."""
    if language == "en":
        return c, lines, team
    c, lines, team = c.copy(), lines.copy(), team.copy()
    for column in ("Region", "Industry", "Channel", "Division", "CRM status"):
        c[column] = c[column].map(RU_LABELS[column])
    c["Company"] = [_company_name(p, language, int(e)) for p, e in zip(c["name_parts"], c["Employees"], strict=True)]
    sole = c["Company"].str.startswith("ИП ")
    c.loc[sole, "INN"] = c.loc[sole, "INN"].map(_inn12)
    lines["Product line"] = lines["Product line"].map(RU_LABELS["Product line"])
    team["Division"] = team["Division"].map(RU_LABELS["Division"])
    team["Name"] = [
        f"{RU_FIRST[f]} {RU_SURNAMES[s]}{'а' if w else ''}"
        for f, s, w in zip(team["first"], team["surname"], team["female"], strict=True)
    ]
    return c, lines, team


def _inns(rng, region: np.ndarray) -> np.ndarray:
    n = len(region)
    code = np.where(rng.random(n) < 0.1, rng.choice(FOREIGN_INN_CODES, n), np.array(list(REGIONS.values()))[region])
    body = code.astype(int) * 10**7 + rng.integers(0, 10**7, n)
    while len(np.unique(body)) < n:  # rare collisions: redraw only the duplicates
        dup = pd.Series(body).duplicated().to_numpy()
        body[dup] = code[dup].astype(int) * 10**7 + rng.integers(0, 10**7, dup.sum())
    digits = (body[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    check = (digits @ np.array([2, 4, 10, 3, 5, 9, 4, 6, 8])) % 11 % 10  # real INN control digit
    return np.char.zfill((body * 10 + check).astype(str), 10)


def _transactions(rng, c: pd.DataFrame, span: int, launch: int):
    buyers = np.flatnonzero(c.spend.to_numpy() > 0)
    b = c.iloc[buyers]
    length = (b.stop - b.start + 1).to_numpy()
    # Bigger clients order more often, but sub-linearly (their invoices are also bigger).
    freq = np.clip(9.5 * (b.intensity / b.intensity.median()).to_numpy() ** 0.3, 1, 150)
    n_inv = np.maximum(1, rng.poisson(freq * length / 365))
    pos = np.repeat(np.arange(len(buyers)), n_inv)
    start = b.start.to_numpy()[pos]
    day = start + (rng.random(len(pos)) * length[pos]).astype(int)
    # Guarantee each active client a recent order, so "active" is visible in the data.
    first = np.cumsum(n_inv) - n_inv
    first = first[(b.status == "active").to_numpy()]
    lo = np.maximum(start[first], span - LOOKBACK_ACTIVE)
    day[first] = lo + (rng.random(len(first)) * (span + 1 - lo)).astype(int)
    value = b.spend.to_numpy()[pos] / n_inv[pos] * rng.lognormal(-0.18, 0.6, len(pos))

    # Pick 1-4 distinct product lines per invoice by weighted sampling without replacement.
    pref = LINE_MIX * rng.lognormal(0, 0.8, (len(buyers), len(PRODUCT_LINES)))
    pref[:, NEW_LINE] = np.where(b.adopter, 0.5, 0.0)  # only a few early adopters
    w = pref[pos]
    w[:, NEW_LINE] *= day >= launch
    with np.errstate(divide="ignore"):
        order = np.argsort(rng.exponential(size=w.shape) / w, axis=1, kind="stable")
    k = rng.choice([1, 2, 3, 4], len(pos), p=[0.3, 0.3, 0.25, 0.15])
    inv = np.repeat(np.arange(len(pos)), k)
    pl = order[inv, np.arange(len(inv)) - np.repeat(np.cumsum(k) - k, k)]
    g = rng.gamma(2.0, size=len(inv)) * LINE_TICKET[pl]
    amount = np.maximum(np.round(value[inv] * g / np.bincount(inv, g)[inv], 2), 50.0)
    cli = pos[inv]
    margin = np.clip(LINE_MARGIN[pl] + b.offset.to_numpy()[cli] + rng.normal(0, 0.04, len(inv)), -0.05, 0.7)
    special = b.special.to_numpy()[cli]
    margin[special] = -rng.uniform(0.02, 0.15, special.sum())  # contracts priced below cost
    cost = np.round(amount * (1 - margin), 2)

    # Number invoices chronologically, as an ERP would.
    number = np.empty(len(pos), dtype=int)
    number[np.lexsort((pos, day))] = np.arange(len(pos))
    ids = np.char.add("INV-", np.char.zfill((number + 1).astype(str), 6))
    cid = b["Client ID"].to_numpy()
    lines = pd.DataFrame(
        {
            "Invoice": ids[inv],
            "Client ID": cid[cli],
            "day": day[inv],
            "Product line": np.array(PRODUCT_LINES)[pl],
            "Amount": amount,
            "Cost": cost,
            "_n": number[inv],
            "_pl": pl,
        }
    )
    lines = lines.sort_values(["_n", "_pl"], kind="stable").drop(columns=["_n", "_pl"]).reset_index(drop=True)
    invoices = pd.DataFrame(
        {
            "Invoice": ids,
            "client": buyers[pos],
            "day": day,
            "total": np.round(np.bincount(inv, amount), 2),
            "_n": number,
        }
    )
    return lines, invoices.sort_values("_n").reset_index(drop=True)


def _payments(rng, c: pd.DataFrame, inv: pd.DataFrame, span: int) -> dict[str, np.ndarray]:
    terms = c.terms.to_numpy()[inv.client]
    late = c.late.to_numpy()[inv.client]
    due = inv.day.to_numpy() + terms
    n = len(inv)
    # Good payers settle around the due date; chronic late payers drift 20-90 days past it.
    delay = np.where(rng.random(n) < 0.85, -rng.integers(0, 10, n), rng.integers(1, 12, n))
    delay = np.where(late > 0, np.maximum(1, rng.normal(late, 10)).astype(int), delay)
    paid = np.maximum(due + delay, inv.day.to_numpy() + 1)
    paid[(late > 0) & (rng.random(n) < 0.03)] = span + 1  # written-off: never paid
    return {"due": due, "paid": paid}
