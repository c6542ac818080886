"""Keeping indicators current from Kolada (api.kolada.se/v2): the organisation's configured
KPI ids for its municipality code, fetched and imported like a Kolada JSON file.

Bounded whatever the server answers: a time limit per request, a size limit per response,
a limit on pages. Nothing is written unless every KPI was fetched and the whole import
passes (the importer's all-or-nothing rule).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urljoin

import aiohttp
from sqlalchemy import Engine

from storage.importer import ImportResult, import_table, kolada_table
from storage.organisations import OrganisationView

MAX_RESPONSE_BYTES = 5 * 2**20
MAX_PAGES = 20


class KoladaUnavailable(RuntimeError):
    """Kolada could not be reached or answered something else than its data format."""


async def _get(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    try:
        async with http.get(url, headers={"Accept": "application/json"}) as response:
            if response.status != 200:
                raise KoladaUnavailable(f"HTTP {response.status} from {url}")
            # read(n) returns what has arrived so far (at most n), not n bytes: read to
            # the end, stopping as soon as the answer is over the limit.
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(2**16):
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise KoladaUnavailable(
                        f"response larger than {MAX_RESPONSE_BYTES} bytes: {url}")
                chunks.append(chunk)
            raw = b"".join(chunks)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise KoladaUnavailable(f"{type(exc).__name__} for {url}") from None
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise KoladaUnavailable(f"not JSON: {url}") from None
    if not isinstance(document, dict) or not isinstance(document.get("values"), list):
        raise KoladaUnavailable(f"not Kolada's data format: {url}")
    return document


async def fetch(base_url: str, municipality: str, kpis: tuple[str, ...],
                timeout: float = 30.0) -> dict[str, Any]:
    """Every value of the KPIs for the municipality, as one Kolada data document."""
    values: list[Any] = []
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as http:
        for kpi in kpis:
            url: str | None = (f"{base_url.rstrip('/')}/data/kpi/{quote(kpi, safe='')}"
                               f"/municipality/{quote(municipality, safe='')}")
            for _page in range(MAX_PAGES):
                if url is None:
                    break
                document = await _get(http, url)
                values.extend(document["values"])
                following = document.get("next_page")
                url = urljoin(url, following) if isinstance(following, str) and following \
                    else None
    return {"values": values, "count": len(values)}


async def sync(engine: Engine, org: OrganisationView, base_url: str,
               timeout: float = 30.0) -> ImportResult:
    if not org.kolada_municipality or not org.kolada_kpis:
        raise KoladaUnavailable(f"{org.name} has no Kolada municipality code or KPI ids "
                                "(app.py org edit … --kolada-municipality --kolada-kpi)")
    document = await fetch(base_url, org.kolada_municipality, org.kolada_kpis, timeout)
    return import_table(engine, org.id, kolada_table(document))
