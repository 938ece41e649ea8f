"""Dashboard texts in zh-CN (default) and English, and number formatting."""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

from lingtan.wording import Wording

LANGS: Final = ("zh-CN", "en")
DEFAULT_LANG: Final = "zh-CN"

#: key → (中文, English)
TEXT: Final[dict[str, tuple[str, str]]] = {
    "app": ("零碳 · 园区能碳管理平台", "lingtan · park energy-carbon platform"),
    "synthetic": ("合成数据，仅供演示", "synthetic data, for demonstration only"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误", "Incorrect username or password"),
    "locked": (
        "登录失败次数过多，账户已暂时锁定，请稍后再试",
        "Too many failed logins; the account is locked for a while",
    ),
    "session_expired": ("会话已过期，请重新登录", "Your session has expired; please log in again"),
    "overview": ("园区总览", "Park overview"),
    "overview_enterprise": ("企业总览", "Enterprise overview"),
    "flow": ("能流图", "Energy flow"),
    "enterprises": ("企业", "Enterprises"),
    "enterprise": ("企业", "Enterprise"),
    "meters": ("计量与数据质量", "Meters & data quality"),
    "reports": ("报表", "Reports"),
    "alarms": ("告警", "Alarms"),
    "forecasts": ("预测", "Forecasts"),
    "dispatch": ("调度计划", "Dispatch"),
    "environment": ("环境监测", "Environment"),
    "waste": ("危险废物", "Hazardous waste"),
    "compliance": ("能效合规", "Compliance"),
    "ghg": ("温室气体", "GHG account"),
    "programme": ("节能管理", "Energy management"),
    "alarm": ("告警", "Alarm"),
    "alarm_badge": ("未确认告警", "unacknowledged alarms"),
    "severity": ("级别", "Severity"),
    "sev_hint": ("提示", "hint"),
    "sev_minor": ("一般", "minor"),
    "sev_major": ("重要", "major"),
    "sev_critical": ("紧急", "critical"),
    "state": ("状态", "State"),
    "st_open": ("未确认", "open"),
    "st_acknowledged": ("已确认", "acknowledged"),
    "st_cleared": ("已恢复", "cleared"),
    "st_closed": ("已关闭", "closed"),
    "k_threshold": ("阈值越限", "threshold"),
    "k_rate_of_change": ("突变", "rate of change"),
    "k_freshness": ("通信中断", "comms loss"),
    "k_quality": ("数据质量", "data quality"),
    "k_budget": ("预算超支", "budget"),
    "k_deviation": ("偏差", "deviation"),
    "k_dispatch": ("调度设定值", "dispatch setpoint"),
    "k_inspection": ("巡检逾期", "inspection overdue"),
    "k_programme": ("节能计划与措施", "energy-saving programme"),
    "rule": ("规则", "Rule"),
    "subject": ("对象", "Subject"),
    "count": ("次数", "Count"),
    "since": ("开始", "Since"),
    "last_seen": ("最近", "Last seen"),
    "message": ("说明", "Message"),
    "all": ("全部", "all"),
    "filter": ("筛选", "Filter"),
    "no_alarms": ("没有符合条件的告警", "No alarms match"),
    "acknowledge": ("确认", "Acknowledge"),
    "close": ("关闭", "Close"),
    "comment": ("备注", "Comment"),
    "add_comment": ("添加备注", "Add comment"),
    "history": ("处理记录", "History"),
    "actor": ("操作人", "By"),
    "open_incident": ("登记应急事件", "Open an incident"),
    "evidence": ("相关读数", "Readings around the alarm"),
    "value_now": ("数值", "Value"),
    "peak": ("峰值", "Peak"),
    "escalated": ("已升级", "escalated"),
    "acked_by": ("确认人", "Acknowledged by"),
    "closed_by": ("关闭人", "Closed by"),
    "act_raised": ("产生", "raised"),
    "act_repeated": ("重复", "repeated"),
    "act_reopened": ("再次出现", "reopened"),
    "act_acknowledged": ("确认", "acknowledged"),
    "act_comment": ("备注", "comment"),
    "act_escalated": ("升级", "escalated"),
    "act_cleared": ("恢复", "cleared"),
    "act_closed": ("关闭", "closed"),
    "as_of": ("数据截至", "Data as of"),
    "today": ("当日", "Day"),
    "month": ("本月", "Month"),
    "year": ("本年累计", "Year to date"),
    "energy_by_carrier": ("分品种能源消费", "Energy by carrier"),
    "carrier": ("能源品种", "Carrier"),
    "unit": ("单位", "Unit"),
    "total_tce": ("综合能源消费量", "Total energy consumption"),
    "tce": ("吨标准煤", "tce"),
    "onsite_renewable": ("厂区可再生能源（光伏）", "On-site renewable (PV)"),
    "clean_share": ("清洁能源消费占比", "Clean-energy share"),
    "green_share": ("绿色电力占比", "Green-electricity share"),
    "shares": ("清洁能源与绿电", "Clean energy & green electricity"),
    "quality": ("数据质量", "Data quality"),
    "measured": ("实测", "measured"),
    "estimated": ("估算", "estimated"),
    "missing": ("缺失", "missing"),
    "partial": ("部分缺失", "partial"),
    "completeness": ("完整率", "completeness"),
    "quarantine": ("隔离的读数", "Quarantined readings"),
    "monthly_trend": ("逐月能源消费（吨标准煤）", "Monthly energy (tce)"),
    "carbon": ("碳排放", "Carbon emissions"),
    "indicators": ("“1+5”指标", "The 1+5 indicators"),
    "target": ("目标", "target"),
    "not_available": ("暂无数据", "not available"),
    "electricity": ("电力平衡", "Electricity balance"),
    "grid": ("电网购入", "grid"),
    "direct_green": ("绿电直连", "direct green"),
    "pv_generated": ("光伏发电", "PV generated"),
    "exported": ("上网电量", "exported"),
    "pv_self": ("光伏自用", "PV self-consumed"),
    "code": ("编号", "Code"),
    "name": ("名称", "Name"),
    "industry": ("行业", "Industry"),
    "uscc": ("统一社会信用代码", "USCC"),
    "points": ("计量点", "Metering points"),
    "kind": ("类型", "Kind"),
    "level": ("级别", "Level"),
    "days": ("天数", "Days"),
    "estimated_hours": ("估算小时", "Estimated hours"),
    "flagged_days": ("异常天数", "Days flagged"),
    "events": ("事件", "Events"),
    "last_reading": ("最后读数", "Last reading"),
    "reason": ("原因", "Reason"),
    "detail": ("说明", "Detail"),
    "received": ("接收时间", "Received"),
    "source": ("来源", "Source"),
    "value": ("数值", "Value"),
    "time": ("时间", "Time"),
    "consumption_trend": ("逐月消费趋势", "Monthly consumption"),
    "inventory": ("温室气体排放（基于位置 / 基于市场）", "Emissions (location- vs market-based)"),
    "location_based": ("基于位置", "location-based"),
    "market_based": ("基于市场", "market-based"),
    "certificates": ("绿证", "Green certificates"),
    "period": ("期间", "Period"),
    "generate": ("生成", "Generate"),
    "download": ("下载", "Download"),
    "status": ("状态", "Status"),
    "created": ("提交时间", "Submitted"),
    "jobs": ("生成记录", "Generated documents"),
    "report_kind": ("报表类型", "Report"),
    "no_reports": ("当前没有可生成的报表类型", "No report kinds are available"),
    "queued": ("排队中", "queued"),
    "running": ("生成中", "running"),
    "done": ("完成", "done"),
    "failed": ("失败", "failed"),
    "lang_switch": ("English", "中文"),
    "park_switch": ("切换园区", "Switch park"),
    "not_found": ("未找到", "Not found"),
    "forbidden": ("无权访问", "Forbidden"),
    "error": ("出错了", "Something went wrong"),
    "back": ("返回总览", "Back to the overview"),
    "year_label": ("年份", "Year"),
    "month_label": ("月份", "Month"),
    "whole_year": ("全年", "whole year"),
    "show": ("显示", "Show"),
    "flow_note": (
        "单位：吨标准煤（GB/T 2589，电力按当量值）",
        "Unit: tce (GB/T 2589, electricity at its calorific equivalent)",
    ),
    "circular_title": (
        "循环经济与碳互补项目",
        "Circular-economy and carbon-complementarity projects",
    ),
    "circular_tag": ("循环/互补", "circular"),
    "circular_project": ("项目", "Project"),
    "circular_parties": ("供方 → 受方", "Supplier → receiver"),
    "circular_quantity": ("数量", "Quantity"),
    "circular_basis": ("依据", "Basis"),
    "circular_declared": ("申报", "declared"),
    "circular_metered": ("计量", "metered"),
    "circular_avoided_tce": ("避免能耗 tce", "Avoided energy tce"),
    "circular_avoided_tco2": ("避免碳排放 tCO2", "Avoided carbon tCO2"),
    "circular_factors": ("折算系数来源", "Factors cited"),
    "circular_no_factor": ("未引用系数", "no factor cited"),
    "circular_no_quantity": ("无法计算数量", "quantity not computed"),
    "circular_none": ("本期无循环经济与碳互补项目。", "No circular project in this period."),
    "circular_note": (
        "描边连线为企业间循环/互补流动，线宽为避免能耗（吨标准煤，按项目引用的系数）；不计入综合能源消费量",
        "Outlined links are flows between enterprises; width = avoided energy (tce, by the"
        " project's cited factor); not part of the total",
    ),
    "role": ("角色", "Role"),
    "sites": ("厂区/建筑", "Sites & buildings"),
    "floor_area": ("建筑面积 m²", "Floor area m²"),
    "flags_help": (
        "事件：通信中断（电量按时间分摊并标为估算）、表计复位或换表、计数器翻转、尖峰（已剔除并补齐）、跳变（跨越部分电量未知）",
        "Events: gap, reset, rollover, spike, jump (docs/data-quality.md)",
    ),
    "admin_adds_users": (
        "账号由管理员开通。园区第一位管理员由服务器管理员在服务器上创建：",
        "Accounts are given by an administrator. The first park admin is created on the server:",
    ),
    "admin_adds_more": (
        "此后服务器管理员可用同一命令添加用户，园区管理员（企业管理员限本企业）也可通过 API 添加：",
        "Then users are added with the same command, or through the API by park admins "
        "(enterprise admins, for their enterprise):",
    ),
    "forgot_password": ("忘记密码请联系管理员。", "Forgot your password? Ask an administrator."),
    "virtual": ("虚拟", "virtual"),
    "indicator": ("指标", "Indicator"),
    "meets": ("达标", "meets"),
    "fails": ("未达标", "fails"),
    "not_assessable": ("无法评价", "not assessable"),
    "year_total": ("全年", "Year"),
    "total_emissions": ("二氧化碳排放总量", "Total CO₂ emissions"),
    "intensity": ("单位能耗碳排放", "Carbon per unit of energy"),
    "scope2": ("范围二", "Scope 2"),
    "src_fuel": ("化石燃料燃烧", "fuel combustion"),
    "src_conversion": ("能源加工转换", "energy conversion"),
    "src_electricity": ("电力", "electricity"),
    "src_heat": ("热力", "heat"),
    "src_process": ("工业过程", "industrial processes"),
    "src_bunker": ("国际燃料舱", "bunker fuels"),
    "cert_id": ("证书编号", "Certificate"),
    "project": ("项目", "Project"),
    "production_month": ("生产年月", "Produced"),
    "cert_available": ("可用", "available"),
    "cert_retired": ("已核销", "retired"),
    "cert_expired": ("已过期", "expired"),
    "no_certificates": ("暂无绿证", "No certificates"),
    "format": ("格式", "Format"),
    "incidents": ("应急事件", "Incidents"),
    "incident_register": ("应急事件台账", "Emergency-event register"),
    "incident_state": ("状态", "State"),
    "incident_kind": ("事件类型", "Kind"),
    "incident_level": ("事件级别", "Level"),
    "incident_category": ("事件类别", "Category"),
    "any": ("全部", "any"),
    "title": ("事件名称", "Title"),
    "occurred_at": ("发生时间", "Occurred"),
    "place": ("地点", "Place"),
    "coordinates": ("坐标（纬度, 经度）", "Coordinates (lat, lon)"),
    "building": ("建筑", "Building"),
    "the_park": ("园区", "the park"),
    "responsible": ("责任人", "Responsible people"),
    "duty": ("职责", "Duty"),
    "contact": ("联系方式", "Contact"),
    "timeline": ("时间线", "Time line"),
    "what": ("内容", "What"),
    "attachments": ("附件", "Attachments"),
    "file": ("文件", "File"),
    "size_bytes": ("大小（字节）", "Size (bytes)"),
    "linked_alarms": ("关联告警", "Linked alarms"),
    "readings": ("证据读数", "Evidence readings"),
    "closing_report": ("结案报告", "Closing report"),
    "not_closed": ("尚未结案", "not closed yet"),
    "not_graded": ("未定级", "not graded"),
    "no_incidents": ("暂无应急事件", "No incidents"),
    "export_xlsx": ("导出 Excel", "Export Excel"),
    "export_html": ("导出 HTML", "Export HTML"),
    "summary": ("概要", "Summary"),
    "law_basis": (
        "事件类别与级别依据《中华人民共和国突发事件应对法》（2024 年修订）第二条、第三条",
        "Categories and levels after the Emergency Response Law (revised 2024), Articles 2 and 3",
    ),
    # the period picker (templates/_period.html) and the dashboard pages of issue 22
    "p_day": ("日", "Day"),
    "p_week": ("周", "Week"),
    "p_month": ("月", "Month"),
    "p_year": ("年", "Year"),
    "p_custom": ("自定义", "Custom"),
    "p_start": ("起始", "Start"),
    "p_end": ("截止（含）", "End (included)"),
    "p_start_hint": (
        "日/周/自定义：YYYY-MM-DD；月：YYYY-MM；年：YYYY",
        "day, week, custom: YYYY-MM-DD; month: YYYY-MM; year: YYYY",
    ),
    "p_prev": ("上一期", "Previous"),
    "p_next": ("下一期", "Next"),
    "p_apply": ("应用", "Apply"),
    "yoy": ("同比", "Year on year"),
    "mom": ("环比", "Month on month"),
    "tree": ("计量树", "Metering tree"),
    "mom_ref": ("上月", "Previous month"),
    "yoy_ref": ("去年同月", "Same month last year"),
    "ytd": ("年初至今", "Year to date"),
    "ytd_ref": ("去年同期", "Last year to date"),
    "electricity_kwh": ("用电量 kWh", "Electricity kWh"),
    "changes_note": (
        "增长率 =（本期 − 对比期）/ 对比期；本月与年初至今截至上方日期，去年同期截至去年同日，"
        "上月为整月；对比期无数据时不计算（—）",
        "Change = (this period − reference) / reference; the month and the year to date run to "
        "the date above, last year's to the same day, the previous month is whole; no figure "
        "(—) when the reference has no data",
    ),
}

ROLE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "park_admin": ("园区管理员", "park admin"),
    "park_viewer": ("园区查看者", "park viewer"),
    "enterprise_admin": ("企业管理员", "enterprise admin"),
    "enterprise_viewer": ("企业查看者", "enterprise viewer"),
    "auditor": ("审计员", "auditor"),
    "integrator": ("集成商", "integrator"),
}


def source_name(source: str, wording: Wording) -> str:
    """Where a reading came from: ``file:meters.csv:12`` reads 文件 meters.csv:12 in Chinese
    (the kind is a code; the rest, a file or gateway name, is the user's own)."""
    kind, sep, rest = source.partition(":")
    if not sep or not wording.known(kind):
        return source
    return f"{wording.code(kind, 'source_kind')} {rest}"


def normal_lang(value: str | None) -> str:
    """A supported language code (the default otherwise)."""
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang``."""
    zh, en = TEXT.get(key, (key, key))
    return zh if lang == "zh-CN" else en


def role_name(role: str, lang: str) -> str:
    """Display name of a role."""
    zh, en = ROLE_NAMES.get(role, (role, role))
    return zh if lang == "zh-CN" else en


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators (``—`` for none)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.{digits}f}"


def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage (``—`` for none)."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def when(us: int | None, tz: dt.tzinfo) -> str:
    """An instant (epoch µs) as local ``YYYY-MM-DD HH:MM:SS``."""
    if us is None:
        return ""
    return (
        (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(us)))
        .astimezone(tz)
        .strftime("%Y-%m-%d %H:%M:%S")
    )
