"""API Gateway's resource matching for the local API: which template route a method and path reach.

The most specific resource wins (literal segment > {param} > {proxy+}); a path no resource matches is a 404, a
resource without the method (and without ANY) a 405 with the methods it has.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus

from tooling.sam_template import ApiRoute


@dataclass(frozen=True)
class RouteMatch:
    route: ApiRoute
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class RouteMiss:
    status: int  # 404: no resource has this path; 405: the resource has no such method
    allowed_methods: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Resource:
    path: str
    regex: re.Pattern[str]
    specificity: tuple[int, ...]
    methods: dict[str, ApiRoute] = field(default_factory=dict)


def _compile_path(path: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
    parts: list[str] = []
    specificity: list[int] = []
    for segment in path.strip("/").split("/"):
        if not segment:
            continue
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        param = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
            specificity.append(0)
        elif param:
            parts.append(f"(?P<{param.group(1)}>[^/]+)")
            specificity.append(1)
        else:
            parts.append(re.escape(segment))
            specificity.append(2)
    return re.compile("^/" + "/".join(parts) + "$"), tuple(specificity)


class Router:
    """API Gateway's resource matching: the most specific resource wins (literal > {param} > {proxy+})."""

    def __init__(self, routes: Sequence[ApiRoute]):
        resources: dict[str, _Resource] = {}
        for route in routes:
            key = "/" + route.path.strip("/")
            if key not in resources:
                regex, specificity = _compile_path(key)
                resources[key] = _Resource(key, regex, specificity)
            resource = resources[key]
            if route.method in resource.methods:
                raise ValueError(f"two routes for {route.method} {key}")
            resource.methods[route.method] = route
        self._resources = sorted(resources.values(), key=lambda r: r.specificity, reverse=True)
        self.routes = tuple(routes)

    def resolve(self, method: str, path: str) -> RouteMatch | RouteMiss:
        normalised = "/" + path.strip("/") if path.strip("/") else "/"
        for resource in self._resources:
            found = resource.regex.match(normalised)
            if found is None:
                continue
            route = resource.methods.get(method.upper()) or resource.methods.get("ANY")
            if route is None:
                return RouteMiss(HTTPStatus.METHOD_NOT_ALLOWED, tuple(sorted(resource.methods)))
            return RouteMatch(route, dict(found.groupdict()))
        return RouteMiss(HTTPStatus.NOT_FOUND)
