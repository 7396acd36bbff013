"""Show configuration files: YAML in, a validated ``ShowConfig`` out."""

from server.configs.parse import ConfigError, load_show

__all__ = ["ConfigError", "load_show"]
