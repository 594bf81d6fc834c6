"""The registry of corpus formats: ``corpus.format`` in params.yaml names one (the schema's
enum is held to this table by a test). Adding a format is one reader module implementing
:class:`gifworthy.corpus.base.CorpusReader` and one line here."""

from __future__ import annotations

from gifworthy.core.registry import load
from gifworthy.corpus.base import CorpusError, CorpusReader

__all__ = ["READERS", "get_reader"]

READERS: dict[str, str] = {
    "kinetics_csv": "gifworthy.corpus.kinetics:KineticsCsvReader",
    "kinetics_json": "gifworthy.corpus.kinetics:KineticsJsonReader",
    "video2gif": "gifworthy.corpus.video2gif:Video2GifReader",
    "urls": "gifworthy.corpus.urls:UrlListReader",
    "folder": "gifworthy.corpus.folder:FolderReader",
    # The embedded sample corpus (its reader lives with the sample, which production code
    # never imports).
    "sample": "gifworthy.sample.reader:SampleReader",
}


def get_reader(fmt: str) -> CorpusReader:
    """The reader of corpus format ``fmt``."""
    return load(READERS, fmt, "corpus.format", CorpusError)()
