"""The registry of feature extractors: the single source of their names (``features.extractors``
in params.yaml lists some of them, in the order their columns are concatenated; a test holds
the schema's enum to this table). Adding an extractor is one module with a class
implementing :class:`gifworthy.features.base.Extractor` and one line here."""

from __future__ import annotations

from gifworthy.core.registry import load
from gifworthy.features.base import Extractor, FeatureError

__all__ = ["EXTRACTORS", "get_extractor"]

EXTRACTORS: dict[str, str] = {
    "transnet": "gifworthy.features.transnet:TransNetFeatures",
    "image": "gifworthy.features.image:ImageFeatures",
    "motion": "gifworthy.features.motion:MotionFeatures",
    "faces": "gifworthy.features.faces:FaceFeatures",
    "context": "gifworthy.features.context:ContextFeatures",
    "c3d": "gifworthy.features.c3d:C3DFeatures",
}


def get_extractor(name: str) -> Extractor:
    return load(EXTRACTORS, name, "extractor", FeatureError)()
