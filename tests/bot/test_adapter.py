"""bot/adapter.py, the HTTP edge of /api/messages: tenant restriction, isolation of turns."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from botclient import BotClient, bot_settings, running_bot
from botservice import harness
from yarl import URL


async def test_other_tenants_are_refused_and_logged(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness(database_url, allowed_tenants=("tenant-1", "tenant-2")) as h:
        with caplog.at_level(logging.WARNING, logger="laget.adapter"):
            status, body = await h.post(h.activity(tenant="tenant-evil"))
            assert (status, body) == (403, {"error": "tenant not allowed"})
            status, _ = await h.post(h.activity(tenant=None))
            assert status == 403
        assert "tenant-evil" in caplog.text
        assert h.channel.attempts == 0 and h.state_rows() == 0
        status, _ = await h.post(h.activity(tenant="tenant-2"))
        assert status in (200, 201) and len(h.channel.received) == 1


async def test_app_tenant_id_restricts_tenants_too(database_url: str) -> None:
    # Local mode, so no token is needed; the tenant rule holds regardless.
    async with harness(database_url, app_tenant_id="tenant-1") as h:
        assert (await h.post(h.activity(tenant="tenant-9")))[0] == 403
        channel_data = h.activity(tenant=None)
        channel_data["channelData"] = {"tenant": {"id": "tenant-1"}}
        assert (await h.post(channel_data))[0] in (200, 201)


async def test_a_crash_in_one_turn_does_not_affect_concurrent_ones(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dialogs.commands import Ask, CommandSet
    from understanding.question import Intent

    dispatch = CommandSet.dispatch

    def boom(self: CommandSet, ask: Ask) -> object:  # the summary command breaks
        if ask.question.intent is Intent.SUMMARY:
            raise RuntimeError("one bad turn")
        return dispatch(self, ask)

    monkeypatch.setattr(CommandSet, "dispatch", boom)
    async with harness(database_url) as h:
        questions = ["prognos IT", "sammanställning", "försenade", "enheter"] * 4
        results = await asyncio.gather(*(
            h.post(h.activity(q, conversation_id=f"conv-{i}"))
            for i, q in enumerate(questions)
        ))
        assert all(status in (200, 201) for status, _ in results)
        replies = {body["conversation"]["id"]: str(body) for _, body in h.channel.received}
        assert len(replies) == len(questions)
        for i, q in enumerate(questions):
            if q == "sammanställning":
                assert "gick fel" in replies[f"conv-{i}"]
            else:
                assert "gick fel" not in replies[f"conv-{i}"]


# --- reading the body --------------------------------------------------------------------


async def _raw_post(url: str, head: bytes, parts: list[bytes], pause: float) -> bytes:
    """Sends one request over a plain socket, `head` and each part in its own write, `pause`
    seconds apart; returns the whole response (the server closes: Connection: close)."""
    parsed = URL(url)
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    try:
        writer.write(head)
        for part in parts:
            await writer.drain()
            await asyncio.sleep(pause)
            writer.write(part)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()


def _request_head(path: str, length: int | None, extra: str = "") -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else (
        "Transfer-Encoding: chunked\r\n")
    return (f"POST {path} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            f"{size}Connection: close\r\n{extra}\r\n").encode()


async def test_a_body_in_several_tcp_segments_is_read_whole(database_url: str) -> None:
    async with running_bot(bot_settings(database_url)) as bot:
        path = URL(bot.bot_url).path
        for i in range(30):
            body = json.dumps(bot.activity("hjälp", conversation_id=f"seg-{i}")).encode()
            half = len(body) // 2
            response = await _raw_post(bot.bot_url, _request_head(path, len(body)) + body[:half],
                                       [body[half:]], pause=0.005)
            assert response.split(b"\r\n", 1)[0] in (b"HTTP/1.1 200 OK", b"HTTP/1.1 201 Created"), (
                i, response[:300])
            assert bot.channel.replies(f"seg-{i}"), i
        assert len(bot.channel.received) == 30


def _chunked(data: bytes, size: int) -> list[bytes]:
    pieces = [data[i:i + size] for i in range(0, len(data), size)]
    return [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces] + [b"0\r\n\r\n"]


async def test_a_chunked_body_without_length_is_read_whole_and_bounded(
    database_url: str,
) -> None:
    async with running_bot(bot_settings(database_url)) as bot:
        path = URL(bot.bot_url).path
        body = json.dumps(bot.activity("hjälp", conversation_id="chunked")).encode()
        response = await _raw_post(bot.bot_url, _request_head(path, None),
                                   _chunked(body, 100), pause=0.002)
        assert response.startswith((b"HTTP/1.1 200", b"HTTP/1.1 201")), response[:300]
        assert bot.channel.replies("chunked")
        # Past the limit without a Content-Length to refuse early: 413 all the same.
        huge = json.dumps(bot.activity("x" * 300_000, conversation_id="huge")).encode()
        response = await _raw_post(bot.bot_url, _request_head(path, None),
                                   _chunked(huge, 64 * 1024), pause=0.002)
        assert response.startswith(b"HTTP/1.1 413"), response[:300]
        assert not bot.channel.replies("huge")


# --- odd JSON ------------------------------------------------------------------------------


def _nested(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


def _odd_bodies(bot: BotClient) -> dict[str, bytes]:
    def activity(conversation_id: str, **fields: str) -> bytes:
        base = json.dumps(bot.activity("hjälp", conversation_id=conversation_id))
        extra = "".join(f', "{k}": {v}' for k, v in fields.items())
        return (base[:-1] + extra + "}").encode()

    return {
        "array 5000 deep": b"[" * 5000 + b"]" * 5000,
        "object 5000 deep": _nested(5000).encode(),
        "value 5000 deep": activity("odd-1", value=_nested(5000)),
        "value 900 deep": activity("odd-2", value=_nested(900)),
        "value 985 deep": activity("odd-2b", value=_nested(985)),
        "value 995 deep": activity("odd-2c", value=_nested(995)),
        "value 60 deep": activity("odd-3", value=_nested(60)),
        "channelData 900 deep": activity("odd-4", channelData=_nested(900)),
        "a 5000-digit number": activity("odd-5", value="9" * 5000),
        "a 4000-digit number": activity("odd-6", channelData="9" * 4000),
        "1e999": activity("odd-7", channelData="1e999", value='{"ask": 1e999}'),
        "-1e999 as text": activity("odd-8").replace(b'"hj\\u00e4lp"', b"-1e999"),
        "NaN": activity("odd-9", channelData="NaN"),
        "channelData a list": activity("odd-10", channelData='[1, {"tenant": [2]}]'),
        "channelData tenant a list": activity("odd-11", channelData='{"tenant": [1]}'),
        "entities an object": activity("odd-12", entities='{"type": "mention"}'),
        "entities a string": activity("odd-13", entities='"mention"'),
        "entities list of odd": activity("odd-14", entities='[1, "x", null, [], {"type": 5}]'),
        "mention without mentioned": activity(
            "odd-15", entities='[{"type": "mention", "text": "<at>x</at>"}]'),
        "mention mentioned a list": activity(
            "odd-16", entities='[{"type": "mention", "mentioned": [1]}]'),
    }


async def test_deep_or_odd_json_is_a_400_or_a_normal_answer_never_a_500(
    database_url: str,
) -> None:
    async with running_bot(bot_settings(database_url)) as bot:
        for case, body in _odd_bodies(bot).items():
            turn = await bot.post(body)
            assert turn.status in (200, 201, 400), (case, turn.status, str(turn.body)[:300])
            assert "Traceback" not in str(turn.body), case
            replies = [r.activity for r in bot.channel.received]
            assert not any("gick fel" in str(r) or "Traceback" in str(r) for r in replies), (
                case, replies[-1:])
        turn = await bot.post(_nested(5000).encode())
        assert turn.status == 400 and turn.body == {"error": "body is not valid JSON"}
        deep = json.dumps(bot.activity("hjälp", conversation_id="deep"))[:-1]
        turn = await bot.post(f'{deep}, "value": {_nested(100)}}}'.encode())
        assert (turn.status, turn.body) == (400, {"error": "activity nested too deep"})
        turn = await bot.post(f'{deep}, "value": {_nested(40)}}}'.encode())
        assert turn.status in (200, 201)
        assert "Det här kan du fråga" in str(bot.channel.replies("deep"))
        assert (await bot.say("prognos IT")).replies  # still serving
