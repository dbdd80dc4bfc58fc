"""Every named URL pattern of the project, with sample arguments to open it."""

import uuid

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

# Sample values for URL arguments, by argument name first, then by converter.
SAMPLE_ARGS = {
    "int": 1,
    "str": "sample",
    "slug": "sample",
    "path": "sample",
    "uuid": uuid.UUID(int=1),
    "app_label": "portal",
    "object_id": 1,
    "uidb64": "MQ",
    "token": "set-password",
    "url": "sample",
}


def walk(resolver: URLResolver | None = None, namespace: str = ""):
    """(view name, pattern) of every named URL pattern, namespaces included."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def all_patterns() -> list[tuple[str, URLPattern]]:
    return sorted(dict(walk()).items())


def sample_url(name: str, pattern: URLPattern, overrides: dict | None = None) -> str:
    """A concrete URL for the pattern, from `overrides` or the sample arguments."""
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {}
    for arg in pattern.pattern.regex.groupindex:
        if overrides and arg in overrides:
            kwargs[arg] = overrides[arg]
            continue
        converter_name = type(converters.get(arg)).__name__.lower().removesuffix("converter")
        kwargs[arg] = SAMPLE_ARGS.get(arg, SAMPLE_ARGS.get(converter_name, "sample"))
    regex = pattern.pattern.regex
    if regex.groups > len(regex.groupindex):  # unnamed groups, e.g. admin history pages
        return reverse(name, args=[1] * (regex.groups - len(regex.groupindex)))
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch as exc:
        raise AssertionError(f"add a sample argument for {name}: {exc}") from exc
