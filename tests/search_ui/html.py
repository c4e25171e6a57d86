"""Reading the pages under test as HTML trees (lxml), so tests assert on elements, not substrings."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import lxml.html


def tree(response: httpx.Response) -> lxml.html.HtmlElement:
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    return lxml.html.fromstring(response.text)


def texts(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(el.text_content().split()) for el in doc.xpath(xpath)]


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)
