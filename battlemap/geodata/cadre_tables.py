"""The cadre tables (issue 15): 帮扶干部 ``cadres``, 结对帮扶 ``assignments``, 帮扶日志 ``visits``.

Optional data-dir tables (a data dir made before them opens; the cadre panels say 无数据).
Dates are calendar days; an open ``end_date`` (null) means still in post / still assigned.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "CADRE_FILES",
    "CADRE_SCHEMAS",
    "ROLES",
    "ROLE_HELPER",
    "UNIT_LEVELS",
    "VISIT_KINDS",
]

ROLE_SECRETARY = "第一书记"
ROLE_TEAM = "驻村工作队员"
ROLE_HELPER = "帮扶责任人"
ROLES: tuple[str, ...] = (ROLE_SECRETARY, ROLE_TEAM, ROLE_HELPER)
UNIT_LEVELS: tuple[str, ...] = ("省直", "市直", "县直", "乡镇", "企业")
VISIT_KINDS: tuple[str, ...] = ("走访", "政策落实", "产业帮扶", "就业帮扶", "就医就学协调", "其他")

CADRE_FILES: dict[str, str] = {
    "cadres": "cadres.parquet",
    "assignments": "assignments.parquet",
    "visits": "visits.parquet",
}

CADRE_SCHEMAS: dict[str, pa.Schema] = {
    "cadres": pa.schema(
        [
            ("cadre_id", pa.string()),
            ("name", pa.string()),
            ("unit", pa.string()),
            ("unit_level", pa.string()),
            ("role", pa.string()),
            ("village_code", pa.string()),
            ("start_date", pa.date32()),
            ("end_date", pa.date32()),
        ]
    ),
    "assignments": pa.schema(
        [
            ("cadre_id", pa.string()),
            ("hh_id", pa.string()),
            ("start_date", pa.date32()),
            ("end_date", pa.date32()),
        ]
    ),
    "visits": pa.schema(
        [
            ("visit_id", pa.int64()),
            ("cadre_id", pa.string()),
            ("hh_id", pa.string()),
            ("date", pa.date32()),
            ("lon", pa.float64()),
            ("lat", pa.float64()),
            ("kind", pa.string()),
            ("note", pa.string()),
        ]
    ),
}
