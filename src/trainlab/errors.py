"""The error raised for bad user input, before any training starts."""


class ConfigError(ValueError):
    """A configuration value that is wrong; the message names it and what is allowed."""
