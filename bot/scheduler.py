"""Deadline nudges: one pass (what is due now → claim → send → record), and the asyncio task
that runs a pass every minute inside the bot process. `python app.py nudge` runs one pass.

A pass is safe to run at any time and any number of times, also on several instances at once:
every nudge is claimed in the database before it is sent (storage.ledger)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from aiohttp import web
from botbuilder.schema import Activity
from sqlalchemy import Engine

from bot.proactive import GONE, SENT, Outcome, ProactiveSender
from cards import nudges as nudge_cards
from cards.texts import choose_language
from dialogs.answers import card_activity
from storage import (
    conversations,
    due,
    indicator_news,
    ledger,
    organisations,
    preferences,
    queries,
    roles,
    subscriptions,
)
from storage.conversations import ConversationInfo
from storage.db import session
from storage.organisations import OrganisationView
from storage.schedule import DAILY, is_scheduled

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

    def counts(self) -> dict[str, int]:
        """The figures of the summary line, for the command line's words (cli.nudge_pass)."""
        return {"digests": self.digests, "reminders": self.reminders,
                "messages": self.messages, "nothing_due": self.nothing_due,
                "already_done": self.already_done, "gone": len(self.gone),
                "failed": len(self.failed)}

    def __str__(self) -> str:  # the log's line (logs are English)
        return (f"{self.digests} digests, {self.reminders} reminders, {self.messages} messages; "
                f"{self.nothing_due} with nothing due, {self.already_done} already done, "
                f"{len(self.gone)} gone (switched off), {len(self.failed)} failed")


def _activities(text: str, cards: list[dict[str, Any]]) -> list[Activity]:
    return [card_activity(text, card) for card in cards]  # text: the notification's preview


@dataclass(frozen=True)
class _Job:
    org_id: int
    key: str  # SentNudge.conversation_id
    kind: str
    day: date  # the organisation's local date
    assignment_ids: list[int]
    # Cards are built when the job runs, not when the pass is planned: a pass over thousands
    # of conversations would otherwise hold every card in memory at once.
    make: Callable[[], list[Activity]]
    tenant_id: str
    reference: dict[str, Any] | None  # None: a 1:1 chat must be created first
    user_id: str = ""
    create_in: conversations.RefView | None = None  # where to create it (service URL, bot)
    seen: dict[int, indicator_news.Seen] | None = None  # indicators told, once sent


