"""Import from the map tools coordinators already used: Google My Maps (KML/KMZ) and uMap (GeoJSON, .umap).

Each placemark or feature becomes a record row like a spreadsheet row: its name, its description and
its data fields (KML ExtendedData, uMap properties) are matched against the usual headers and the
project's `columns` mapping. A My Maps layer (KML Folder) or uMap layer name is used as the category
when the row has none, so a map drawn with one layer per kind of place needs no retyping.

Importing this module registers the readers with gis.records (.kml, .kmz, .umap, and uMap-aware
.geojson/.json). No network access: linked styles, icons and images are never fetched.
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from gis import limits, records
from gis.config import RecordSource
from gis.errors import InputError
from gis.place import normalise_header, normalise_text
from gis.records import ReadResult, rows_from_features

FOLDER_KEYS = (
    "フォルダ",
    "レイヤ",
    "レイヤー",
    "folder",
    "layer",
)  # headers a project may map the layer name from
_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def _local(tag: str) -> str:
    """Element name without its namespace: My Maps writes KML 2.2, Google Earth files may use older ones."""
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def _child_text(el: ET.Element, name: str) -> str:
    c = _child(el, name)
    return (c.text or "").strip() if c is not None else ""


def html_to_text(value: str) -> str:
    """My Maps descriptions are HTML in CDATA: line breaks kept, tags dropped, entities decoded."""
    text = _BR.sub("\n", value)
    text = html.unescape(_TAG.sub("", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def parse_kml(data: bytes, label: str) -> ET.Element:
    """The element tree in one expat pass through defusedxml, which refuses DTDs, entity declarations and
    external references (KML never needs them: entity-expansion bombs and file or network fetches), while
    the element depth is counted (folders nested deeper would exhaust the stack when walked)."""
    parser = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    limits.check_xml_depth(parser.parser, label)  # defusedxml's parser wraps an expat parser
    try:
        parser.feed(data)
        root: ET.Element = parser.close()
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise InputError(
            label,
            "KML に DOCTYPE／ENTITY 宣言があるため読みません / KML with a DOCTYPE or entity "
            "declarations is refused",
        ) from None
    except ET.ParseError as exc:
        line = exc.position[0]
        raise InputError(
            label,
            f"KML として読めません（{line}行目） / not valid KML (line {line}): {expat.ErrorString(exc.code)}",
        ) from None
    return root


def _coordinates(text: str) -> list[list[float]]:
    points = []
    for tuple_text in text.split():
        parts = tuple_text.split(",")
        if len(parts) >= 2:
            try:
                points.append([float(parts[0]), float(parts[1])])
            except ValueError:
                continue
    return points


def _geometry(el: ET.Element) -> dict | None:
    """KML geometry → GeoJSON geometry (lon, lat; altitude dropped)."""
    kind = _local(el.tag)
    if kind == "Point":
        pts = _coordinates(_child_text(el, "coordinates"))
        return {"type": "Point", "coordinates": pts[0]} if pts else None
    if kind == "LineString":
        pts = _coordinates(_child_text(el, "coordinates"))
        return {"type": "LineString", "coordinates": pts} if len(pts) >= 2 else None
    if kind == "Polygon":
        rings: list[list[list[float]]] = []
        for boundary in el:
            if _local(boundary.tag) in ("outerBoundaryIs", "innerBoundaryIs"):
                ring = _child(boundary, "LinearRing")
                pts = _coordinates(_child_text(ring, "coordinates")) if ring is not None else []
                if len(pts) < 4:
                    continue
                if _local(boundary.tag) == "outerBoundaryIs":
                    rings.insert(0, pts)
                else:
                    rings.append(pts)
        return {"type": "Polygon", "coordinates": rings} if rings else None
    if kind == "MultiGeometry":
        parts = [g for g in (_geometry(c) for c in el) if g]
        return {"type": "GeometryCollection", "geometries": parts} if parts else None
    return None


def _extended_data(placemark: ET.Element) -> dict[str, str]:
    """<Data name=…><value> (My Maps) and <SchemaData><SimpleData name=…> (Google Earth, QGIS)."""
    out: dict[str, str] = {}
    ext = _child(placemark, "ExtendedData")
    if ext is None:
        return out
    for el in ext.iter():
        kind = _local(el.tag)
        if kind == "Data":
            key = el.get("name") or _child_text(el, "displayName")
            if key:
                out.setdefault(key, _child_text(el, "value"))
        elif kind == "SimpleData" and el.get("name"):
            out.setdefault(el.get("name", ""), (el.text or "").strip())
    return out


def _description_repeats_data(description: str, data: dict[str, str]) -> bool:
    """My Maps writes a layer imported from a sheet as "列名: 値<br>列名: 値" in the description as well as
    in ExtendedData; that copy is not an activity description."""
    lines = [line for line in description.splitlines() if line.strip()]
    if not lines or not data:
        return False
    keys = {normalise_header(k) for k in data}
    return all(":" in line and normalise_header(line.split(":", 1)[0]) in keys for line in lines)


def _placemarks(el: ET.Element, folders: tuple[str, ...]) -> Iterator[tuple[ET.Element, tuple[str, ...]]]:
    for child in el:
        kind = _local(child.tag)
        if kind == "Placemark":
            yield child, folders
        elif kind in ("Folder", "Document"):
            name = _child_text(child, "name") if kind == "Folder" else ""
            yield from _placemarks(child, folders + ((normalise_text(name),) if name else ()))


def features_from_kml(data: bytes, label: str) -> list[dict]:
    """Placemarks as GeoJSON-like features; the innermost folder name rides along as `_layer`."""
    root = parse_kml(data, label)
    if _local(root.tag) != "kml":
        raise InputError(label, f"KML ではありません（最上位が <{_local(root.tag)}>） / not a KML document")
    features = []
    for placemark, folders in _placemarks(root, ()):
        data_fields = _extended_data(placemark)
        props: dict[str, Any] = {}
        name = _child_text(placemark, "name")
        if name:
            props["name"] = name
        props.update({k: v for k, v in data_fields.items() if k not in props})
        description = html_to_text(_child_text(placemark, "description"))
        if description and not _description_repeats_data(description, data_fields):
            props.setdefault("description", description)
        geometry = next((g for g in (_geometry(c) for c in placemark) if g), None)
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": geometry,
                "_layer": folders[-1] if folders else "",
            }
        )
    return features


def _rows_with_layers(features: list[dict], source: RecordSource, what: str) -> ReadResult:
    """rows_from_features, then the layer name as category (or as a mapped column) where the row has none."""
    label = source.label or source.path.name
    mapped_layer_key = next((h for h in source.columns if normalise_header(h) in FOLDER_KEYS), None)
    if mapped_layer_key:
        for f in features:
            f["properties"].setdefault(mapped_layer_key, f.get("_layer", ""))
    result = rows_from_features(features, source)
    used: set[str] = set()
    if not mapped_layer_key:
        for row, f in zip(result.rows, features):
            if f.get("_layer") and not normalise_text(row.values.get("category")):
                row.values["category"] = f["_layer"]
                used.add(f["_layer"])
    if not result.rows:
        result.notes.append(f"{label}: {what}に地点がありません / no placemarks or features found")
    if used:
        result.notes.append(
            f"{label}: レイヤ（フォルダ）名を種別として使いました: {'、'.join(sorted(used))} / "
            "layer names used as categories"
        )
    return result


def read_kml(source: RecordSource) -> ReadResult:
    label = source.label or source.path.name
    limits.check_file_size(source.path, label)
    return _rows_with_layers(features_from_kml(source.path.read_bytes(), label), source, "KML")


def read_kmz(source: RecordSource) -> ReadResult:
    """My Maps exports KMZ by default: a zip holding doc.kml (and icons, which are ignored)."""
    label = source.label or source.path.name
    limits.check_file_size(source.path, label)
    try:
        with zipfile.ZipFile(source.path) as z:
            limits.check_zip(z, label)  # a 1 MB KMZ may unpack to gigabytes: refused from its directory
            names = [n for n in z.namelist() if n.lower().endswith(".kml")]
            if not names:
                raise InputError(label, "KMZ の中に KML がありません / no .kml inside the KMZ")
            name = "doc.kml" if "doc.kml" in names else min(names)
            data = limits.read_zip_member(z, name, label)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        raise InputError(label, "KMZ（zip）として開けません / cannot open as KMZ") from None
    return _rows_with_layers(features_from_kml(data, label), source, "KMZ")


_UMAP_MARKUP = [
    (re.compile(r"\{\{[^}]*\}\}"), ""),  # {{image url}}
    (re.compile(r"\[\[[^|\]]*\|([^\]]*)\]\]"), r"\1"),  # [[url|text]]
    (re.compile(r"\[\[([^\]]*)\]\]"), r"\1"),  # [[url]]
    (re.compile(r"\*\*([^*]+)\*\*"), r"\1"),  # **bold**
]


def umap_text(value: str) -> str:
    """uMap's popup markup reduced to plain text."""
    for pattern, repl in _UMAP_MARKUP:
        value = pattern.sub(repl, value)
    return value.strip()


