"""GCJ-02 (火星坐标, Amap/Tencent) and BD-09 (Baidu) to WGS84 and back.

The published formulas (the Krasovsky-ellipsoid offset of GCJ-02 and Baidu's
rotation of GCJ-02), vectorised over numpy arrays. WGS84 → GCJ-02 and GCJ-02 ↔
BD-09 are closed forms; GCJ-02 → WGS84 has none, so it is inverted by fixed-point
iteration to well under a centimetre. Points outside China's bounding box carry
no offset and are returned unchanged.

Examples
--------
>>> lon, lat = wgs84_to_gcj02(np.array([116.404]), np.array([39.915]))
>>> round(float(lon[0]), 6), round(float(lat[0]), 6)
(116.410244, 39.916404)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

SYSTEMS = ("wgs84", "gcj02", "bd09")
_A = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0


def out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where a point lies outside the box in which GCJ-02 applies an offset."""
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    wave = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + wave
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + wave
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, iterations: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`wgs84_to_gcj02` by iteration (each step cuts the error ~100-fold)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(iterations):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def to_wgs84(lon, lat, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in ``system`` (``wgs84``, ``gcj02`` or ``bd09``) to WGS84; NaN stays NaN."""
    converters: dict[str, Callable] = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
    if system not in SYSTEMS:
        raise ValueError(f"unknown coordinate system {system!r}; expected one of {', '.join(SYSTEMS)}")
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if system == "wgs84":
        return lon, lat
    return converters[system](lon, lat)


def geometries_to_wgs84(geoms: np.ndarray, system: str) -> np.ndarray:
    """Convert every vertex of shapely geometries from ``system`` to WGS84."""
    if system == "wgs84":
        return geoms

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], system)
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, convert)
