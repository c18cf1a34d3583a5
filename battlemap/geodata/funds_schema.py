"""Projects and funds (扶贫项目资金, issue 14): table columns, vocabularies, metric names.

Four optional data-dir tables (a data dir without them opens; the funds panel says no data):
``projects``, ``project_beneficiaries``, ``fund_allocations``, ``fund_payments``. Amounts are
yuan (two decimals at most); the stores sum them as integer fen (分) so both engines give the
same totals to the cent.
"""

from __future__ import annotations

__all__ = [
    "ALLOCATION_COLUMNS",
    "BENEFICIARY_COLUMNS",
    "FUNDS_METRICS",
    "FUNDS_TABLES",
    "FUNDS_TABLE_FILES",
    "PAYEE_TYPES",
    "PAYMENT_COLUMNS",
    "PROJECT_COLUMNS",
    "PROJECT_STATUSES",
    "PROJECT_TYPES",
    "SOURCES",
    "SOURCE_KEYS",
    "STATUS_KEYS",
    "TYPE_KEYS",
]

# 项目类型, with the ASCII key of its per-type metric.
TYPE_KEYS: dict[str, str] = {
    "产业": "industry",
    "基础设施": "infrastructure",
    "易地扶贫搬迁": "relocation",
    "教育": "education",
    "健康": "health",
    "金融": "finance",
    "就业": "employment",
    "危房改造": "housing",
    "其他": "other",
}
PROJECT_TYPES: tuple[str, ...] = tuple(TYPE_KEYS)
# 项目状态 (the status recorded now; a year's status is derived from the dates).
STATUS_KEYS: dict[str, str] = {
    "计划": "planned",
    "在建": "building",
    "完工": "completed",
    "验收": "accepted",
    "终止": "terminated",
}
PROJECT_STATUSES: tuple[str, ...] = tuple(STATUS_KEYS)
# 资金来源.
SOURCE_KEYS: dict[str, str] = {
    "中央": "central",
    "省": "province",
    "市县": "city_county",
    "统筹整合": "integrated",
    "社会": "social",
}
SOURCES: tuple[str, ...] = tuple(SOURCE_KEYS)
PAYEE_TYPES: tuple[str, ...] = ("农户", "企业", "合作社", "其他")

PROJECT_COLUMNS: tuple[str, ...] = (
    "project_id",
    "name",
    "type",
    "code",
    "lon",
    "lat",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "status",
    "budget",
    "source",
    "unit",
)
BENEFICIARY_COLUMNS: tuple[str, ...] = ("project_id", "hh_id")
ALLOCATION_COLUMNS: tuple[str, ...] = (
    "allocation_id",
    "from_code",
    "to_code",
    "project_id",
    "date",
    "amount",
    "source",
    "document",
)
PAYMENT_COLUMNS: tuple[str, ...] = (
    "payment_id",
    "project_id",
    "date",
    "amount",
    "payee_type",
    "payee_hh_id",
)
FUNDS_TABLES: dict[str, tuple[str, ...]] = {
    "projects": PROJECT_COLUMNS,
    "project_beneficiaries": BENEFICIARY_COLUMNS,
    "fund_allocations": ALLOCATION_COLUMNS,
    "fund_payments": PAYMENT_COLUMNS,
}
FUNDS_TABLE_FILES: dict[str, str] = {t: f"{t}.parquet" for t in FUNDS_TABLES}

# Pre-aggregated values per (region code, year): integer counts, money in fen. Money is
# cumulative up to 31 December of the year unless ``_in_year``; projects count those begun
# (planned or actual start) by then; by source uses the project's source.
FUNDS_METRICS: tuple[str, ...] = (
    "allocated_fen",
    "paid_fen",
    "allocated_in_year_fen",
    "paid_in_year_fen",
    "projects",
    "projects_overdue",
    "anomalies",
    "beneficiaries",
    "beneficiary_persons",
    "beneficiary_income_gain_fen",
    *(f"allocated_fen_{k}" for k in SOURCE_KEYS.values()),
    *(f"paid_fen_{k}" for k in SOURCE_KEYS.values()),
    *(f"type_{k}" for k in TYPE_KEYS.values()),
    *(f"status_{k}" for k in STATUS_KEYS.values()),
)
