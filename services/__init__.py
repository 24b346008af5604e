"""Lianjie's services: applications, settings, CLI and (later) the web and WeChat adapters."""
