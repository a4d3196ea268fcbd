"""The web front's dependency and shared type aliases for its handlers."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from eservice.web.context import Web, provide_web

WebPage = NamedDependency[Web]
WEB_DEPENDENCIES = {"web": Provide(provide_web)}
