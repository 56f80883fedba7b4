"""The engagement schema: ``engagement.yaml`` loaded and validated strictly.

Every parameter of a run lives in the engagement config. It is validated
before any kernel starts: an unknown or misspelled key is an error that names
its path and the nearest valid key, so a typo never silently falls back to a
default.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: Canonical tables and their columns; ``required`` ones must be mapped.
CANONICAL_COLUMNS: dict[str, dict[str, list[str]]] = {
    "clients": {
        "required": ["client_id"],
        "optional": [
            "name",
            "inn",
            "region",
            "industry",
            "employees",
            "annual_revenue",
            "channel",
            "division",
            "manager_id",
            "status",
            "potential_score",
        ],
    },
    "transactions": {
        # amount may instead be derived from quantity x unit_price
        "required": ["client_id", "date", "amount"],
        # region, industry and channel on a line describe its client (an export of lines only, such as
        # Online Retail's Country): each client takes the value of most of its lines (intake.checks)
        "optional": ["invoice_id", "product_line", "cost", "quantity", "unit_price", "region", "industry", "channel"],
    },
    "payments": {
        "required": ["invoice_id", "due_date", "paid_date"],
        "optional": ["amount"],
    },
    "team": {
        "required": ["manager_id", "role"],
        "optional": ["name", "division", "capacity"],
    },
}

ROLES = ("head_of_sales", "key_account_manager", "farmer", "closer", "hunter")
METRICS = ("margin_share", "revenue_share", "margin_pct", "headroom_share", "frequency", "new_line_gap", "smb_share")
#: The method's key accounts that are not about money (the money-based flags are key, critical, mono):
#: high potential not yet realised, a known reference brand, a partner who shares its plans, a client
#: more competent than the company, an innovator (about 2.5 % of clients take up new things first).
KEY_ACCOUNT_KINDS = ("potential", "reference", "partner", "competent", "innovator")


class ConfigError(ValueError):
    """The engagement config is invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class EngagementInfo(_Strict):
    """Who the report is for and how it is dated, written and seeded (``engagement:``)."""

    company: str = Field(description="The company the report is addressed to.")
    title: str | None = Field(
        None, description="Report title; default: 'Client segmentation' in the report's language."
    )
    consultant: str = ""
    firm: str = Field("", description="The consultant's firm, on the cover.")
    logo: str | None = Field(
        None, description="A PNG, JPEG or SVG file (relative to the engagement folder) shown on the cover."
    )
    brand_colour: str | None = Field(
        None, pattern=r"^#[0-9a-fA-F]{6}$", description="Headings and rules in this colour, as #RRGGBB."
    )
    language: Literal["en", "ru"] = "en"
    currency: str = "RUB"
    as_of: dt.date | None = Field(None, description="Analysis date; default: the last transaction date.")
    seed: int = 42


class RowFilter(_Strict):
    """Rows to keep or exclude by the values of export columns (``data.<table>.filter:``).

    Keys are the export's column names (positions, 1-based, when ``header: false``);
    values are the cell texts to match exactly (after trimming spaces). A row is
    kept when it matches every ``keep`` column and no ``exclude`` column. Filtered
    rows are counted and valued per file in the report's appendix.
    """

    keep: dict[str | int, list[str]] = Field(default_factory=dict)
    exclude: dict[str | int, list[str]] = Field(default_factory=dict)


class TableSource(_Strict):
    """One export file and how to read it (``data.<table>:``).

    Every reading option left out is decided from the file itself (the whole
    column, never value by value) and ``workbench validate`` prints what it
    decided and the line that pins it; an option given here always wins.
    """

    file: str = Field(description="Path of the export, relative to the engagement folder.")
    columns: dict[str, str | int] = Field(
        default_factory=dict,
        description="canonical column -> column in the file (its position, 1-based, without header)",
    )
    sheet: str | int | None = None
    header: bool = Field(True, description="false: the file has no header row; map columns by position.")
    sep: str | None = Field(None, description="CSV separator; default: detected (, ; tab |).")
    encoding: str | None = Field(
        None, description="Default: UTF-8 (with or without BOM), else Windows-1251 if it reads as Russian."
    )
    decimal: str | None = Field(None, description="Decimal mark of text numbers; default: decided per column.")
    thousands: str | None = Field(None, description="Thousands separator of text numbers; default: decided per column.")
    date_format: str | None = Field(None, description="strftime format of text dates; default: decided per column.")
    dayfirst: bool | None = Field(None, description="Slashed dates (01/02/2025) are day-first; default: from locale.")
    locale: str | None = Field(
        None, description="The export's locale (ru_RU, en_US, de_DE): settles slashed dates and 1,234-style numbers."
    )
    filter: RowFilter | None = None

    @model_validator(mode="after")
    def _positions_without_header(self) -> TableSource:
        for canon, src in self.columns.items():
            if not self.header and not isinstance(src, int):
                raise ValueError(
                    f"columns.{canon}: with header: false, map columns by position (1-based), e.g. {canon}: 2; got '{src}'"
                )
            if isinstance(src, int) and src < 1:
                raise ValueError(f"columns.{canon}: positions start at 1, got {src}")
        if self.locale is not None:
            from babel import Locale, UnknownLocaleError

            try:
                Locale.parse(self.locale)
            except (ValueError, UnknownLocaleError) as exc:
                raise ValueError(f"locale: unknown locale '{self.locale}' (expected e.g. ru_RU, en_US, de_DE)") from exc
        return self


