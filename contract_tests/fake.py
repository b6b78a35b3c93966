"""Faker values as Hypothesis strategies: realistic text, still shrinkable and replayable.

Hypothesis draws a seed; Faker turns it into a value. The same seed always gives
the same value, so a failing example replays from its printed seed.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from faker import Faker
from hypothesis import strategies as st


@functools.cache
def _faker(locale: str) -> Faker:
    # Building a Faker costs milliseconds; one per locale, reseeded for every value.
    return Faker(locale)


def fake(produce: Callable[[Faker], Any], locale: str = "en_US") -> st.SearchStrategy[Any]:
    """Values of ``produce(faker)``, with the faker seeded from a drawn integer."""

    def make(seed: int) -> Any:
        faker = _faker(locale)
        faker.seed_instance(seed)
        return produce(faker)

    return st.integers(min_value=0, max_value=2**32 - 1).map(make)


def task_names() -> st.SearchStrategy[str]:
    return fake(lambda f: f"{f.word()}-{f.word()} export {f.date(pattern='%Y%m%d')}")


def column_lists(min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[list[str]]:
    return fake(lambda f: f.words(nb=max_size, unique=True)).flatmap(
        lambda words: st.integers(min_size, max_size).map(lambda n: [w.replace(" ", "_") for w in words[:n]]))


def query_sql() -> st.SearchStrategy[str]:
    def sql(f: Faker) -> str:
        columns = ", ".join(f.words(nb=f.random_int(1, 4), unique=True))
        table = f"{f.word()}_{f.word()}"
        return f"select {columns} from {table} where dt >= '{f.date()}' limit {f.random_int(1, 100000)}"

    return fake(sql)


def file_names(extension: str = "csv") -> st.SearchStrategy[str]:
    return fake(lambda f: f.file_name(extension=extension))


def hostnames() -> st.SearchStrategy[str]:
    return fake(lambda f: f"data-query-proxy.{f.domain_word()}.{f.tld()}")


def sentences() -> st.SearchStrategy[str]:
    return fake(lambda f: f.sentence(nb_words=6).rstrip("."))
