"""User-facing strings of projects and funds (issue 14), merged into :data:`battlemap.i18n.TEXT`."""

from __future__ import annotations

__all__ = ["FUNDS_TEXT"]

FUNDS_TEXT: dict[str, tuple[str, str]] = {
    "funds_title": ("项目资金", "Projects and funds"),
    "funds_no_data": ("无项目资金数据", "No project and fund data"),
    "funds_allocated": ("已下达", "Allocated"),
    "funds_paid": ("已支付", "Paid"),
    "funds_wan_yuan": ("万元", "10k yuan"),
    "funds_col_rule": ("规则", "Rule"),
    "funds_col_reason": ("原因", "Reason"),
    "funds_col_project": ("项目", "Project"),
    "funds_col_date": ("日期", "Date"),
    "funds_note": (
        "支出进度 {rate}% · 滞留资金 {idle:,.1f} 万元 · 项目 {projects} 个，逾期 {overdue} 个 · "
        "异常 {anomalies} 条",
        "Payment rate {rate}% · idle {idle:,.1f} × 10k yuan · projects {projects}, "
        "overdue {overdue} · anomalies {anomalies}",  # no "1 anomalies"
    ),
    "layer_projects": ("扶贫项目", "Projects"),
    "projects_budget": ("预算", "Budget"),
    "projects_paid": ("已支付", "Paid"),
    "projects_cells": ("项目数", "Projects"),
    "status_计划": ("计划", "Planned"),
    "status_在建": ("在建", "Under way"),
    "status_完工": ("完工", "Completed"),
    "status_验收": ("验收", "Accepted"),
    "status_终止": ("终止", "Terminated"),
    "source_中央": ("中央", "Central"),
    "source_省": ("省", "Province"),
    "source_市县": ("市县", "City/county"),
    "source_统筹整合": ("统筹整合", "Integrated"),
    "source_社会": ("社会", "Social"),
    "kpi_fund_anomalies": ("资金异常", "Fund anomalies"),
    "village_payments": ("本村项目支付到户", "Project payments to households"),
}