class DataConfig(_Strict):
    """The exports that feed the canonical tables (``data:``); only transactions is required."""

    transactions: TableSource
    clients: TableSource | None = None
    payments: TableSource | None = None
    team: TableSource | None = None

    @model_validator(mode="after")
    def _known_columns(self) -> DataConfig:
        for table in CANONICAL_COLUMNS:
            source = getattr(self, table)
            if source is None:
                continue
            valid = CANONICAL_COLUMNS[table]["required"] + CANONICAL_COLUMNS[table]["optional"]
            for key in source.columns:
                if key not in valid:
                    raise ConfigError(_unknown_key_message(f"data.{table}.columns.{key}", key, valid))
        return self


class GoalConfig(_Strict):
    """Step 1: the engagement's goal, which sets how segments are ranked (``goal:``)."""

    name: Literal["grow_margin_key_clients", "cross_sell_new_line", "acquire_smb", "custom"] = "grow_margin_key_clients"
    weights: dict[str, float] = Field(
        default_factory=dict, description="Override or (for custom) define metric weights."
    )
    new_product_line: str | None = None

    @field_validator("weights")
    @classmethod
    def _known_metrics(cls, weights: dict[str, float]) -> dict[str, float]:
        for key, value in weights.items():
            if key not in METRICS:
                raise ValueError(_unknown_key_message(f"goal.weights.{key}", key, METRICS))
            if value < 0:
                raise ValueError(f"goal.weights.{key}: weight must be >= 0, got {value}")
        return weights

    @model_validator(mode="after")
    def _custom_needs_weights(self) -> GoalConfig:
        if self.name == "custom" and not self.weights:
            raise ValueError("goal.weights: a custom goal needs at least one weight")
        if self.name == "cross_sell_new_line" and not self.new_product_line:
            raise ValueError(
                "goal.new_product_line: the goal cross_sell_new_line needs the name of the new product line"
            )
        return self


class ForecastConfig(_Strict):
    """Step 2: the backtest behind each client's forecast next period (``criteria.forecast:``).

    The forecast gives potential from behaviour (only when
    ``potential_from_behaviour`` is on and a model beats last year's revenue), the segments' expected revenue (step 4) and the
    plan's expected margin (step 6).
    """

    horizon_months: int = Field(
        12, ge=1, le=36, description="Forecast horizon; shortened (and said) when history is short."
    )
    min_history_months: int = Field(12, ge=1, description="History the candidates need before the backtest cutoff.")
    min_horizon_months: int = Field(
        3, ge=1, description="Shortest horizon worth backtesting; below it, naive and no backtest."
    )
    margin: float = Field(0.02, ge=0, lt=1, description="A model must beat the naive forecast by this relative margin.")


class CriteriaConfig(_Strict):
    """Step 2: the window and benchmarks behind the per-client criteria (``criteria:``)."""

    lookback_months: int = Field(12, ge=1, le=60, description="Active = bought within this window before as_of.")
    peer_quantile: float = Field(0.75, gt=0, lt=1, description="Peer benchmark quantile for estimated potential.")
    min_peers: int = Field(
        5,
        ge=2,
        description="Fewest peers (same industry and size/region) whose revenue may stand for a client's potential.",
    )
    wallet_share: float | None = Field(
        0.01,
        gt=0,
        le=1,
        description="Share of a client's own annual revenue it could spend with the company (size-based potential); null: off.",
    )
    wallet_share_by_industry: dict[str, float] = Field(default_factory=dict, description="Per-industry wallet shares.")
    spend_per_employee: float | None = Field(
        None, gt=0, description="Yearly spend a client could place per employee (size-based potential); off by default."
    )
    potential_from_behaviour: bool = Field(
        False,
        description=(
            "Take a client's forecast next year (its own purchase behaviour) as its potential where nothing better "
            "supports one. Off by default: a forecast of what a client will buy says nothing about what it could "
            "buy, so potential stays unknown rather than repeat the revenue."
        ),
    )
    size_bands: list[int] = Field(
        default_factory=lambda: [50, 250, 1000], description="Employee counts that split size bands."
    )
    lost_min_history_months: float = Field(
        6,
        ge=0,
        description="History the data must cover before the window for a client who stopped buying to be called lost.",
    )
    forecast: ForecastConfig = Field(default_factory=ForecastConfig)


