"""Coordinates without any map service: distances on the sphere, and GCJ-02 (the
offset datum of Chinese map apps) converted to WGS-84 (what GPS and browsers give).

The GCJ-02 offset is a published closed-form function of the WGS-84 position; its
inverse has no closed form, so `gcj02_to_wgs84` inverts it by fixed-point iteration,
which converges to well under a metre in a few steps.
"""

from __future__ import annotations

from decimal import Decimal
from math import asin, cos, pi, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8
# The ellipsoid GCJ-02 is defined on (Krasovsky 1940).
_A = 6378245.0
_EE = 0.00669342162296594323


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lng2 - lng1)
    h = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))


def in_china(lat: float, lng: float) -> bool:
    """GCJ-02 applies only inside this box; outside it the two datums agree."""
    return 3.86 < lat < 53.55 and 73.66 < lng < 135.05


def _offset_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    r += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    r += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
    r += (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0
    return r


def _offset_lng(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    r += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    r += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
    r += (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if not in_china(lat, lng):
        return lat, lng
    d_lat = _offset_lat(lng - 105.0, lat - 35.0)
    d_lng = _offset_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * pi
    magic = 1 - _EE * sin(rad) ** 2
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt(magic)) * pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt(magic) * cos(rad) * pi)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float, *, tolerance: float = 1e-9) -> tuple[float, float]:
    """The WGS-84 point whose GCJ-02 image is (lat, lng)."""
    if not in_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _ in range(30):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        e_lat, e_lng = g_lat - lat, g_lng - lng
        w_lat, w_lng = w_lat - e_lat, w_lng - e_lng
        if abs(e_lat) < tolerance and abs(e_lng) < tolerance:
            break
    return w_lat, w_lng


def stored(value: float) -> Decimal:
    """A coordinate as the models keep it: six decimals (about 0.1 m)."""
    return Decimal(str(round(value, 6)))
