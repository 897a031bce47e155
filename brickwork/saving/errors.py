"""The one error that loading a damaged, hostile or oversized model file raises."""

from __future__ import annotations

from typing import Any


class ModelFileError(ValueError):
    """A model or weights file that brickwork refuses to load.

    Raised by :func:`brickwork.saving.load_model`, :func:`brickwork.saving.load_weights`
    and the Keras readers for everything that is wrong with the *file*: not a zip
    archive, a damaged or truncated member, a member over a size limit, JSON that is
    malformed, too large or too deeply nested, an array whose header or data do not
    match the declared weights, a configuration that cannot be rebuilt, an optimizer
    slot of the wrong shape, a path that is not a regular file. A missing file still
    raises :class:`FileNotFoundError`.

    It is a :class:`ValueError`, so ``except ValueError`` keeps working. The message
    reads ``"<file>: member '<member>': <what was wrong>"``; the parts are also kept as
    attributes.

    Attributes:
        filepath: The file being loaded.
        member: The archive member (``'weights.npz'``, ``'config.json'``...), or ``None``
            when the problem is the file as a whole.
        reason: What was wrong, in words.
    """

    def __init__(self, filepath: Any, member: str | None, reason: str) -> None:
        self.filepath = str(filepath)
        self.member = member
        self.reason = reason
        where = self.filepath if member is None else f"{self.filepath}: member {member!r}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.filepath, self.member, self.reason))
