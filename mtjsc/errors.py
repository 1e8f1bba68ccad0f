"""The one exception type users see for bad input."""


class MtjscError(ValueError):
    """Bad input: the message names the offending value and the fix."""
