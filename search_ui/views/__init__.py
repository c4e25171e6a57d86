"""Thin request handlers: each builds one dict and serves it as HTML or as its ``.json`` twin."""
