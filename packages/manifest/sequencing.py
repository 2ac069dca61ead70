"""IMS Simple Sequencing in a SCORM 2004 manifest, kept in full for the player.

IMS SS 1.0 §5; SCORM 2004 SN Book §5.1.  ``imsss:sequencing`` elements (on an
organization or an item, or shared in <imsss:sequencingCollection> and named by
``IDRef``) are serialised as they are (``element_data``); ``player/sequencing`` reads
them.  Pure (lxml, no Flask).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from core.i18n import N_
from packages.manifest.common import _kid, _kids, element_data
from packages.report import Report


def sequencing_collection(root: etree._Element) -> dict[str, Any]:
    """The shared sequencing definitions of <imsss:sequencingCollection>, by ID."""
    collection: dict[str, Any] = {}
    seq_collection = _kid(root, "sequencingCollection")
    if seq_collection is not None:
        for seq in _kids(seq_collection, "sequencing"):
            if seq.get("ID"):
                collection[seq.get("ID") or ""] = element_data(seq)
    return collection


def sequencing(
    seq: etree._Element, collection: dict[str, Any], report: Report, name: str
) -> dict[str, Any]:
    """imsss:sequencing in full (IMS SS 1.0 §5; SCORM 2004 SN Book §5.1)."""
    data = element_data(seq)
    ref = seq.get("IDRef")
    if ref and ref not in collection:
        report.error(
            N_("Sequencing IDRef %(ref)r names nothing in <imsss:sequencingCollection>"),
            name,
            seq.sourceline,
            ref=ref,
        )
    return data
