"""Your own data: a CSV file with a header row, numeric feature columns and a target column.

Read with Python's ``csv`` module (no pandas dependency for one table); every problem a run
would otherwise meet mid-training (a missing file or column, text in a feature column, an empty
cell) stops the run's plan with a message naming the file, the column and the row.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import torch

from trainlab.data.tabular import TabularData, encode_targets
from trainlab.errors import ConfigError

# Cells read as missing values (compared in lower case).
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


class CSVData(TabularData):
    """The CSV file at ``path`` (relative paths from the working directory), ``target`` its label.

    ``features`` lists the input columns (default: every column but the target). ``task`` is
    ``regression``, ``binary`` or ``multiclass``, or null to infer it from the target column:
    whole numbers or text are classes (two → binary, more → multiclass), other numbers a
    regression target. Rows are split and standardised as :class:`TabularData` says.
    """

    def __init__(
        self,
        path: str,
        target: str,
        features: list[str] | None = None,
        task: str | None = None,
        seed: int = 0,
        val_size: float = 0.2,
        test_size: float = 0.2,
        batch_size: int = 64,
        standardize_target: bool = True,
    ) -> None:
        self.path = Path(path)
        header, rows = _read(self.path)
        if target not in header:
            raise ConfigError(
                f"data.target={target!r} is not a column of {self.path}; its columns: "
                f"{', '.join(header)}"
            )
        inputs = list(features) if features is not None else [c for c in header if c != target]
        unknown = [c for c in inputs if c not in header]
        if unknown or not inputs or target in inputs:
            raise ConfigError(
                f"data.features={inputs} must name columns of {self.path} other than the target "
                f"({target!r}); its columns: {', '.join(header)}"
            )
        columns = {name: [row[header.index(name)] for row in rows] for name in {*inputs, target}}
        for name, cells in columns.items():
            _check_complete(self.path, name, cells)
        values = [_numeric(self.path, name, columns[name]) for name in inputs]
        targets = encode_targets(columns[target], task, f"column {target!r} of {self.path}")
        super().__init__(
            features=torch.tensor(values, dtype=torch.float64).T.contiguous(),
            targets=targets,
            seed=seed,
            val_size=val_size,
            test_size=test_size,
            batch_size=batch_size,
            standardize_target=standardize_target,
        )


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of ``path``, each row as long as the header."""
    if not path.is_file():
        raise ConfigError(
            f"data.path={str(path)!r}: no such file (relative paths are taken from the working "
            f"directory, {os.getcwd()})"
        )
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            lines = [row for row in csv.reader(file) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ConfigError(f"data.path={str(path)!r} cannot be read as CSV: {error}") from None
    if len(lines) < 2:
        raise ConfigError(f"{path} holds no data rows: a header row and data rows are needed")
    header = [name.strip() for name in lines[0]]
    for number, row in enumerate(lines[1:], start=2):
        if len(row) != len(header):
            raise ConfigError(
                f"{path} line {number} has {len(row)} cells, the header has {len(header)}"
            )
    return header, [[cell.strip() for cell in row] for row in lines[1:]]


def _check_complete(path: Path, column: str, cells: list[str]) -> None:
    missing = [i for i, cell in enumerate(cells) if cell.lower() in MISSING]
    if missing:
        raise ConfigError(
            f"column {column!r} of {path} has {len(missing)} missing values (first on line "
            f"{missing[0] + 2}: {cells[missing[0]]!r}); fill or drop those rows first"
        )


def _numeric(path: Path, column: str, cells: list[str]) -> list[float]:
    values = []
    for i, cell in enumerate(cells):
        try:
            values.append(float(cell))
        except ValueError:
            raise ConfigError(
                f"column {column!r} of {path} is not numeric (line {i + 2}: {cell!r}); features "
                "must be numbers: encode categories as numbers, or leave the column out with "
                "data.features=[...]"
            ) from None
    return values
