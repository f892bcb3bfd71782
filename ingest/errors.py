"""Errors a user can act on, each naming where in the drop the problem is."""
from __future__ import annotations


class IngestError(Exception):
    """A drop that cannot be used at all; nothing of it is stored.

    The message is one line naming the file, and the line and column when
    they are known, so the CLI can print it as is.
    """

    def __init__(self, file: str, reason: str, line: int | None = None, column: str | None = None):
        self.file, self.reason, self.line, self.column = file, reason, line, column
        where = file
        if line is not None:
            where += f", line {line}"
        if column:
            where += f", column {column}"
        super().__init__(f"{where}: {reason}")


class MappingError(IngestError):
    """The header-mapping file is malformed."""
