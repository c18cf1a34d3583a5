"""Table names, column names and the fixed vocabularies of DESIGN.md's data model."""

from __future__ import annotations

from battlemap.geodata.funds_schema import FUNDS_TABLE_FILES

__all__ = [
    "CAUSES",
    "CAUSE_CODES",
    "EQUAL_AREA_CRS",
    "HH_TYPES",
    "OPTIONAL_TABLE_FILES",
    "POOR_STATUSES",
    "REGION_TABLE_COLUMNS",
    "STATUS_EXITED",
    "STATUS_POOR",
    "STATUS_RETURNED",
    "TABLE_FILES",
    "YEARS",
]

YEARS: tuple[int, ...] = tuple(range(2014, 2021))

STATUS_POOR = "未脱贫"
STATUS_EXITED = "已脱贫"
STATUS_RETURNED = "返贫"
POOR_STATUSES: tuple[str, ...] = (STATUS_POOR, STATUS_RETURNED)

HH_TYPES: tuple[str, ...] = ("一般户", "低保户", "特困供养户")

# Poverty causes 01–12 (致贫原因), in code order.
CAUSES: tuple[str, ...] = (
    "因病",
    "因残",
    "因学",
    "因灾",
    "缺土地",
    "缺水",
    "缺技术",
    "缺劳动力",
    "缺资金",
    "交通条件落后",
    "自身发展动力不足",
    "其他",
)
CAUSE_CODES: dict[str, str] = {name: f"{i + 1:02d}" for i, name in enumerate(CAUSES)}

# Columns of the regions table, in file order (geometry last).
REGION_TABLE_COLUMNS: tuple[str, ...] = (
    "code",
    "level",
    "name",
    "parent_code",
    "zone",
    "poverty_flag",
    "area_km2",
    "label_lon",
    "label_lat",
    "geometry",
)
# Albers equal-area for China, for area_km2.
EQUAL_AREA_CRS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m"

# Data-dir file for each DESIGN.md table.
TABLE_FILES: dict[str, str] = {
    "regions": "regions.parquet",
    "households": "households.parquet",
    "household_years": "household_years.parquet",
    "relocations": "relocations.parquet",
    "labour_flows": "labour_flows.parquet",
    "rural_population": "rural_population.parquet",
}

# Tables a data dir may lack: county assessments (satisfaction, missed registration) come from
# third-party evaluations; without them the county exit check says 无数据, never passes.
OPTIONAL_TABLE_FILES: dict[str, str] = {
    "county_assessments": "county_assessments.parquet",
    # cadres, household assignments and visit logs (issue 15; geodata/cadre_tables.py)
    "cadres": "cadres.parquet",
    "assignments": "assignments.parquet",
    "visits": "visits.parquet",
    # projects, beneficiaries, allocations and payments (issue 14; geodata/funds_schema.py)
    **FUNDS_TABLE_FILES,
}