class AbcdeConfig(_Strict):
    """Step 3: the ABCDE rule's quantiles and the column it classifies within (``grouping.abcde:``)."""

    top_profit_quantile: float = Field(0.8, gt=0, lt=1)
    high_quantile: float = Field(0.5, gt=0, lt=1)
    within: str | None = Field(
        "channel", description="Classify within each value of this client column (None: whole base)."
    )
    min_group: int = Field(20, ge=2, description="Smaller groups are classified with the whole base's thresholds.")

    @model_validator(mode="after")
    def _ordered(self) -> AbcdeConfig:
        if self.high_quantile > self.top_profit_quantile:
            raise ValueError(
                f"grouping.abcde: high_quantile ({self.high_quantile}) must not exceed "
                f"top_profit_quantile ({self.top_profit_quantile})"
            )
        return self


KMEANS_FEATURES = (
    "revenue",
    "margin",
    "margin_pct",
    "frequency",
    "recency_days",
    "tenure_months",
    "n_product_lines",
    "avg_invoice",
    "invoices",
    "revenue_total",
    "potential",
    "headroom",
    "employees",
    "annual_revenue",
    "on_time_share",
    "avg_days_late",
)


class KMeansConfig(_Strict):
    """Step 3: KMeans clusters and the criteria they are built on (``grouping.kmeans:``)."""

    n_clusters: int = Field(5, ge=2, le=20)
    features: list[str] = Field(
        default_factory=lambda: ["revenue", "margin", "frequency", "recency_days", "tenure_months", "n_product_lines"]
    )

    @field_validator("features")
    @classmethod
    def _known_features(cls, features: list[str]) -> list[str]:
        for name in features:
            if name not in KMEANS_FEATURES:
                raise ValueError(
                    _unknown_key_message(f"grouping.kmeans.features: '{name}'", name, KMEANS_FEATURES).replace(
                        "unknown key", "unknown criterion"
                    )
                )
        if not features:
            raise ValueError("grouping.kmeans.features: list at least one criterion")
        return features


class GroupingConfig(_Strict):
    """Step 3: which segmentation method runs (``grouping:``)."""

    method: Literal["abcde", "kmeans"] = "abcde"
    abcde: AbcdeConfig = Field(default_factory=AbcdeConfig)
    kmeans: KMeansConfig = Field(default_factory=KMeansConfig)


