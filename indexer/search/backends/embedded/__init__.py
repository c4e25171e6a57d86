"""The embedded search engine: a tantivy index in a folder, no server.

`backend` is the `SearchBackend` (versioned index folders, atomic switch, search with fallbacks),
`tantivy_schema` the document schema and conversions, `tantivy_query` the query tree in tantivy terms,
`facets` the slot-column facet counting.
"""

from indexer.search.backends.embedded.backend import MAX_PER_PAGE, EmbeddedBackend

__all__ = ["MAX_PER_PAGE", "EmbeddedBackend"]
