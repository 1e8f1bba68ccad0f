"""Parameter validation shared by the components (errors name the value and the fix)."""

from __future__ import annotations

from mtjsc.config import check_apc, check_K, check_sng_bits
from mtjsc.errors import MtjscError

__all__ = ["check_apc", "check_K", "check_sng_bits", "check_fan_in", "check_count"]


def check_fan_in(n) -> int:
    if isinstance(n, bool) or not hasattr(n, "__index__") or int(n) < 1:
        raise MtjscError(f"fan-in n={n!r} must be an integer >= 1")
    return int(n)


def check_count(value, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__") or int(value) < minimum:
        raise MtjscError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)
