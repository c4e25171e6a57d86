"""Collection analytics: overlap, unique titles, retention candidates and feed health for a consortium.

Computed in the index run from the merged records it builds (`refresh.AnalyticsPass`), kept as
per-title profiles and counts in the record store (`store`), and read by the web pages as ready
figures (`reader`, `report`). Nothing here runs on a page view except arithmetic on stored counts.
"""
