"""Class numbers: 050/090 (Library of Congress) and 082 (Dewey), kept as ``scheme:number`` strings.

Kept whole, as the cataloger wrote them (first $a of each field, $b cutter left out), so that any
later use (call-number browse, finer subject breakdowns) has the data; the collection analytics read
only the top level (`indexer.analytics.classes`). 090 is the local form of an LC number, so it is
read as LC; 082's slashes (segmentation marks, "813/.54") are removed.
"""

from __future__ import annotations

from harvester.marc.rules import MarcView, reads, subfield_values

_SCHEMES = (("050", "lcc"), ("090", "lcc"), ("082", "ddc"))


@reads("050", "090", "082")
def classification(view: MarcView) -> list[str]:
    """``["lcc:QA76.73.P98", "ddc:005.133"]``; empty subfields and repeats left out."""
    found: list[str] = []
    for tag, scheme in _SCHEMES:
        for field in view.fields(tag):
            values = subfield_values(field, "a")
            number = " ".join(values[0].replace("/", "").split()) if values else ""
            value = f"{scheme}:{number}"
            if number and value not in found:
                found.append(value)
    return found
