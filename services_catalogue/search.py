"""Searching the catalogue as citizens type: plain words, in any form, in everyday terms.

Why not hand the query to the search backend as it is: SQLite's full-text search does not
stem and PostgreSQL's does, both treat quotes and operators as syntax, and citizens write
"doctor" where the catalogue says "GP". So only words reach the backend, with their plural
or singular and a short list of everyday synonyms, and results are ranked the same way on
both backends.
"""

import re
from dataclasses import dataclass

from wagtail.search.query import And, Or, PlainText

from .models import DigitalService

MAX_SEARCH_WORDS = 20

# Words that say nothing about which service someone needs ("how do I get my...").
# PostgreSQL's English configuration ignores words like these but SQLite does not, so
# they are dropped here for both; a search of nothing but these words keeps them.
COMMON_WORDS = frozenset(
    "a about am an and are at be by can could do does for from get go have how i if in is it"
    " me my need of on or please should so that the this to up use want what when where which"
    " who will with would you your".split()
)

# Everyday words for things the catalogue names otherwise. Kept short and explicit: each
# entry is a word (or two words together) a citizen types, and words that mean the same
# in our service descriptions. A service is found by any of them.
SAME_MEANING: dict[tuple[str, ...], tuple[str, ...]] = {
    ("doctor",): ("gp",),
    ("doctors",): ("gp",),
    ("surgery",): ("gp", "practice"),
    ("physio",): ("physiotherapy",),
    ("mental", "health"): ("anxiety", "depression", "stress", "therapy"),
    ("counselling",): ("therapy",),
}


def search_words(query: str) -> str:
    """Only the words of a search reach the search backend: quotes, operators and
    wildcards are query syntax to SQLite and PostgreSQL, and a citizen never means them."""
    return " ".join(re.findall(r"\w+", query)[:MAX_SEARCH_WORDS])


def word_forms(word: str) -> list[str]:
    """The word and its singular or plural: SQLite's full-text search does not stem, so
    "prescription" would not find "prescriptions" (PostgreSQL's English search does)."""
    forms = [word]
    if len(word) <= 3 or not word.isalpha():
        return forms
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    elif word.endswith(("sses", "xes", "ches", "shes")):
        forms.append(word[:-2])
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        forms.append(word[:-1])
    elif word.endswith("y") and word[-2] not in "aeiou":
        forms.append(word[:-1] + "ies")
    elif word.endswith(("ss", "x", "ch", "sh")):
        forms.append(word + "es")
    elif not word.endswith("s"):
        forms.append(word + "s")
    return forms


@dataclass(frozen=True)
class SearchTerm:
    """One thing a citizen asked for: a word (or two) with its other forms and the words
    that mean the same. A service matches the term if it has any of `words`."""

    words: tuple[str, ...]

    def query(self):
        """As a Wagtail search query; a two-word entry needs both its words."""
        alternatives = [PlainText(words, operator="and") for words in self.words]
        return alternatives[0] if len(alternatives) == 1 else Or(alternatives)

    def found_in(self, text_words: set[str]) -> bool:
        return any(set(words.split()) <= text_words for words in self.words)


def search_terms(query: str) -> tuple[list[SearchTerm], bool]:
    """(one search term per thing the citizen asked for, whether any word is meaningful).

    Common words are dropped, unless there is nothing else.
    """
    words = [word.lower() for word in search_words(query).split()]
    meaningful = [word for word in words if word not in COMMON_WORDS]
    words = meaningful or words
    terms = []
    position = 0
    while position < len(words):
        pair = tuple(words[position:position + 2])
        if len(pair) == 2 and pair in SAME_MEANING:
            alternatives = [" ".join(pair)]
            same = SAME_MEANING[pair]
            position += 2
        else:
            alternatives = word_forms(words[position])
            same = SAME_MEANING.get((words[position],), ())
            position += 1
        alternatives += [form for synonym in same for form in word_forms(synonym)]
        terms.append(SearchTerm(tuple(dict.fromkeys(alternatives))))
    return terms, bool(meaningful)


def _words_of(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"\w+", text)}


def search_services(services, query: str) -> list:
    """These services that match the search, best match first.

    Services matching every term are listed, and only they; if none does, those matching
    any term, unless every word is a common one ("how do I"), which would match
    everything. At most two searches, whatever the query or the size of the catalogue.

    The order is the same on SQLite and PostgreSQL, whose relevance scores differ: the
    services with more of the terms in their title, then in their summary, first; then
    the backend's relevance; then by title.
    """
    terms, meaningful = search_terms(query)
    if not terms:
        return services
    searches = [And([term.query() for term in terms])] if len(terms) > 1 else [terms[0].query()]
    if len(terms) > 1 and meaningful:
        searches.append(Or([term.query() for term in terms]))
    for search in searches:
        relevance = {}
        for position, match in enumerate(DigitalService.objects.live().search(search)):
            relevance.setdefault(match.pk, position)
        found = list(services.filter(pk__in=relevance))
        if found:
            return sorted(found, key=lambda service: _rank(service, terms, relevance))
    return []


def _rank(service, terms: list[SearchTerm], relevance: dict[int, int]) -> tuple:
    title, summary = _words_of(service.title), _words_of(service.summary)
    in_title = sum(term.found_in(title) for term in terms)
    in_summary = sum(term.found_in(summary) for term in terms)
    return (-in_title, -in_summary, relevance[service.pk], service.title)
