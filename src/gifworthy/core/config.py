"""Load and validate ``params.yaml`` against ``params.schema.yaml``.

Errors name the offending key as a dotted path (``download.max_height``) so a typo is found
at once, before any stage runs.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from gifworthy.core.errors import GifworthyError

__all__ = ["LOCAL_PARAMS", "LOCAL_SECTIONS", "ParamsError", "SCHEMA_PATH", "cross_field_errors",
           "load_params", "read_yaml", "validate_params"]

SCHEMA_PATH = Path(str(resources.files("gifworthy.core") / "params.schema.yaml"))

# libyaml's loader when PyYAML has it (10x faster: every shard job reads params and dvc.yaml).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(stream: Any) -> Any:
    """``yaml.safe_load`` with the C loader when available."""
    return yaml.load(stream, Loader=_LOADER)  # noqa: S506 - a safe loader either way


class ParamsError(GifworthyError, ValueError):
    """params.yaml does not match the schema; the message names every bad key."""


def _schema() -> dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return read_yaml(fh)


def _key(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        # The bad key is in the message, not the path: name it explicitly.
        schema = error.schema if isinstance(error.schema, dict) else {}
        instance = error.instance if isinstance(error.instance, dict) else {}
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        path = ".".join(filter(None, [path, ",".join(extra)]))
    elif error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = ".".join(filter(None, [path, missing]))
    return path or "<top level>"


def _fill_defaults(schema: dict[str, Any], value: Any) -> None:
    """Give every absent key that has a schema ``default`` its default (in place), so the
    code reads each key one way: ``params[...]``, never ``.get(key, another default)``."""
    if not isinstance(value, dict):
        return
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        if key not in value and "default" in sub:
            value[key] = sub["default"]
        if key in value:
            _fill_defaults(sub, value[key])


# Ranges whose low end must not pass the high end: (low key, high key) or a [low, high] key.
_ORDERED_PAIRS = (("segments.min_sec", "segments.max_sec"),)
_ORDERED_RANGES = ("sample.shots_per_video", "sample.shot_seconds", "sample.gifs_per_video")


def _get(params: dict[str, Any], dotted: str) -> Any:
    value: Any = params
    for part in dotted.split("."):
        value = value[part]
    return value


def cross_field_errors(params: dict[str, Any]) -> list[str]:
    """Rules between keys that a JSON schema cannot say (run after the schema passed)."""
    errors = []
    for low, high in _ORDERED_PAIRS:
        if _get(params, low) > _get(params, high):
            errors.append(f"{low}: {_get(params, low)} is above {high} ({_get(params, high)})")
    for key in _ORDERED_RANGES:
        lo, hi = _get(params, key)
        if lo > hi:
            errors.append(f"{key}: [{lo}, {hi}] is not [low, high]")
    access = params["access"]
    if access["cookies_file"] and access["cookies_from_browser"]:
        errors.append("access.cookies_file: set either it or access.cookies_from_browser, "
                      "not both")
    if 0 < access["max_sleep_interval"] < access["sleep_interval"]:
        errors.append(f"access.max_sleep_interval: {access['max_sleep_interval']} is below "
                      f"access.sleep_interval ({access['sleep_interval']}); 0 means a fixed "
                      "sleep")
    shots = params["shots"]
    if shots["detector"] not in shots["detectors"]:
        errors.append(f"shots.detector: {shots['detector']} is not in shots.detectors "
                      f"({', '.join(shots['detectors'])}): the segments use its cuts")
    if "transnet" in params["features"]["extractors"] and "transnet" not in shots["detectors"]:
        errors.append("features.extractors: transnet pools TransNetV2's features from the "
                      "shots stage; add transnet to shots.detectors or drop the extractor")
    ranking = params["ranking"]
    if ranking["heat_positive_share"] + ranking["heat_negative_share"] > 1:
        errors.append(f"ranking.heat_positive_share: {ranking['heat_positive_share']} plus "
                      f"ranking.heat_negative_share ({ranking['heat_negative_share']}) is over "
                      "1: a segment cannot be both")
    screentime = params["screentime"]
    if screentime["head"] == "cells" and screentime["hidden"] != 0:
        errors.append(f"screentime.hidden: {screentime['hidden']}; the cells head is linear "
                      "(its dropout is computed, not sampled, which needs a linear layer): "
                      "set 0, or screentime.head: pooled")
    corpus = params["corpus"]
    if corpus.get("split_file") and corpus["format"] != "video2gif":
        errors.append(f"corpus.split_file: only the video2gif format reads a split file "
                      f"(format is {corpus['format']})")
    return errors


def validate_params(params: Any, *, source: str = "params.yaml") -> dict[str, Any]:
    """Raise :class:`ParamsError` listing each violation as ``source: key: message``; fill in
    the schema's defaults and check the rules between keys."""
    schema = _schema()
    if isinstance(params, dict):
        _fill_defaults(schema, params)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(params), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = []
        for err in errors:
            if err.validator == "additionalProperties":
                lines.append(f"{source}: {_key(err)}: unknown key")
            else:
                lines.append(f"{source}: {_key(err)}: {err.message}")
        raise ParamsError("\n".join(lines))
    crossed = cross_field_errors(params)
    if crossed:
        raise ParamsError("\n".join(f"{source}: {line}" for line in crossed))
    return params


# Machine-local settings: params.local.yaml beside params.yaml (git- and DVC-ignored) may set
# these sections only, since no output depends on them (cookies, proxies, pacing, shard size).
LOCAL_PARAMS = "params.local.yaml"
LOCAL_SECTIONS = ("access", "execution")


def _read_params_file(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return read_yaml(fh)
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None


def _merge_local(params: Any, local: Path) -> str:
    """Lay ``local``'s sections over ``params`` (in place); the source name for errors."""
    overrides = _read_params_file(local)
    if overrides is None:
        return ""
    if not isinstance(overrides, dict):
        raise ParamsError(f"{local}: <top level>: must be a mapping of sections")
    errors = [f"{local}: {key}: only {', '.join(LOCAL_SECTIONS)} may be set locally (no "
              "output depends on them); set it in params.yaml"
              for key in overrides if key not in LOCAL_SECTIONS]
    errors += [f"{local}: {key}: must be a mapping" for key, value in overrides.items()
               if key in LOCAL_SECTIONS and not isinstance(value, dict)]
    if errors:
        raise ParamsError("\n".join(errors))
    if isinstance(params, dict):
        for section, values in overrides.items():
            merged = dict(params.get(section) or {})
            merged.update(values)
            params[section] = merged
    return f" + {local}"


def load_params(path: str | os.PathLike[str] = "params.yaml", *, local: bool = True
                ) -> dict[str, Any]:
    """Read and validate a params file, with the machine-local overrides of
    ``params.local.yaml`` beside it (``local=False`` reads the shared file alone)."""
    path = Path(path)
    params = _read_params_file(path)
    source = str(path)
    local_path = path.with_name(LOCAL_PARAMS)
    if local and local_path.is_file():
        source += _merge_local(params, local_path)
    return validate_params(params, source=source)
