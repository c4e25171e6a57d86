"""The SRU explain record (ZeeRex 2.0): where the server is, which indexes, schemas and limits it has.

Generated from the same tables the server uses (`cql_query.INDEXES`, `sru_records.SCHEMAS`), so
what explain promises is what searchRetrieve accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from search_ui.interop.sru_records import DEFAULT_RECORDS, MAX_RECORDS, SCHEMAS

EXPLAIN_NS = "http://explain.z3950.org/dtd/2.0/"
CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}
INDEX_TITLES = (
    ("cql", "anywhere", "Any text field"), ("cql", "serverChoice", "Any text field"),
    ("cql", "allRecords", "Every record (cql.allRecords = 1)"),
    ("dc", "title", "Title"), ("dc", "creator", "Author"), ("dc", "subject", "Subject"),
    ("dc", "publisher", "Publisher"), ("dc", "date", "Year of publication"),
    ("bath", "isbn", "ISBN"), ("bath", "issn", "ISSN"), ("bath", "lccn", "LCCN"),
    ("rec", "id", "Permanent record id (as in /record/<id>)"),
)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    host: str
    port: int
    database: str = "sru"
    title: str = "unioncat union catalog"
    description: str = "Every member library's records, merged per item, with every library's holdings."


def explain_record(server: ServerInfo, version: str) -> etree._Element:
    root = etree.Element(f"{{{EXPLAIN_NS}}}explain", nsmap={None: EXPLAIN_NS})
    info = _sub(root, "serverInfo", protocol="SRU", version=version)
    _sub(info, "host").text = server.host
    _sub(info, "port").text = str(server.port)
    _sub(info, "database").text = server.database
    database = _sub(root, "databaseInfo")
    _sub(database, "title", lang="en", primary="true").text = server.title
    _sub(database, "description", lang="en", primary="true").text = server.description
    indexes = _sub(root, "indexInfo")
    for name, identifier in CONTEXT_SETS.items():
        _sub(indexes, "set", name=name, identifier=identifier)
    for context, name, title in INDEX_TITLES:
        index = _sub(indexes, "index", search="true", scan="true" if context == "bath" else "false")
        _sub(index, "title").text = title
        _sub(_sub(index, "map"), "name", set=context).text = name
    schemas = _sub(root, "schemaInfo")
    for schema in SCHEMAS:
        node = _sub(schemas, "schema", identifier=schema.identifier, name=schema.name, retrieve="true")
        _sub(node, "title").text = schema.title
    config = _sub(root, "configInfo")
    _sub(config, "default", type="numberOfRecords").text = str(DEFAULT_RECORDS)
    _sub(config, "default", type="retrieveSchema").text = SCHEMAS[0].identifier
    _sub(config, "setting", type="maximumRecords").text = str(MAX_RECORDS)
    return root


def _sub(parent: etree._Element, tag: str, /, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{EXPLAIN_NS}}}{tag}", attributes)
