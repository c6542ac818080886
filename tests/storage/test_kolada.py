"""storage.kolada.sync against a local aiohttp server serving recorded responses in Kolada's
documented shape (api.kolada.se/v2/data/kpi/{kpi}/municipality/{code}). Nothing here
reaches the internet."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine
from storage_helpers import counts

from storage.db import session
from storage.kolada import MAX_RESPONSE_BYTES, KoladaUnavailable, sync
from storage.organisations import OrganisationView
from storage.queries import indicators


def _entry(kpi: str, period: int, total: float | None, women: float | None = None,
           men: float | None = None, municipality: str = "0480") -> dict[str, Any]:
    values = [{"gender": "T", "value": total, "count": 1, "status": ""}]
    if women is not None or men is not None:
        values += [{"gender": "K", "value": women, "count": 1, "status": ""},
                   {"gender": "M", "value": men, "count": 1, "status": ""}]
    return {"kpi": kpi, "municipality": municipality, "period": period, "values": values}


# Recorded in the API's shape: the first KPI's values come in two pages.
PAGES = {
    "/v2/data/kpi/U01405/municipality/0480": {
        "count": 1, "values": [_entry("U01405", 2022, 66, 63, 69)],
        "next_page": "/v2/data/kpi/U01405/municipality/0480?page=2&per_page=1"},
    "/v2/data/kpi/U01405/municipality/0480?page=2&per_page=1": {
        "count": 1, "values": [_entry("U01405", 2024, 67.5, 64.0, 70.1)], "next_page": None,
        "previous_page": "/v2/data/kpi/U01405/municipality/0480"},
    "/v2/data/kpi/N00712/municipality/0480": {
        "count": 2, "values": [_entry("N00712", 2021, 66.5, 48.1, 63.0),
                               _entry("N00712", 2022, 68.2, 50.0, 64.9)]},
}


class Kolada:
    """A local stand-in for Kolada's data API; `answer` can be replaced per test."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.answer: Callable[[web.Request], Any] = self.recorded

    async def recorded(self, request: web.Request) -> web.StreamResponse:
        document = PAGES.get(request.path_qs)
        if document is None:
            return web.json_response({"count": 0, "values": []})
        return web.json_response(document)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        return await self.answer(request)


@pytest.fixture
async def kolada() -> AsyncIterator[tuple[Kolada, str]]:
    fake = Kolada()
    app = web.Application()
    app.router.add_get("/{tail:.*}", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("/v2"))
    finally:
        await server.close()


@pytest.fixture
def org(demo: Engine, nykoping: OrganisationView) -> OrganisationView:
    return replace(nykoping, kolada_kpis=("U01405", "N00712"))


async def test_sync_lands_the_values_on_the_organisations_indicators(
        demo: Engine, org: OrganisationView, kolada: tuple[Kolada, str]) -> None:
    fake, base = kolada
    result = await sync(demo, org, base)
    assert fake.requests == ["/v2/data/kpi/U01405/municipality/0480",
                             "/v2/data/kpi/U01405/municipality/0480?page=2&per_page=1",
                             "/v2/data/kpi/N00712/municipality/0480"]
    assert (result.kind, result.rows, result.created, result.updated, result.unchanged) == (
        "indicators", 4, 2, 0, 2)  # 2022 of U01405 and 2021 of N00712 are the printed ones
    with session(demo, org.id) as s:
        views = {v.source_id: v for v in indicators(s, org.id) if v.source_id}
    health = views["U01405"]
    assert health.name == "Invånare med bra självskattat hälsotillstånd, andel (%)"
    assert [(y.year, y.total, y.women, y.men, y.comparison, y.trend) for y in health.years] == [
        (2022, Decimal("66"), Decimal("63"), Decimal("69"), Decimal("70"), "negative"),
        (2024, Decimal("67.5"), Decimal("64"), Decimal("70.1"), None, "")]
    assert [(y.year, y.total) for y in views["N00712"].years] == [
        (2021, Decimal("66.5")), (2022, Decimal("68.2"))]
    again = await sync(demo, org, base)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


async def test_an_organisation_without_kolada_settings_is_refused(
        demo: Engine, lovisa: OrganisationView, kolada: tuple[Kolada, str]) -> None:
    fake, base = kolada
    with pytest.raises(KoladaUnavailable):
        await sync(demo, lovisa, base)
    assert fake.requests == []


async def _error(_: web.Request) -> web.StreamResponse:
    return web.Response(status=500, text="Internal Server Error")


async def _html(_: web.Request) -> web.StreamResponse:
    return web.Response(text="<html>Kolada is down for maintenance</html>",
                        content_type="text/html")


async def _other_json(_: web.Request) -> web.StreamResponse:
    return web.json_response({"error": "unknown kpi"})


async def _huge(_: web.Request) -> web.StreamResponse:
    entry = json.dumps(_entry("U01405", 2020, 1.5))
    body = '{"values": [' + ",".join([entry] * (MAX_RESPONSE_BYTES // len(entry) + 10)) + "]}"
    return web.Response(body=body.encode(), content_type="application/json")


async def _slow(_: web.Request) -> web.StreamResponse:
    await asyncio.sleep(5)
    return web.json_response(PAGES["/v2/data/kpi/N00712/municipality/0480"])


@pytest.mark.parametrize(("answer", "reason"), [
    (_error, "HTTP 500"), (_html, "not JSON"), (_other_json, "not Kolada's data format"),
    (_huge, "larger than"), (_slow, "TimeoutError")],
    ids=["500", "html", "other-json", "oversized", "timeout"])
async def test_a_bad_answer_writes_nothing(demo: Engine, org: OrganisationView,
                                           kolada: tuple[Kolada, str], answer,
                                           reason: str) -> None:
    fake, base = kolada
    before = counts(demo, org.id)

    async def second_kpi_fails(request: web.Request) -> web.StreamResponse:
        if "N00712" in request.path:  # the first KPI fetched fine: still nothing is written
            return await answer(request)
        return await fake.recorded(request)

    fake.answer = second_kpi_fails
    with pytest.raises(KoladaUnavailable, match=reason):
        await sync(demo, org, base, timeout=1.0)
    assert counts(demo, org.id) == before


async def test_a_large_valid_answer_is_read_whole(demo: Engine, org: OrganisationView,
                                                  kolada: tuple[Kolada, str]) -> None:
    """Well under the limit but many network chunks: all of it is read, not the first chunk."""
    fake, base = kolada
    values = [_entry("N00712", year, 50 + year % 10 / 10) for year in range(1900, 2200)]
    values = [dict(v, padding="x" * 3000) for v in values]  # ~1 MB

    async def large(request: web.Request) -> web.StreamResponse:
        if "N00712" in request.path:
            return web.json_response({"count": len(values), "values": values})
        return await fake.recorded(request)

    fake.answer = large
    result = await sync(demo, org, base)
    assert result.rows == 2 + len(values)
