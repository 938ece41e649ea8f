"""Load and PV forecasts with rolling-origin backtests."""