def is_umap(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if data.get("type") == "umap" or "_umap_options" in data or "_storage" in data:
        return True
    features = data.get("features")
    return isinstance(features, list) and any(
        isinstance(f, dict) and isinstance(f.get("properties"), dict) and "_umap_options" in f["properties"]
        for f in features
    )


def features_from_umap(data: dict) -> list[dict]:
    """A uMap layer (FeatureCollection with `_umap_options`) or a whole map backup (`type: umap`, `layers`)."""
    layers = data.get("layers") if data.get("type") == "umap" else [data]
    features = []
    for layer in layers or []:
        if not isinstance(layer, dict):
            continue
        options = layer.get("_umap_options") or layer.get("_storage") or {}
        layer_name = normalise_text(options.get("name", "")) if isinstance(options, dict) else ""
        for f in layer.get("features") or []:
            if not isinstance(f, dict):
                continue
            props = {
                k: v
                for k, v in (f.get("properties") or {}).items()
                if k not in ("_umap_options", "_storage_options")
            }  # styling, not data
            if isinstance(props.get("description"), str):
                props["description"] = umap_text(props["description"])
            features.append(
                {"type": "Feature", "properties": props, "geometry": f.get("geometry"), "_layer": layer_name}
            )
    return features


def _load_json(source: RecordSource) -> Any:
    return records.load_json(source.path, source.label or source.path.name)


def read_umap(source: RecordSource) -> ReadResult:
    data = _load_json(source)
    if not is_umap(data) and not (isinstance(data, dict) and isinstance(data.get("features"), list)):
        raise InputError(
            source.label or source.path.name, "uMap の書き出しファイルではありません / not a uMap export"
        )
    return _rows_with_layers(features_from_umap(data), source, "uMap")


def read_geojson_or_umap(source: RecordSource) -> ReadResult:
    """uMap's "download data" GeoJSON gets layer names and markup handled; any other GeoJSON is read as before."""
    if is_umap(_load_json(source)):
        return read_umap(source)
    return records.read_geojson(source)


records.register_reader(".kml", read_kml)
records.register_reader(".kmz", read_kmz)
records.register_reader(".umap", read_umap)
records.register_reader(".geojson", read_geojson_or_umap)
records.register_reader(".json", read_geojson_or_umap)
