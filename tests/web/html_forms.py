"""What a browser would submit for a rendered form: a tiny HTML form serialiser for tests."""

from __future__ import annotations

from html.parser import HTMLParser


class FormSerialiser(HTMLParser):
    """Collects (name, value) pairs as a browser submits them (successful controls only)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._selected: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.pairs.append((name, a.get("value", "on")))
            elif kind not in ("submit", "file"):
                self.pairs.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._selected = name, None
        elif tag == "option" and self._select is not None and "selected" in a:
            self._selected = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.pairs.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self.pairs.append((self._select, self._selected or ""))
            self._select = None


def submitted(html: str) -> list[tuple[str, str]]:
    parser = FormSerialiser()
    parser.feed(html)
    return parser.pairs
