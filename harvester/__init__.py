"""Get records in: read MARC files and OAI-PMH feeds, normalize, and store them without losing any.

The record model (`harvester.record`) and the record store (`harvester.store`) live here, in the most
upstream package, so that the indexer and the web interface can import them.
"""
