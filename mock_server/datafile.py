"""The file a finished task serves: seeded fake rows, streamed, exactly N bytes.

A few hundred rows are made with Faker (seeded per task) and encoded once; the
stream then repeats that block in large chunks, so a 1 GiB file costs a few
hundred kilobytes of memory and runs at memory speed. The last row is padding
that makes the byte count equal the planned size. With ``split``, the parts are
written into a ZIP (stored, no compression) whose overhead is measured for the
exact entry names, so the archive, too, is exactly N bytes.
"""

from __future__ import annotations

import datetime
import functools
import io
import math
import random
import threading
import zipfile
from dataclasses import dataclass
from typing import Iterator


from .requests_in import FileSpec

POOL_ROWS = 256
CHUNK_BYTES = 1024 * 1024
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
#: ZIP entries stay below the ZIP64 threshold so the overhead is exact and fixed.
MAX_ZIP_BYTES = zipfile.ZIP64_LIMIT
_DATES_FROM = datetime.datetime(2022, 1, 1)
_DATES_TO = datetime.datetime(2024, 1, 1)
_LOCALES = {"utf-8": "en_US", "gbk": "zh_CN"}


@dataclass(frozen=True, slots=True)
class DataFile:
    filename: str
    content_type: str
    size: int
    chunks: Iterator[bytes]


def _column_maker(name: str, index: int, fake, rng: random.Random):
    lowered = name.lower()
    if "time" in lowered or "date" in lowered or lowered.endswith("_at") or lowered == "ts":
        # Fixed bounds: "now" would make seeded files differ from day to day.
        return lambda row: fake.date_time_between(_DATES_FROM, _DATES_TO).strftime("%Y-%m-%d %H:%M:%S")
    if lowered == "id" or lowered.endswith("id"):
        return lambda row: str(row + 1)
    if "name" in lowered:
        return lambda row: fake.name()
    if "city" in lowered or "site" in lowered:
        return lambda row: fake.city()
    if any(word in lowered for word in ("amount", "price", "value", "power", "count", "total")):
        return lambda row: f"{rng.uniform(0, 10000):.2f}"
    makers = (
        lambda row: f"{rng.uniform(0, 10000):.2f}",
        lambda row: fake.word(),
        lambda row: str(rng.randint(0, 1_000_000)),
        lambda row: fake.city(),
    )
    return makers[index % len(makers)]


def _clean(value: str, delimiter: str) -> str:
    return value.replace(delimiter, " ").replace("\n", " ").replace("\r", " ")


def _fit(data: bytes, size: int, encoding: str) -> bytes:
    """``data`` cut to ``size`` bytes at a character boundary, space-padded."""
    cut = data[:size].decode(encoding, errors="ignore").encode(encoding)
    return cut + b" " * (size - len(cut))


_FAKER_LOCK = threading.Lock()
_FAKERS: dict[str, object] = {}


def _faker(locale: str):
    if locale not in _FAKERS:
        from faker import Faker  # imported when a file is first made: it is slow to import

        _FAKERS[locale] = Faker(locale)
    return _FAKERS[locale]


class CsvContent:
    """One CSV file's content: header, a seeded row pool, exact size."""

    def __init__(self, spec: FileSpec, seed: int) -> None:
        self.spec = spec
        encode = spec.encoding
        self.header = (spec.delimiter.join(spec.header) + "\n").encode(encode, errors="replace")
        with _FAKER_LOCK:  # one shared, re-seeded Faker per locale: building one costs ~80 ms
            fake = _faker(_LOCALES[encode])
            fake.seed_instance(seed)
            rng = random.Random(seed)
            columns = [_column_maker(name, i, fake, rng) for i, name in enumerate(spec.header)]
            self.rows = [
                (spec.delimiter.join(_clean(make(row), spec.delimiter) for make in columns) + "\n").encode(encode, errors="replace")
                for row in range(POOL_ROWS)
            ]
        block = b"".join(self.rows)
        self.block = block * max(1, CHUNK_BYTES // len(block))

    def _padding_row(self, size: int) -> bytes:
        columns = len(self.spec.header)
        if size >= columns:
            # Same column count as the data, so CSV readers keep their shape.
            return b"0" * (size - columns) + self.spec.delimiter.encode() * (columns - 1) + b"\n"
        return b" " * (size - 1) + b"\n"

    def chunks(self, size: int) -> Iterator[bytes]:
        if size <= len(self.header):
            yield _fit(self.header, size, self.spec.encoding)
            return
        yield self.header
        remaining = size - len(self.header)
        block = self.block
        while remaining >= len(block):
            yield block
            remaining -= len(block)
        tail = bytearray()
        for row in self.rows * (len(block) // len(b"".join(self.rows))):
            if len(tail) + len(row) > remaining:
                break
            tail += row
        if remaining > len(tail):
            tail += self._padding_row(remaining - len(tail))
        if tail:
            yield bytes(tail)


@functools.lru_cache(maxsize=8)
def csv_content(spec: FileSpec, seed: int) -> CsvContent:
    """The content of one file, kept for a few files: making the row pool takes ~90 ms,
    and clients often fetch the same file again (at most 8 blocks of ~1 MiB kept)."""
    return CsvContent(spec, seed)


class _Sink(io.RawIOBase):
    """An unseekable writer that hands what ZipFile writes to the generator."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.count += len(data)
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def part_names(spec: FileSpec, package: str, parts: int) -> list[str]:
    if spec.renames:
        return list(spec.renames)
    return [f"{package}_{n}.csv" for n in range(1, parts + 1)]


def part_count(spec: FileSpec, size: int) -> int:
    if spec.renames:
        return len(spec.renames)
    return max(2, min(10, math.ceil(size / (64 * 1024 * 1024))))


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    return info


def zip_overhead(names: list[str]) -> int:
    """Bytes a stored, streamed ZIP adds around its entries (headers, descriptors, directory)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:
        for name in names:
            with archive.open(_zip_info(name), "w"):
                pass
    return sink.count


def minimum_size(spec: FileSpec, package: str) -> int:
    """The smallest file this spec can produce (a ZIP cannot be smaller than its directory)."""
    if not spec.split:
        return 0
    return zip_overhead(part_names(spec, package, part_count(spec, 0)))


def fit_size(spec: FileSpec, package: str, wanted: int, cap: int) -> int:
    """The size a task will really have: ``wanted`` raised to the format's minimum and capped."""
    size = max(wanted, minimum_size(spec, package))
    if spec.split:
        cap = min(cap, MAX_ZIP_BYTES)
    return min(size, max(cap, minimum_size(spec, package)))


def _zip_chunks(spec: FileSpec, package: str, size: int, seed: int) -> Iterator[bytes]:
    names = part_names(spec, package, part_count(spec, size))
    content_bytes = size - zip_overhead(names)
    share, extra = divmod(content_bytes, len(names))
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:
        for index, name in enumerate(names):
            part = csv_content(spec, seed + index)
            with archive.open(_zip_info(name), "w") as entry:
                for chunk in part.chunks(share + (1 if index < extra else 0)):
                    entry.write(chunk)
                    yield sink.drain()
            yield sink.drain()
    yield sink.drain()


def build_file(spec: FileSpec, package: str, size: int, seed: int) -> DataFile:
    if spec.split:
        filename = package if package.lower().endswith(".zip") else f"{package}.zip"
        return DataFile(filename, "application/zip", size, (c for c in _zip_chunks(spec, package, size, seed) if c))
    filename = package if "." in package else f"{package}.csv"
    content_type = f"text/csv; charset={spec.encoding}"
    return DataFile(filename, content_type, size, csv_content(spec, seed).chunks(size))
