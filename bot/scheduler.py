"""Deadline nudges: one pass (what is due now → claim → send → record), and the asyncio task
that runs a pass every minute inside the bot process. `python app.py nudge` runs one pass.

A pass is safe to run at any time and any number of times, also on several instances at once:
every nudge is claimed in the database before it is sent (storage.nudges.claim)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from aiohttp import web
from botbuilder.schema import Activity
from sqlalchemy import Engine

from bot.proactive import GONE, SENT, Outcome, ProactiveSender
from bot.replies import card_activity
from cards import nudges as nudge_cards
from storage import conversations, nudges
from storage.conversations import ConversationInfo
from storage.db import session

log = logging.getLogger("laget.nudges")

DEFAULT_INTERVAL_SECONDS = 60.0
DEFAULT_CONCURRENCY = 16


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid4().hex[:6]}"


@dataclass
class PassResult:
    digests: int = 0  # conversations that got a digest
    reminders: int = 0  # users who got a personal reminder
    messages: int = 0  # activities delivered
    nothing_due: int = 0
    already_done: int = 0  # claimed or sent by another pass
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.digests} digests, {self.reminders} reminders, {self.messages} messages; "
                f"{self.nothing_due} with nothing due, {self.already_done} already done, "
                f"{len(self.gone)} gone (switched off), {len(self.failed)} failed")


def _activities(text: str, cards: list[dict[str, Any]]) -> list[Activity]:
    return [card_activity(text, card) for card in cards]  # text: the notification's preview


@dataclass(frozen=True)
class _Job:
    key: str  # SentNudge.conversation_id
    kind: str
    assignment_ids: list[int]
    # Cards are built when the job runs, not when the pass is planned: a pass over thousands
    # of conversations would otherwise hold every card in memory at once.
    make: Callable[[], list[Activity]]
    tenant_id: str
    reference: dict[str, Any] | None  # None: a 1:1 chat must be created first
    user_id: str = ""
    create_in: conversations.RefView | None = None  # where to create it (service URL, bot)


class NudgePass:
    def __init__(self, engine: Engine, sender: ProactiveSender, *,
                 stale_comment_days: int = nudges.DEFAULT_STALE_COMMENT_DAYS,
                 reminder_time: str = "08:00", tenant_id: str = "",
                 concurrency: int = DEFAULT_CONCURRENCY, worker: str | None = None) -> None:
        self._engine = engine
        self._sender = sender
        self._stale_days = stale_comment_days
        self._reminder_time = reminder_time
        self._tenant_id = tenant_id
        self._concurrency = concurrency
        self.worker = worker or worker_id()

    async def run(self, now: datetime) -> PassResult:
        result = PassResult()
        jobs = await asyncio.to_thread(self._plan, now, result)
        semaphore = asyncio.Semaphore(self._concurrency)

        async def run_job(job: _Job) -> None:
            async with semaphore:
                await self._run_job(job, now, result)

        await asyncio.gather(*(run_job(job) for job in jobs))
        log.info("nudge pass %s: %s", now.isoformat(timespec="minutes"), result)
        return result

    # --- planning (synchronous, in a worker thread) ------------------------------------------

    def _plan(self, now: datetime, result: PassResult) -> list[_Job]:
        today = now.date()
        with session(self._engine) as s:
            jobs = self._digest_jobs(s, now, today, result)
            if nudges.is_scheduled(nudges.DAILY, 0, self._reminder_time, now):
                jobs += self._reminder_jobs(s, now, today, result)
        return jobs

    def _digest_jobs(self, s: Any, now: datetime, today: date, result: PassResult) -> list[_Job]:
        done = nudges.handled_today(s, nudges.DIGEST, today, now)
        due: dict[str, list[nudges.DueSubscription]] = {}
        skipped: set[str] = set()
        for d in nudges.active_subscriptions(s):
            sub = d.subscription
            if not nudges.is_scheduled(sub.frequency, sub.weekday, sub.time_of_day, now):
                continue
            if d.conversation_id in done:
                skipped.add(d.conversation_id)
                continue
            due.setdefault(d.conversation_id, []).append(d)
        result.already_done += len(skipped)
        if not due:
            return []
        horizon = max(max(d.subscription.lead_days, d.subscription.long_lead_days)
                      for subs in due.values() for d in subs)
        candidates = nudges.open_items(s, today, horizon)
        jobs = []
        for conversation_id, subs in due.items():
            chosen: dict[int, nudges.NudgeItem] = {}
            for d in subs:
                sub = d.subscription
                for item in nudges.digest_items(candidates, sub.unit_ids, today, sub.lead_days,
                                                sub.long_lead_days):
                    chosen[item.id] = item
            if not chosen:
                result.nothing_due += 1
                continue
            reference = json.loads(subs[0].reference)
            lang = "en" if str(reference.get("locale") or "").startswith("en") else "sv"
            items = list(chosen.values())

            def make(lang: str = lang, items: list[nudges.NudgeItem] = items) -> list[Activity]:
                cards = nudge_cards.digest_cards(lang, nudges.group_by_unit(items), today)
                return _activities(nudge_cards.digest_text(lang, items, today), cards)

            jobs.append(_Job(conversation_id, nudges.DIGEST, sorted(chosen), make,
                             subs[0].tenant_id, reference))
        return jobs

    def _reminder_jobs(self, s: Any, now: datetime, today: date,
                       result: PassResult) -> list[_Job]:
        managers = nudges.managers_by_user(s)
        if not managers:
            return []
        users = sorted(managers)
        prefs = nudges.preferences(s, users)
        done = nudges.handled_today(s, nudges.REMINDER, today, now)
        wanting = [u for u in users
                   if prefs.get(u, nudges.Preference()).wants_reminder(today)
                   and nudges.reminder_key(u) not in done]
        if not wanting:
            return []
        unit_ids = set().union(*(managers[u] for u in wanting))
        candidates = nudges.open_items(s, today, None, unit_ids)
        recent = nudges.recently_reminded(s, wanting, today)
        personal = conversations.personal_for(s, wanting)
        tenants = conversations.tenants(s)
        tenant = self._tenant_id or (tenants[0] if len(tenants) == 1 else "")
        home = conversations.any_in_tenant(s, tenant) if tenant else None
        jobs = []
        for user in wanting:
            items = nudges.reminder_items(candidates, managers[user], today, self._stale_days,
                                          recent.get(user, set()))
            if not items:
                result.nothing_due += 1
                continue
            ref = personal.get(user)
            if ref is not None and not ref.active:
                continue  # the user removed the bot; writing to it again re-enables this
            if ref is None and home is None:
                log.warning("no conversation to reach %s from (install the bot first)", user)
                continue
            lang = ref.lang if ref else "sv"

            def make(lang: str = lang,
                     items: list[nudges.ReminderItem] = items) -> list[Activity]:
                cards = nudge_cards.reminder_cards(lang, items, today, self._stale_days)
                return _activities(nudge_cards.reminder_text(lang, items), cards)

            jobs.append(_Job(
                nudges.reminder_key(user), nudges.REMINDER, sorted(i.item.id for i in items),
                make,
                ref.tenant_id if ref else tenant, ref.reference if ref else None, user,
                None if ref else home))
        return jobs

    # --- sending ---------------------------------------------------------------------------

    async def _run_job(self, job: _Job, now: datetime, result: PassResult) -> None:
        activities: list[Activity] = []
        day = now.date()
        claimed = await asyncio.to_thread(nudges.claim, self._engine, job.key, job.kind, day,
                                          job.assignment_ids, self.worker, now)
        if not claimed:
            result.already_done += 1
            return
        try:
            activities = job.make()
            outcome = await self._send(job, activities)
        except Exception:  # a bug must not leave the claim to go stale silently
            log.exception("sending %s to %s failed", job.kind, job.key)
            outcome = Outcome(detail="error")
        await asyncio.to_thread(self._record, job, outcome, now, len(activities))
        result.messages += outcome.delivered
        if outcome.status == SENT:
            if job.kind == nudges.DIGEST:
                result.digests += 1
            else:
                result.reminders += 1
        elif outcome.status == GONE:
            result.gone.append(job.key)
        else:
            result.failed.append(job.key)

    async def _send(self, job: _Job, activities: list[Activity]) -> Outcome:
        if job.reference is not None:
            return await self._sender.send(job.reference, activities, job.tenant_id)
        home = job.create_in
        assert home is not None
        return await self._sender.create_personal(
            home.service_url, job.tenant_id, home.reference.get("bot") or {}, job.user_id,
            activities, home.reference.get("channelId") or "msteams")

    def _record(self, job: _Job, outcome: Outcome, now: datetime, parts: int) -> None:
        day = now.date()
        if outcome.reference is not None and outcome.conversation_id:
            with session(self._engine) as s, s.begin():
                conversations.record(s, ConversationInfo(
                    outcome.conversation_id, conversations.PERSONAL,
                    outcome.reference.get("channelId") or "msteams",
                    outcome.reference.get("serviceUrl") or "", job.tenant_id, job.user_id,
                    outcome.reference))
        if outcome.status == SENT or outcome.delivered:
            if outcome.status != SENT:
                log.error("%s to %s: only %d of %d messages went out (%s); not resent, to "
                          "avoid duplicates", job.kind, job.key, outcome.delivered,
                          parts, outcome.detail)
            nudges.finish(self._engine, job.key, job.kind, day, self.worker, nudges.SENT, now)
        elif outcome.status == GONE:
            reason = f"{outcome.detail} on {day.isoformat()}"
            with session(self._engine) as s, s.begin():
                if job.kind == nudges.DIGEST:
                    ended = nudges.disable_conversation(s, job.key, reason)
                    log.warning("conversation %s answered %s: %d subscription(s) switched off",
                                job.key, outcome.detail, ended)
                elif outcome.conversation_id:
                    conversations.deactivate(s, outcome.conversation_id)
                    log.warning("1:1 chat of %s answered %s: reminders paused until they "
                                "write to the bot again", job.user_id, outcome.detail)
            nudges.finish(self._engine, job.key, job.kind, day, self.worker, nudges.FAILED, now)
        else:
            log.error("%s to %s failed (%s); the next pass retries", job.kind, job.key,
                      outcome.detail)
            nudges.release(self._engine, job.key, job.kind, day, self.worker)


class Scheduler:
    """Runs a pass every `interval` seconds, with an injectable clock; started and stopped
    with the aiohttp app (on_startup / on_cleanup)."""

    def __init__(self, run_pass: Callable[[datetime], Awaitable[PassResult]],
                 clock: Callable[[], datetime],
                 interval: float = DEFAULT_INTERVAL_SECONDS) -> None:
        self._run_pass = run_pass
        self._clock = clock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self.results: list[PassResult] = []

    async def tick(self) -> PassResult:
        result = await self._run_pass(self._clock())
        self.results.append(result)
        del self.results[:-100]
        return result

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be down for a while; try again next time
                log.exception("nudge pass failed")
            await asyncio.sleep(self._interval)

    async def start(self, _app: web.Application | None = None) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="laget-nudges")

    async def stop(self, _app: web.Application | None = None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
