"""Dashboard pages of forecasts: the latest forecast of each point with its backtest, and one
forecast's chart — actuals against P50 with the P10–P90 band — with its errors beside it."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request, Response

from lingtan.forecast import service
from lingtan.identity.roles import Principal
from lingtan.timeutil import from_us
from lingtan.web import i18n
from lingtan.web.routes import _page, _render, _store, _zone

router = APIRouter(include_in_schema=False)

#: key → (中文, English), looked up before the dashboard's common texts
TEXT: Final[dict[str, tuple[str, str]]] = {
    "forecasts": ("预测", "Forecasts"),
    "forecast": ("预测", "Forecast"),
    "fc_point": ("计量点", "Point"),
    "fc_subject": ("预测对象", "Subject"),
    "fc_subject_point": ("计量点", "point"),
    "fc_subject_enterprise": ("企业负荷", "enterprise load"),
    "fc_subject_park": ("园区负荷", "park load"),
    "fc_horizon": ("预测期", "Horizon"),
    "fc_day_ahead": ("日前", "Day-ahead"),
    "fc_week_ahead": ("周前", "Week-ahead"),
    "fc_first_day": ("起始日", "First day"),
    "fc_resolution": ("时间分辨率", "Resolution"),
    "fc_step_3600": ("逐时", "Hourly"),
    "fc_step_900": ("15 分钟", "15-minute"),
    "fc_status": ("状态", "Status"),
    "fc_ok": ("正常", "OK"),
    "fc_missing_inputs": ("缺少输入", "Missing inputs"),
    "fc_insufficient_history": ("历史数据不足", "Insufficient history"),
    "fc_calendar_not_covered": ("日历未覆盖", "Calendar not covered"),
    "fc_model": ("模型", "Model"),
    "fc_gbm": ("梯度提升（分位数）", "Gradient boosting (quantile)"),
    "fc_seasonal_naive": ("季节性朴素", "Seasonal naive"),
    "fc_seasonal_mean": ("季节性均值", "Seasonal mean"),
    "fc_pv_clear_sky": ("晴空 × 云量系数", "Clear sky × cloud factor"),
    "fc_pv_irradiance": ("辐照度预报 + 偏差校正", "Irradiance + bias correction"),
    "fc_none": ("无", "None"),
    "fc_mae": ("MAE", "MAE"),
    "fc_rmse": ("RMSE", "RMSE"),
    "fc_mape": ("MAPE (%)", "MAPE (%)"),
    "fc_coverage": ("P10–P90 覆盖率", "P10–P90 coverage"),
    "fc_skill": ("相对季节性朴素的技巧分", "Skill vs seasonal naive"),
    "fc_naive": ("季节性朴素（基准）", "Seasonal naive (baseline)"),
    "fc_backtest": ("滚动起点回测", "Rolling-origin backtest"),
    "fc_origins": ("回测起点", "Backtest origins"),
    "fc_actual": ("实际", "Actual"),
    "fc_band": ("P10–P90 区间", "P10–P90 band"),
    "fc_none_yet": (
        "尚无预测：园区管理员可在命令行或 API 中发起预测",
        "No forecasts yet (lingtan forecast train)",
    ),
    "fc_detail": ("说明", "Detail"),
    "fc_features": ("特征", "Features"),
    "fc_plant": ("光伏电站（申报参数）", "PV plant (declared)"),
    "fc_tilt": ("倾角", "tilt"),
    "fc_azimuth": ("方位角", "azimuth"),
    "fc_losses": ("系统损失", "losses"),
    "fc_train": ("训练区间", "Training window"),
    "fc_version": ("模型版本", "Model version"),
    "fc_calendar": ("节假日日历覆盖", "Holiday calendar covers"),
    "fc_issued": ("发布", "Issued"),
}


def _t(lang: str) -> Any:
    def t(key: str) -> str:
        if key in TEXT:
            zh, en = TEXT[key]
            return zh if lang == "zh-CN" else en
        return i18n.t(key, lang)

    return t


def _metrics(backtest: dict[str, Any], model: str) -> dict[str, Any]:
    """The chosen model's and the baseline's errors, from a stored backtest."""
    chosen = backtest.get("gbm") if model == "gbm" else backtest.get("model")
    naive = backtest.get("naive") or None
    return {"model": chosen or naive, "naive": naive, "skill": backtest.get("skill")}


@router.get("/forecasts")
def forecasts_page(request: Request) -> Response:
    """The latest forecast of each point (hourly and 15-minute), enterprise and (park-wide
    users) the park in the user's scope, with its backtest."""

    def build(principal: Principal, lang: str) -> Response:
        rows = service.forecasts(_store(request), principal=principal, limit=500)
        items = [(r, code, _metrics(r.backtest, r.model)) for r, code in rows]
        return _render(request, "forecasts.html", lang, principal, items=items, t=_t(lang))

    return _page(request, build)


@router.get("/forecasts/{forecast_id}")
def forecast_page(request: Request, forecast_id: int) -> Response:
    """One forecast: actuals against P50 with the P10–P90 band; the backtest beside it."""

    def build(principal: Principal, lang: str) -> Response:
        store = _store(request)
        view = service.forecast(store, principal=principal, run_id=forecast_id)
        before = service.actuals_before(store, principal=principal, view=view)
        tz = _zone(request, principal)
        t = _t(lang)

        def iso(us: int) -> str:
            return from_us(us, tz).isoformat()

        chart = {
            "x": [iso(h) for h, *_ in view.hours],
            "p10": [a for _, a, _b, _c, _x in view.hours],
            "p50": [b for _, _a, b, _c, _x in view.hours],
            "p90": [c for _, _a, _b, c, _x in view.hours],
            "actual_x": [iso(h) for h, _ in before]
            + [iso(h) for h, *_r, x in view.hours if x is not None],
            "actual": [v for _, v in before] + [x for *_r, x in view.hours if x is not None],
            "labels": {"p50": "P50", "band": t("fc_band"), "actual": t("fc_actual")},
        }
        return _render(
            request, "forecast.html", lang, principal, view=view, chart=chart,
            m=_metrics(view.run.backtest, view.run.model), t=t,
        )  # fmt: skip

    return _page(request, build)
