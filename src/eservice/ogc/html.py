"""HTML renderings of the OGC API documents (the HTML conformance class): plain, escaped,
no scripts and no assets from other hosts."""

from __future__ import annotations

from html import escape
from typing import Any

_PAGE = """<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""


def _links(links: list[dict[str, str]]) -> str:
    items = "".join(
        f'<li><a href="{escape(ln["href"])}" type="{escape(ln.get("type", ""))}">'
        f"{escape(ln.get('title') or ln['href'])}</a> ({escape(ln['rel'])})</li>"
        for ln in links
    )
    return f"<h2>Links</h2><ul>{items}</ul>" if items else ""


def _table(values: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(str(k))}</th>'
        f"<td>{escape('' if v is None else str(v))}</td></tr>"
        for k, v in values.items()
    )
    return f"<table>{rows}</table>"


def page(document: dict[str, Any], title: str) -> str:
    """Any OGC API JSON document as an HTML page: description, fields, features, links."""
    parts: list[str] = []
    if "description" in document:
        parts.append(f"<p>{escape(str(document['description']))}</p>")
    if "conformsTo" in document:
        parts.append(
            "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in document["conformsTo"]) + "</ul>"
        )
    for item in document.get("collections", []):
        href = next((ln["href"] for ln in item["links"] if ln["rel"] == "alternate"), "")
        parts.append(
            f'<h2><a href="{escape(href)}">{escape(item["title"])}</a></h2>'
            f"<p>{escape(item.get('description', ''))}</p>"
        )
    if "extent" in document:
        parts.append(_table({"extent": document["extent"]}))
    if document.get("type") == "FeatureCollection":
        parts.append(f"<p>{document['numberReturned']} / {document['numberMatched']}</p>")
        for feature in document["features"]:
            parts.append(_feature(feature))
    if document.get("type") == "Feature":
        parts.append(_feature(document))
    parts.append(_links(document.get("links", [])))
    return _PAGE.format(title=escape(title), body="\n".join(parts))


def _feature(feature: dict[str, Any]) -> str:
    lon, lat = feature["geometry"]["coordinates"]
    values = {"id": feature["id"], "lon": lon, "lat": lat, **feature["properties"]}
    return f"<h2>{escape(str(feature['properties']['reference']))}</h2>{_table(values)}"
