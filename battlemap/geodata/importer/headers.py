"""The one declared mapping from Chinese or English column headers to import fields.

A header matches a field when its normalized form (NFKC, lower case, without spaces,
``_ - . /`` and without a bracketed suffix such as ``（元）`` or ``(GCJ-02)``) equals the
normalized form of one of the field's aliases. Shapefile (DBF) field names are cut to
10 bytes, so for them a unique alias prefix of that length matches too.

>>> normalize_header(" 家庭人口数（人） ")
'家庭人口数'
>>> normalize_header("Household_ID")
'householdid'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from battlemap.geodata.importer.errors import ImportFileError

__all__ = [
    "FIELDS",
    "HOUSEHOLD_MODE",
    "YEAR_MODE",
    "Field",
    "HeaderMap",
    "map_headers",
    "normalize_header",
]

YEAR_MODE = "household-year"  # one row per household and year
HOUSEHOLD_MODE = "household"  # one row per household, yearly status from 脱贫年度


@dataclass(frozen=True)
class Field:
    """An import field: canonical name, header aliases, and in which modes it is required."""

    name: str
    aliases: tuple[str, ...]
    required: tuple[str, ...] = ()
    label: str = ""  # the Chinese header used in messages and exports


def _f(name: str, label: str, *aliases: str, required: tuple[str, ...] = ()) -> Field:
    return Field(name, (label, name, *aliases), required, label)


_BOTH = (YEAR_MODE, HOUSEHOLD_MODE)

# The declared mapping. Order = column order of exports and of the README table.
FIELDS: tuple[Field, ...] = (
    _f(
        "hh_id",
        "户编号",
        "户编码",
        "贫困户编号",
        "家庭编号",
        "household_id",
        "hhid",
        required=_BOTH,
    ),
    _f("head_name", "户主姓名", "户主", "head", "householder"),
    _f(
        "village_code",
        "行政区划代码",
        "村代码",
        "村编码",
        "区划代码",
        "统计用区划代码",
        "村级行政区划代码",
        "village",
        "code",
        required=_BOTH,
    ),
    _f("lon", "经度", "longitude", "lng", "long", required=_BOTH),
    _f("lat", "纬度", "latitude", required=_BOTH),
    _f(
        "size",
        "家庭人口数",
        "家庭人口",
        "家庭人数",
        "人口数",
        "household_size",
        "persons",
        required=_BOTH,
    ),
    _f("hh_type", "贫困户属性", "户属性", "户类型", "household_type", required=_BOTH),
    _f("primary_cause", "主要致贫原因", "致贫原因", "cause", required=_BOTH),
    _f("secondary_causes", "其他致贫原因", "次要致贫原因", "secondary_cause"),
    _f(
        "registered_year",
        "识别年度",
        "纳入年度",
        "建档年度",
        "识别年份",
        "registration_year",
        required=_BOTH,
    ),
    _f("exit_year", "脱贫年度", "脱贫年份", required=(HOUSEHOLD_MODE,)),
    _f("year", "年度", "年份", "统计年度", "数据年度", required=(YEAR_MODE,)),
    _f("status", "脱贫状态", "贫困户状态", "贫困状态", required=(YEAR_MODE,)),
    _f("income_per_capita", "人均纯收入", "家庭人均纯收入", "人均可支配收入", "income"),
    _f("housing_safe", "住房安全", "住房安全有保障", "安全住房"),
    _f("no_dropout", "义务教育有保障", "义务教育无辍学", "无辍学", "no_drop_out"),
    _f("medical_insured", "基本医疗保险", "参加基本医疗保险", "医疗保险", "参加医疗保险"),
    _f("pension_insured", "养老保险", "参加养老保险", "基本养老保险", "参加基本养老保险"),
    _f("water_safe", "饮水安全", "饮水安全有保障", "安全饮水"),
    _f("electricity", "生活用电", "通生活用电", "通电"),
    _f("relocated", "易地扶贫搬迁", "易地搬迁", "是否易地扶贫搬迁", "搬迁"),
)
FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
FLAG_FIELDS: tuple[str, ...] = (
    "housing_safe", "no_dropout", "medical_insured", "pension_insured", "water_safe",
    "electricity", "relocated",
)  # fmt: skip

_BRACKETS = re.compile(r"[(\[【（][^)\]】）]*[)\]】）]\s*$")
_DROP = re.compile(r"[\s_\-./]+")
_DBF_NAME_BYTES = 10


def normalize_header(text: str) -> str:
    """Comparable form of a header (see module docstring)."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lstrip("\ufeff")
    text = _BRACKETS.sub("", text)
    return _DROP.sub("", text).lower()


_ALIAS_INDEX: dict[str, str] = {}
for _field in FIELDS:
    for _alias in _field.aliases:
        _key = normalize_header(_alias)
        if _ALIAS_INDEX.setdefault(_key, _field.name) != _field.name:
            raise AssertionError(f"alias {_alias!r} maps to two fields")


def _dbf_prefix_match(header: str) -> str | None:
    """Field whose alias, cut to a DBF name's 10 bytes, is ``header`` (when unique)."""
    key = normalize_header(header)
    raw = header.strip()
    hits = set()
    for field_ in FIELDS:
        for alias in field_.aliases:
            for encoding in ("utf-8", "gbk"):
                cut = alias.encode(encoding, "ignore")[:_DBF_NAME_BYTES]
                if normalize_header(cut.decode(encoding, "ignore")) == key and (
                    len(raw.encode(encoding, "ignore")) >= _DBF_NAME_BYTES - 2
                ):
                    hits.add(field_.name)
    return hits.pop() if len(hits) == 1 else None


@dataclass
class HeaderMap:
    """Which source column feeds each field, and which columns are ignored."""

    headers: list[str]
    columns: dict[str, int] = field(default_factory=dict)  # field name → column index
    ignored: list[str] = field(default_factory=list)
    mode: str = YEAR_MODE

    def has(self, name: str) -> bool:
        return name in self.columns


def map_headers(
    headers: Sequence[str], *, dbf: bool = False, has_geometry: bool = False
) -> HeaderMap:
    """Map source headers to fields; ImportFileError for duplicates or missing required ones.

    The mode is household-year when a year column (年度) is present, otherwise household
    (one row per household with 脱贫年度). ``has_geometry``: points come from the geometry,
    so 经度/纬度 columns are not required (and are ignored if present).
    """
    result = HeaderMap(headers=[str(h) for h in headers])
    for index, header in enumerate(result.headers):
        name = _ALIAS_INDEX.get(normalize_header(header))
        if name is None and dbf:
            name = _dbf_prefix_match(header)
        if name is None or (has_geometry and name in ("lon", "lat")):
            if header.strip():
                result.ignored.append(header)
            continue
        if name in result.columns:
            first = result.headers[result.columns[name]]
            raise ImportFileError(
                f"columns {first!r} and {header!r} both map to {FIELD_BY_NAME[name].label} "
                f"({name}): remove or rename one"
            )
        result.columns[name] = index
    result.mode = YEAR_MODE if "year" in result.columns else HOUSEHOLD_MODE
    missing = [
        f for f in FIELDS
        if result.mode in f.required and f.name not in result.columns
        and not (has_geometry and f.name in ("lon", "lat"))
    ]  # fmt: skip
    if missing:
        hint = (
            ""
            if result.mode == YEAR_MODE
            else (" (no 年度/year column, so the file is read as one row per household)")
        )
        names = ", ".join(f"{f.label} ({f.name})" for f in missing)
        raise ImportFileError(f"missing required column(s) {names}{hint}")
    return result