class NudgePass:
    """One pass over every organisation (or one): each at its own wall clock, time zone and
    nudge time. `now` is the moment of the pass (UTC, or naive = each organisation's local
    time, as `app.py nudge --at` gives it); claims are judged by the database's clock."""

    def __init__(self, engine: Engine, sender: ProactiveSender, *,
                 stale_comment_days: int = due.DEFAULT_STALE_COMMENT_DAYS,
                 fixed_today: str = "", concurrency: int = DEFAULT_CONCURRENCY,
                 worker: str | None = None, lease: timedelta = ledger.LEASE) -> None:
        self._engine = engine
        self._sender = sender
        self._stale_days = stale_comment_days
        self._fixed_today = fixed_today
        self._concurrency = concurrency
        self._lease = lease
        self.worker = worker or worker_id()

    def _local(self, org: OrganisationView, now: datetime) -> datetime:
        zone = ZoneInfo(org.timezone)
        local = now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)
        if self._fixed_today:
            fixed = date.fromisoformat(self._fixed_today)
            local = local.replace(year=fixed.year, month=fixed.month, day=fixed.day)
        return local

    async def run(self, now: datetime, organisation: str | None = None) -> PassResult:
        result = PassResult()
        with session(self._engine) as s:
            orgs = [organisations.resolve(s, organisation)] if organisation else \
                organisations.list_organisations(s)
        jobs: list[_Job] = []
        for org in orgs:
            jobs += await asyncio.to_thread(self._plan, org, self._local(org, now), result)
        semaphore = asyncio.Semaphore(self._concurrency)

        async def run_job(job: _Job) -> None:
            async with semaphore:
                await self._run_job(job, result)

        await asyncio.gather(*(run_job(job) for job in jobs))
        log.info("nudge pass %s: %s", now.isoformat(timespec="minutes"), result)
        return result

    # --- planning (synchronous, in a worker thread) ------------------------------------------

    def _plan(self, org: OrganisationView, now: datetime, result: PassResult) -> list[_Job]:
        today = now.date()
        with session(self._engine, org.id) as s:
            jobs = self._digest_jobs(s, org, now, today, result)
            if is_scheduled(DAILY, 0, org.nudge_time, now):
                jobs += self._reminder_jobs(s, org, today, result)
        return jobs

    @staticmethod
    def _lang(org: OrganisationView, reference: dict[str, Any] | None) -> str:
        locale = str((reference or {}).get("locale") or "")
        return choose_language(locale, None, org.language)

    def _digest_jobs(self, s: Any, org: OrganisationView, now: datetime, today: date,
                     result: PassResult) -> list[_Job]:
        done = ledger.handled_today(s, org.id, ledger.DIGEST, today)
        wanted: dict[str, list[subscriptions.DueSubscription]] = {}
        skipped: set[str] = set()
        for d in subscriptions.active_subscriptions(s, org.id):
            sub = d.subscription
            if not is_scheduled(sub.frequency, sub.weekday, sub.time_of_day, now):
                continue
            if d.conversation_id in done:
                skipped.add(d.conversation_id)
                continue
            wanted.setdefault(d.conversation_id, []).append(d)
        result.already_done += len(skipped)
        if not wanted:
            return []
        horizon = max(max(d.subscription.lead_days, d.subscription.long_lead_days)
                      for subs in wanted.values() for d in subs)
        candidates = due.open_items(s, org.id, today, horizon)
        views = (queries.indicators(s, org.id)
                 if any(d.subscription.indicators for subs in wanted.values() for d in subs)
                 else [])
        jobs = []
        for conversation_id, subs in wanted.items():
            chosen: dict[int, due.NudgeItem] = {}
            for d in subs:
                sub = d.subscription
                for item in due.digest_items(candidates, sub.unit_ids, today, sub.lead_days,
                                             sub.long_lead_days):
                    chosen[item.id] = item
            news = self._indicator_news(s, org.id, conversation_id, subs, views)
            if not chosen and not news:
                result.nothing_due += 1
                continue
            reference = json.loads(subs[0].reference)
            lang = self._lang(org, reference)
            items = list(chosen.values())

            def make(lang: str = lang, items: list[due.NudgeItem] = items,
                     news: indicator_news.IndicatorNews | None = news) -> list[Activity]:
                cards = nudge_cards.digest_cards(lang, due.group_by_unit(items), today, news)
                return _activities(nudge_cards.digest_text(lang, items, today, news), cards)

            jobs.append(_Job(org.id, conversation_id, ledger.DIGEST, today, sorted(chosen),
                             make, subs[0].tenant_id, reference,
                             seen=news.state if news is not None else None))
        return jobs

    @staticmethod
    def _indicator_news(s: Any, org: int, conversation_id: str,
                        subs: list[subscriptions.DueSubscription],
                        views: list[queries.IndicatorView]) -> indicator_news.IndicatorNews | None:
        """The news of the indicators this conversation's subscriptions follow (None: none
        of them includes indicators)."""
        wanting = [d.subscription for d in subs if d.subscription.indicators]
        if not wanting:
            return None
        units = None if any(not sub.unit_ids for sub in wanting) else {
            unit for sub in wanting for unit in sub.unit_ids}
        return indicator_news.news(indicator_news.followed(views, units),
                                   indicator_news.last_seen(s, org, conversation_id))

    def _reminder_jobs(self, s: Any, org: OrganisationView, today: date,
                       result: PassResult) -> list[_Job]:
        managers = roles.managers_by_user(s, org.id)
        if not managers:
            return []
        users = sorted(managers)
        prefs = preferences.preferences(s, org.id, users)
        done = ledger.handled_today(s, org.id, ledger.REMINDER, today)
        wanting = [u for u in users
                   if prefs.get(u, preferences.Preference()).wants_reminder(today)
                   and ledger.reminder_key(u) not in done]
        if not wanting:
            return []
        unit_ids = set().union(*(managers[u] for u in wanting))
        candidates = due.open_items(s, org.id, today, None, unit_ids)
        recent = ledger.recently_reminded(s, org.id, wanting, today)
        personal = conversations.personal_for(s, org.id, wanting)
        tenants = list(org.tenants) or conversations.tenants(s, org.id)
        tenant = tenants[0] if tenants else ""
        home = conversations.any_in_tenant(s, org.id, tenant) if tenant else None
        jobs = []
        for user in wanting:
            items = due.reminder_items(candidates, managers[user], today, self._stale_days,
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
            lang = self._lang(org, ref.reference if ref else None)

            def make(lang: str = lang,
                     items: list[due.ReminderItem] = items) -> list[Activity]:
                cards = nudge_cards.reminder_cards(lang, items, today, self._stale_days)
                return _activities(nudge_cards.reminder_text(lang, items), cards)

            jobs.append(_Job(
                org.id, ledger.reminder_key(user), ledger.REMINDER, today,
                sorted(i.item.id for i in items), make,
                ref.tenant_id if ref else tenant, ref.reference if ref else None, user,
                None if ref else home))
        return jobs

    # --- sending ---------------------------------------------------------------------------

    async def _run_job(self, job: _Job, result: PassResult) -> None:
        activities: list[Activity] = []
        claimed = await asyncio.to_thread(ledger.claim, self._engine, job.org_id, job.key,
                                          job.kind, job.day, job.assignment_ids, self.worker,
                                          self._lease)
        if not claimed:
            result.already_done += 1
            return
        renewing = asyncio.create_task(self._renew(job))
        try:
            activities = job.make()
            outcome = await self._send(job, activities)
        except Exception:  # a bug must not leave the claim to lapse silently
            log.exception("sending %s to %s failed", job.kind, job.key)
            outcome = Outcome(detail="error")
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        await asyncio.to_thread(self._record, job, outcome, len(activities))
        result.messages += outcome.delivered
        if outcome.status == SENT:
            if job.kind == ledger.DIGEST:
                result.digests += 1
            else:
                result.reminders += 1
        elif outcome.status == GONE:
            result.gone.append(job.key)
        else:
            result.failed.append(job.key)

    async def _renew(self, job: _Job) -> None:
        """Keep the lease while sending: a slow send (rate limits, retries) is never taken
        over by another pass."""
        interval = max(self._lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            kept = await asyncio.to_thread(ledger.renew, self._engine, job.org_id, job.key,
                                           job.kind, job.day, self.worker, self._lease)
            if not kept:
                log.error("%s to %s: the claim was lost while sending", job.kind, job.key)
                return

    async def _send(self, job: _Job, activities: list[Activity]) -> Outcome:
        if job.reference is not None:
            return await self._sender.send(job.reference, activities, job.tenant_id)
        home = job.create_in
        assert home is not None
        return await self._sender.create_personal(
            home.service_url, job.tenant_id, home.reference.get("bot") or {}, job.user_id,
            activities, home.reference.get("channelId") or "msteams")

    def _record(self, job: _Job, outcome: Outcome, parts: int) -> None:
        org, day = job.org_id, job.day
        if outcome.reference is not None and outcome.conversation_id:
            with session(self._engine, org) as s, s.begin():
                conversations.record(s, ConversationInfo(
                    org, outcome.conversation_id, conversations.PERSONAL,
                    outcome.reference.get("channelId") or "msteams",
                    outcome.reference.get("serviceUrl") or "", job.tenant_id, job.user_id,
                    outcome.reference))
        if outcome.status == SENT or outcome.delivered:
            if outcome.status != SENT:
                log.error("%s to %s: only %d of %d messages went out (%s); not resent, to "
                          "avoid duplicates", job.kind, job.key, outcome.delivered,
                          parts, outcome.detail)
            if job.seen is not None:
                with session(self._engine, org) as s, s.begin():
                    indicator_news.record_seen(s, org, job.key, job.seen)
            ledger.finish(self._engine, org, job.key, job.kind, day, self.worker, ledger.SENT)
        elif outcome.status == GONE:
            reason = f"{outcome.detail} on {day.isoformat()}"
            with session(self._engine, org) as s, s.begin():
                if job.kind == ledger.DIGEST:
                    ended = subscriptions.disable_conversation(s, org, job.key, reason)
                    log.warning("conversation %s answered %s: %d subscription(s) switched off",
                                job.key, outcome.detail, ended)
                elif outcome.conversation_id:
                    conversations.deactivate(s, org, outcome.conversation_id)
                    log.warning("1:1 chat of %s answered %s: reminders paused until they "
                                "write to the bot again", job.user_id, outcome.detail)
            ledger.finish(self._engine, org, job.key, job.kind, day, self.worker,
                          ledger.FAILED)
        else:
            log.error("%s to %s failed (%s); the next pass retries", job.kind, job.key,
                      outcome.detail)
            ledger.release(self._engine, org, job.key, job.kind, day, self.worker)


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
