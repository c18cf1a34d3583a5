"""The declared header mapping and the value vocabularies."""

from __future__ import annotations

import pytest

from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.headers import (
    FIELDS,
    HOUSEHOLD_MODE,
    YEAR_MODE,
    map_headers,
    normalize_header,
)
from battlemap.geodata.importer.vocab import (
    CAUSE_VALUES,
    FLAG_VALUES,
    HH_TYPE_VALUES,
    STATUS_VALUES,
    normalize_value,
    suggest_cause,
)
from battlemap.geodata.schema import CAUSES

CHINESE = [
    "户编号",
    "户主姓名",
    "行政区划代码",
    "经度",
    "纬度",
    "家庭人口数",
    "贫困户属性",
    "主要致贫原因",
    "其他致贫原因",
    "识别年度",
    "年度",
    "脱贫状态",
    "人均纯收入",
    "住房安全",
    "义务教育有保障",
    "基本医疗保险",
    "养老保险",
    "饮水安全",
    "生活用电",
    "易地扶贫搬迁",
]


def test_every_field_has_its_chinese_label_and_english_name_as_aliases() -> None:
    for field in FIELDS:
        assert field.label in field.aliases and field.name in field.aliases


def test_chinese_headers_map_to_every_field_of_a_household_year_file() -> None:
    mapped = map_headers(CHINESE)
    assert mapped.mode == YEAR_MODE
    assert [mapped.headers[i] for i in mapped.columns.values()] == CHINESE
    assert mapped.ignored == []


@pytest.mark.parametrize(
    ("header", "field"),
    [
        (" 家庭人口数（人） ", "size"),
        ("经度(GCJ-02)", "lon"),
        ("Household_ID", "hh_id"),
        ("LONGITUDE", "lon"),
        ("人均纯收入【元】", "income_per_capita"),
        ("\ufeff户编号", "hh_id"),
    ],
)
def test_normalized_variants_match(header: str, field: str) -> None:
    others = [
        h
        for h in CHINESE
        if normalize_header(h)
        not in (
            normalize_header(header),
            normalize_header(next(f.label for f in FIELDS if f.name == field)),
        )
    ]
    mapped = map_headers([header, *others])
    assert mapped.columns[field] == 0


def test_unknown_columns_are_reported_as_ignored() -> None:
    mapped = map_headers([*CHINESE, "证件号码", "联系电话"])
    assert mapped.ignored == ["证件号码", "联系电话"]


def test_household_mode_needs_the_exit_year() -> None:
    headers = [h for h in CHINESE if h not in ("年度", "脱贫状态")]
    with pytest.raises(ImportFileError, match=r"脱贫年度 \(exit_year\).*one row per household"):
        map_headers(headers)
    assert map_headers([*headers, "脱贫年度"]).mode == HOUSEHOLD_MODE


def test_missing_required_columns_are_all_named() -> None:
    with pytest.raises(ImportFileError, match=r"家庭人口数 \(size\), 贫困户属性 \(hh_type\)"):
        map_headers([h for h in CHINESE if h not in ("家庭人口数", "贫困户属性")])


def test_two_columns_for_one_field_is_an_error() -> None:
    with pytest.raises(ImportFileError, match="both map to 经度"):
        map_headers([*CHINESE, "lng"])


def test_geometry_sources_do_not_need_and_ignore_lon_lat() -> None:
    headers = [h for h in CHINESE if h not in ("经度", "纬度")]
    assert "lon" not in map_headers(headers, has_geometry=True).columns
    assert map_headers(CHINESE, has_geometry=True).ignored == ["经度", "纬度"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("registered", "registered_year"),
        ("secondary_", "secondary_causes"),
        ("income_per", "income_per_capita"),
        ("housing_sa", "housing_safe"),
        ("medical_in", "medical_insured"),
        ("electricit", "electricity"),
        ("village_co", "village_code"),
        ("主要致贫原", "primary_cause"),
    ],
)
def test_dbf_names_cut_to_10_bytes_match_in_shapefiles_only(header: str, field: str) -> None:
    label = next(f.label for f in FIELDS if f.name == field)
    headers = [h for h in CHINESE if h != label] + [header]
    assert map_headers(headers, dbf=True).columns[field] == len(headers) - 1
    required = any(f.name == field and f.required for f in FIELDS)
    if required:
        with pytest.raises(ImportFileError, match="missing required"):
            map_headers(headers)
    else:
        assert header in map_headers(headers).ignored


def test_vocabularies_cover_the_schema() -> None:
    assert set(CAUSE_VALUES.values()) == set(CAUSES)
    assert STATUS_VALUES[normalize_value("已脱贫")] == "已脱贫"
    assert HH_TYPE_VALUES[normalize_value("五保户")] == "特困供养户"
    assert CAUSE_VALUES[normalize_value("因病致贫")] == "因病"
    assert FLAG_VALUES[normalize_value(" YES ")] is True
    assert FLAG_VALUES[normalize_value("否")] is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("因病返贫", "因病"),
        ("因残疾", "因残"),
        ("缺资", "缺资金"),
        ("交通不便落后", "交通条件落后"),
        ("xyz", None),
    ],
)
def test_suggest_cause(text: str, expected: str | None) -> None:
    assert suggest_cause(text) == expected
