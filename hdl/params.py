"""Parameter validation of the components (errors name the value and the fix).

The checks themselves live once in :mod:`mtjsc.validate` and :mod:`mtjsc.config`;
this module names the ones the components use.
"""

from __future__ import annotations

from mtjsc.config import check_apc, check_K, check_sng_bits
from mtjsc.validate import check_int

__all__ = ["check_apc", "check_K", "check_sng_bits", "check_fan_in", "check_count"]


def check_fan_in(n) -> int:
    return check_int(n, "fan-in n", minimum=1)


def check_count(value, name: str, minimum: int = 0) -> int:
    return check_int(value, name, minimum=minimum)
