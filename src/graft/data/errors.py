"""The one error every corrupt, hostile or unusable data input raises."""
from __future__ import annotations


class DataError(ValueError):
    """A data file (or data document field) cannot be used.

    `file` names where the problem is (a path, an archive member, a data set name or a document
    field such as ``transforms[1]``); `row` is the 1-based line of a text file when it is known.
    """

    def __init__(self, file: object, problem: str, row: int | None = None):
        self.file = str(file)
        self.problem = problem
        self.row = row
        where = self.file if row is None else f"{self.file}, row {row}"
        super().__init__(f"{where}: {problem}")