class PrioritiesConfig(_Strict):
    """Step 4: tiers and key-account thresholds (``priorities:``)."""

    n_tiers: int = Field(
        4, ge=2, le=6, description="Tier 1 = highest priority; the lowest may be dropped, the one above it automated."
    )
    key_account_thresholds: tuple[float, float, float] = (0.10, 0.20, 0.70)
    key_account_kinds: dict[str, list[str]] = Field(
        default_factory=dict,
        description="client_id -> the key-account kinds a consultant names, not about money: "
        + ", ".join(KEY_ACCOUNT_KINDS)
        + "; such a client counts as a key account whatever its share.",
    )

    @field_validator("key_account_kinds", mode="before")
    @classmethod
    def _kinds_as_lists(cls, value: Any) -> Any:
        # A client ID may be read from YAML as a number (1042), and one kind may be given without a list.
        if isinstance(value, dict):
            return {str(k): [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("key_account_kinds")
    @classmethod
    def _known_kinds(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for client, kinds in value.items():
            for kind in kinds:
                if kind not in KEY_ACCOUNT_KINDS:
                    near = difflib.get_close_matches(kind, KEY_ACCOUNT_KINDS, n=1, cutoff=0.6)
                    hint = f" (did you mean '{near[0]}'?)" if near else ""
                    raise ValueError(
                        f"priorities.key_account_kinds.{client}: unknown key-account kind '{kind}'{hint}; "
                        f"valid kinds: {', '.join(KEY_ACCOUNT_KINDS)}"
                    )
        return {client: list(dict.fromkeys(kinds)) for client, kinds in value.items()}

    @field_validator("key_account_thresholds")
    @classmethod
    def _increasing(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if not 0 < value[0] < value[1] < value[2] <= 1:
            raise ValueError(
                f"priorities.key_account_thresholds: expected three increasing shares in (0, 1] "
                f"(key < critical < mono), got {list(value)}"
            )
        return value


class PlaybookEntry(_Strict):
    """Step 5: one playbook's fields; empty fields keep the template's value."""

    products: str | None = None
    terms: str | None = None
    contacts_per_year: float | None = Field(None, ge=0)
    hours_per_contact: float | None = Field(None, ge=0)
    channel: str | None = None
    contact_person: str | None = None
    resources: str | None = None
    role: Literal[ROLES + ("automation", "none")] | None = None  # type: ignore[valid-type]  # Literal built from the ROLES tuple: pydantic checks it at run time


class PlaybooksConfig(_Strict):
    """Step 5: the playbook template and per-tier or per-segment overrides (``playbooks:``)."""

    template: str = Field("default", description="templates/playbooks/<template>.<language>.yaml, or a path.")
    overrides: dict[str, PlaybookEntry] = Field(
        default_factory=dict, description="By tier_1.., segment label, lost, potential."
    )


class TeamMember(_Strict):
    """One seller of the company's team (an entry of ``team:``)."""

    manager_id: str
    role: Literal[ROLES]  # type: ignore[valid-type]  # Literal built from the ROLES tuple: pydantic checks it at run time
    name: str = ""
    division: str = ""
    capacity: float = Field(1.0, gt=0, le=1.5)


class EconomicsConfig(_Strict):
    """Step 6: what a selling hour costs and what contact brings (``allocation.economics:``).

    Every value is an assumption shown in the report beside the conclusions it drives.
    """

    cost_per_hour: dict[str, float] = Field(
        default_factory=dict,
        description="Cost of a selling hour by role, in the engagement's currency; default: a table for RUB, GBP, EUR, USD.",
    )
    assumed_margin_pct: float = Field(0.25, gt=0, lt=1, description="Gross margin assumed when the data has no cost.")
    max_cost_share: float = Field(
        0.5, gt=0, le=1, description="A segment's contact plan may cost at most this share of its margin."
    )
    response_share: float = Field(
        0.2, gt=0, le=1, description="Share of a segment's yearly margin that contact work protects or adds."
    )
    half_contacts: float = Field(
        2.0, gt=0, description="Contacts a year that reach half of that effect (diminishing returns)."
    )
    winback_share: float = Field(
        0.15, ge=0, le=1, description="Share of a lost client's past yearly margin a win-back can regain."
    )
    conversion_rate: float = Field(0.05, ge=0, le=1, description="Share of never-bought clients that hunting converts.")
    new_client_years: float = Field(3.0, gt=0, description="Years a won (or won-back) client keeps buying.")
    stand_in_efficiency: float = Field(0.8, gt=0, le=1, description="Output of a seller standing in for another role.")
    variable_cost_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description=(
            "Share of a selling hour's cost spent only when the hour is worked (travel, calls): what an hour "
            "the current team has paid for adds when worked. A hire costs its full hours."
        ),
    )
    remote_hours: float = Field(
        0.25, gt=0, description="Hours of a remote contact (a call or message), the cheaper channel."
    )
    remote_effect: float = Field(0.5, gt=0, le=1, description="Effect of a remote contact relative to a personal one.")
    frequency_options: list[float] = Field(
        default_factory=lambda: [0.0, 1.0, 2.0, 4.0, 6.0, 12.0],
        description="Contact frequencies the plan may choose from.",
    )

    @field_validator("cost_per_hour")
    @classmethod
    def _roles(cls, value: dict[str, float]) -> dict[str, float]:
        for role, cost in value.items():
            if role not in ROLES:
                raise ValueError(_unknown_key_message(f"allocation.economics.cost_per_hour.{role}", role, ROLES))
            if cost <= 0:
                raise ValueError(f"allocation.economics.cost_per_hour.{role}: must be > 0, got {cost}")
        return value


class LargestReviewConfig(_Strict):
    """Step 6: the largest clients in a segment the plan stops or automates keep an owner (``allocation.largest_review:``).

    The method: the largest clients always have an owner. Those among the top ``top_share`` of active
    clients by revenue whose segment is not worked by sellers get one for a review of their terms; the
    largest ``prospects_share`` of never-bought clients, where the plan serves them remotely or by
    automation, a named hunter who approaches them in person.
    """

    top_share: float = Field(0.2, ge=0, le=1, description="Share of active clients by revenue counted as the largest.")
    contacts_per_year: float = Field(2, ge=0, description="Contacts a year of the review (0: the rule is off).")
    hours_per_contact: float = Field(1.0, gt=0, description="Hours per review contact.")
    prospects_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description=(
            "Share of never-bought clients, the largest by their own evidence of potential (an analyst's score or "
            "their size), approached in person by a named hunter where their segment is served remotely or by "
            "automation (0: off)."
        ),
    )


class CallListsConfig(_Strict):
    """Step 6: the seeds' rules for the call lists (``allocation.calls:``)."""

    holding_months: int = Field(
        6, ge=1, le=36, description="Clients the plan does not work now are due again after this many months."
    )
    cold_call_gap_days: int = Field(30, ge=1, le=365, description="Fewest days between two calls to the same client.")
    winback_half_life_months: float = Field(
        12,
        gt=0,
        description="Win-back rank: past margin halves in weight for every this many months since the last purchase.",
    )
    at_risk_p_buy: float = Field(
        0.5,
        gt=0,
        le=1,
        description="An active client below this backtested chance of buying again is on the retention list.",
    )
    start: dt.date | None = Field(
        None,
        description="First day of the call lists. Default: the day the plan is made (the run's date), or the day "
        "after the data ends when that is later, so that no first call is overdue when the report arrives.",
    )


class AllocationConfig(_Strict):
    """Step 6: selling hours and the method's staffing rules (``allocation:``)."""

    selling_hours_per_fte: float = Field(1000, gt=0, description="Hours a year one FTE spends on client contacts.")
    max_reports_per_head: int = Field(
        7, ge=1, le=15, description="Span of control: direct reports of one head of sales (the method: 6–7 at most)."
    )
    split_departments_at: int | None = Field(
        10,
        ge=2,
        description="From this many sellers (needed by the plan or in the team) the sales force is split into two or "
        "more sales departments, each with its own head (the method: with 10–15 sellers); null: never split.",
    )
    accounts_per_kam: int = Field(3, ge=1, le=10)
    drop_lowest_tier: bool = True
    automate_tiers: list[int] | None = Field(
        None, description="Tiers worked by automation; default: the lowest tier still worked."
    )
    dedicated_hunters: bool = True
    economics: EconomicsConfig = Field(default_factory=EconomicsConfig)
    calls: CallListsConfig = Field(default_factory=CallListsConfig)
    hold_without_sale_months: float | None = Field(
        12,
        gt=0,
        description="A manager who has not sold to a client for this long loses it to another (null: off).",
    )
    portfolio_max_industries: int = Field(
        3, ge=1, description="More industries than this in one manager's portfolio is flagged (the method: do not mix)."
    )
    stop_segments: list[str] = Field(
        default_factory=list,
        description="Segments the consultant decides not to work (e.g. [D]); their clients go to the holding area.",
    )
    largest_review: LargestReviewConfig = Field(default_factory=LargestReviewConfig)
    pilot_months: int = Field(
        6,
        ge=1,
        le=24,
        description="Length of the pilot that measures the response to contact before hires that pay only at the "
        "assumed response.",
    )


#: The sections a what-if scenario may change (never the data or the engagement).
SCENARIO_SECTIONS = ("goal", "criteria", "grouping", "priorities", "playbooks", "allocation")


class ScenarioConfig(_Strict):
    """A what-if scenario (an entry of ``scenarios:``), run beside the plan and compared with it."""

    name: str = Field(min_length=1, description="How the report names the scenario, e.g. '+2 hunters'.")
    team_add: dict[Literal[ROLES], float] = Field(  # type: ignore[valid-type]  # Literal from the ROLES tuple
        default_factory=dict, description="FTE added to the team per role, e.g. {hunter: 2}."
    )
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description="Step keys laid over the engagement's config, e.g. {allocation: {stop_segments: [D]}}.",
    )

    @field_validator("team_add")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for role, fte in value.items():
            if fte <= 0:
                raise ValueError(f"team_add.{role}: FTE to add must be > 0, got {fte}")
        return value


def merge_changes(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` laid over it: nested mappings merge, anything else replaces."""
    out = dict(base)
    for key, value in changes.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merge_changes(out[key], value) if both else value
    return out


class EngagementConfig(_Strict):
    """The whole ``engagement.yaml``: every parameter of a run."""

    engagement: EngagementInfo
    data: DataConfig
    goal: GoalConfig = Field(default_factory=GoalConfig)
    criteria: CriteriaConfig = Field(default_factory=CriteriaConfig)
    grouping: GroupingConfig = Field(default_factory=GroupingConfig)
    priorities: PrioritiesConfig = Field(default_factory=PrioritiesConfig)
    playbooks: PlaybooksConfig = Field(default_factory=PlaybooksConfig)
    allocation: AllocationConfig = Field(default_factory=AllocationConfig)
    team: list[TeamMember] = Field(default_factory=list, description="The sales team, if not given as data.team.")
    scenarios: list[ScenarioConfig] = Field(
        default_factory=list, description="What-if scenarios run beside the plan and shown side by side with it."
    )

    def scenario(self, index: int) -> EngagementConfig:
        """The config of scenario ``index``: its ``changes`` laid over this one, validated, without scenarios."""
        scenario = self.scenarios[index]
        where = f"scenarios[{index}] ({scenario.name}).changes"
        bad = sorted(set(scenario.changes) - set(SCENARIO_SECTIONS))
        if bad:
            raise ConfigError(
                f"{where}: cannot change {', '.join(bad)}; a scenario may change {', '.join(SCENARIO_SECTIONS)}"
            )
        raw = merge_changes(self.model_dump(mode="json", exclude={"scenarios"}), scenario.changes)
        return parse_config(raw, source=where)

    @model_validator(mode="after")
    def _scenarios_are_valid_configs(self) -> EngagementConfig:
        names = [s.name for s in self.scenarios]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigError(f"scenarios: each needs its own name; used more than once: {', '.join(twice)}")
        for i in range(len(self.scenarios)):
            self.scenario(i)  # a wrong key in a scenario fails at load, not after the plan has run
        return self


# --------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> EngagementConfig:
    """Read and strictly validate an ``engagement.yaml``.

    Parameters
    ----------
    path : str or Path
        The config file, or an engagement folder holding ``engagement.yaml``.

    Returns
    -------
    EngagementConfig

    Raises
    ------
    ConfigError
        With every problem listed as ``<file>: <key path>: <what is wrong>``,
        and for unknown keys the nearest valid key.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "engagement.yaml"
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    return parse_config(raw, source=str(path))


def parse_config(raw: dict[str, Any], source: str = "engagement.yaml") -> EngagementConfig:
    """Validate an already-parsed config mapping; see :func:`load_config`."""
    try:
        return EngagementConfig.model_validate(raw)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except ValidationError as exc:
        problems = [_describe(err, raw) for err in exc.errors()]
        raise ConfigError(f"{source}: " + "\n".join(problems)) from None


def _describe(err: Mapping[str, Any], raw: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc)
    if err["type"] == "extra_forbidden":
        valid = _valid_keys_at(loc[:-1])
        return _unknown_key_message(where, loc[-1], valid)
    if err["type"] == "missing":
        return f"{where}: required key is missing"
    msg = err["msg"]
    if isinstance(err.get("ctx", {}).get("error"), ConfigError | ValueError):
        msg = str(err["ctx"]["error"])
        return msg
    value = err.get("input")
    return f"{where}: {msg} (got {value!r})"


def _valid_keys_at(loc: list[str]) -> list[str]:
    """The keys the schema allows at a location (walks nested models, mappings and lists)."""
    model: Any = EngagementConfig
    skip = False
    for part in loc:
        if skip:  # a mapping key (tier_1) or a list index (0) between a field and its model
            skip = False
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        origin = getattr(field.annotation, "__origin__", None)
        skip = origin in (dict, list)
        model = _model_of(field.annotation)
        if model is None:
            return []
    return list(model.model_fields) if hasattr(model, "model_fields") and not skip else []


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _unknown_key_message(where: str, key: str, valid: list[str] | tuple[str, ...]) -> str:
    # A valid key that the typo begins (recency -> recency_days) beats a merely similar one.
    near = [v for v in valid if v.startswith(key)][:1] or difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    hint = f"did you mean '{near[0]}'?" if near else f"valid keys: {', '.join(valid)}"
    return f"{where}: unknown key '{key}'; {hint}"


def dump_config(config: EngagementConfig) -> dict[str, Any]:
    """The resolved config as plain data (defaults filled in), for the manifest."""
    return config.model_dump(mode="json")
