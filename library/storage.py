"""Where uploaded policy documents are kept: a two-method interface, its backend chosen by the environment.

`LIBRARY_STORAGE=disk` (the default) keeps each document as a file under `LIBRARY_STORAGE_PATH`
(default `instance/library`). Another backend (object storage, say) is a class with the same
`save` and `load`, added to `BACKENDS`; the database keeps only the key `save` returned.
"""

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from flask import current_app

_KEY = re.compile(r"^[0-9a-f]{32}\.(pdf|docx|odt)$")


class Storage(Protocol):
    def save(self, data: bytes, extension: str) -> str:
        """Keeps the bytes and answers the key they are found by."""
        ...

    def load(self, key: str) -> bytes: ...


class DiskStorage:
    """One file per document, named by a random key; written to a temporary name and renamed, so a reader
    never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, extension: str) -> str:
        key = f"{secrets.token_hex(16)}.{extension}"
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f".{key}.part"
        partial.write_bytes(data)
        os.replace(partial, self.root / key)
        return key

    def load(self, key: str) -> bytes:
        if not _KEY.match(key):  # a key is ours, never a path
            raise FileNotFoundError(key)
        return (self.root / key).read_bytes()


def _disk(config) -> Storage:
    return DiskStorage(Path(config["LIBRARY_STORAGE_PATH"]))


BACKENDS = {"disk": _disk}


def storage() -> Storage:
    backend = current_app.config["LIBRARY_STORAGE"]
    if backend not in BACKENDS:
        raise RuntimeError(f"LIBRARY_STORAGE={backend!r} is no storage backend; known: {', '.join(BACKENDS)}")
    return BACKENDS[backend](current_app.config)
