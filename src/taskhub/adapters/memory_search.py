"""PostgreSQL's `websearch_to_tsquery('simple', q)` matching, emulated for the in-memory adapter.

Close enough for the contract tests both adapters pass: words are lower-cased runs of letters and
digits; plain words must all appear; `"quoted words"` must appear next to each other in that
order; `or` between two terms accepts either; a leading `-` excludes a word or phrase.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')

Matcher = Callable[[list[str]], bool]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True, slots=True)
class _Term:
    phrase: tuple[str, ...]
    negated: bool

    def matches(self, document: list[str]) -> bool:
        found = _contains_phrase(document, self.phrase)
        return not found if self.negated else found


def _contains_phrase(document: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(document[i : i + size]) == phrase for i in range(len(document) - size + 1))


def compile_query(query: str) -> Matcher:
    """A predicate over a document's words; a query without any word matches nothing."""
    groups: list[list[_Term]] = []  # AND of ORs
    pending_or = False
    for match in _TOKEN.finditer(query):
        negated_quote, quoted, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            pending_or = bool(groups)
            continue
        if quoted is not None:
            term = _Term(tuple(words(quoted)), negated=bool(negated_quote))
        else:
            negated = bare.startswith("-") and len(bare) > 1
            term = _Term(tuple(words(bare[1:] if negated else bare)), negated=negated)
        if not term.phrase:
            continue
        if pending_or and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if not groups:
        return lambda document: False
    return lambda document: all(any(term.matches(document) for term in group) for group in groups)
