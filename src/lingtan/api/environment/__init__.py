"""``/api/v1/environment``: monitoring stations, their assessment and exceedances."""
