"""Code comments say why; measured figures live in docs/performance.md or bench/README.md
(style rule 16), where they carry the run they came from and do not go stale unseen."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "eservice"

# A share of CPU or time, or a duration in micro- or milliseconds, as benchmarks report them.
FIGURE = re.compile(
    r"\b(?:a|about a|one) (?:half|third|fourth|fifth|sixth|seventh|tenth) of\b"
    r"|~\s?\d+(?:\.\d+)?\s?(?:us|µs|ms|%)"
    r"|\b\d+(?:\.\d+)?\s?(?:us|µs|ms)\b(?! timeout)"
    r"|\b\d+(?:\.\d+)?\s?% of\b",
    re.IGNORECASE,
)


def figures_in(source: str) -> list[str]:
    """Comments and docstrings of ``source`` that quote a measured figure."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        is_doc = token.type == tokenize.STRING and token.string.startswith(('"""', "'''"))
        if (token.type == tokenize.COMMENT or is_doc) and FIGURE.search(token.string):
            found.append(f"{token.start[0]}: {token.string.strip()[:80]}")
    return found


def test_no_comment_quotes_a_benchmark_figure() -> None:
    quoted = [
        f"{path.relative_to(SRC)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        for line in figures_in(path.read_text())
    ]
    assert quoted == []


def test_the_rule_sees_the_figures_it_is_about() -> None:
    assert figures_in("# a seventh of a read's CPU\n")
    assert figures_in('"""~85 us per request."""\n')
    assert figures_in("x = 1  # 2 % of a read\n")
    assert figures_in("# costs about 0.2 ms of CPU\n")
    assert not figures_in("# +-20 % jitter, at least what Retry-After asks\n")
    assert not figures_in('LABEL = "0.2 ms"\n')  # strings that are not docstrings are data
