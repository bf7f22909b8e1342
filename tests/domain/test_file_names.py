"""A file's extension comes from its name as typed, slashes and all."""

from __future__ import annotations

import pytest

from bot.domain.file_names import extension


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ke-hoach.xlsx", ".xlsx"),
        ("Doanh thu 11/.XLSX", ".xlsx"),  # a path would see a folder and a dotfile
        ("a/.xlsx", ".xlsx"),
        ("bao cao.tar.gz", ".gz"),
        (".csv", ".csv"),
        ("khong-duoi", ""),
        ("a.b/c", ""),  # what follows the last dot is not an extension
        ("ten.", ""),
        ("x.verylongextension", ""),
    ],
)
def test_extension(name: str, expected: str) -> None:
    assert extension(name) == expected
