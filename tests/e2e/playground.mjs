// Drives the Microsoft 365 Agents Playground's web UI in headless Debian Chromium and reports
// what the rendered cards show, as JSON on stdout, for tests/test_e2e_playground.py to check.
//
//   node tests/e2e/playground.mjs PLAN.json
//
// Environment: PLAYGROUND_URL (http://127.0.0.1:56150), ARTIFACTS_DIR (screenshots),
// SCREENSHOT_PREFIX (e.g. "lerum-"), CHROMIUM (/usr/bin/chromium), STEP_TIMEOUT_MS (30000).
//
// PLAN.json is a list of steps, each with a "name" and one of:
//   {"say": "text"}                         type a message, wait for the bot's next card
//   {"press": "Update", "item": 0}          press the item-th button with that title on the
//                                           last card, wait for a new or changed card
//   {"fill": {"radios": ["Completed"], "text": "...", "date": "2025-12-31"},
//    "press": "Save"}                       set the last card's inputs, then press
//   {"channel": "General", "post": "text", "mention": "Test Bot"}
//                                           open a Teams channel, start a new post that
//                                           @mentions the bot, wait for its card
//   {"search": "text", "command": "searchAssignments", "parameter": "query", "pick": 0}
//                                           the message extension: in the chat's message
//                                           box + → Search Command, enter the command id
//                                           and parameter name (the Playground doesn't read
//                                           the manifest), type the search, wait for the
//                                           bot's answer; pick the pick-th result if the
//                                           Playground lists any (the step's card is then
//                                           the card inserted in the message box, unsent)
// Each step reports {name, card: {text, facts, buttons, inputs}, invokes, screenshot,
// elapsed_ms}; the greeting card the bot sends on installation is reported as "welcome". A
// search step reports "search" too: the bot's answer (status, result titles, whether the
// previews carry a tap), what the Playground shows (listed titles, its popover's text) and
// its log panel's warnings about message extensions.
// The Playground's log panel repeats message text, so nothing here matches bare text: cards
// are found by class (.fai-OutputCard = a bot message in a chat, .fui-Card = a channel post,
// .ac-adaptiveCard = a rendered card).

import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.PLAYGROUND_URL || "http://127.0.0.1:56150";
const ARTIFACTS = process.env.ARTIFACTS_DIR || "artifacts/e2e";
const STEP_TIMEOUT = Number(process.env.STEP_TIMEOUT_MS || 30000);
const PREFIX = process.env.SCREENSHOT_PREFIX || "";
const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const CARD = ".fai-OutputCard .ac-adaptiveCard, .fui-Card .ac-adaptiveCard";
const MESSAGES = ".fai-OutputCard, .fui-Card";
const INPUT = 'div[contenteditable="true"][role="textbox"]';
const SEND = 'button[aria-label="Send Message"]';
const ME_TRIGGER = 'button[aria-label="Trigger Message Extension App"]';
const ME_TITLE = "Search-Based Message Extension";
const ME_NO_RESULTS = "We didn't find any matches.";
const ME_ERROR = "Unable to reach app. Please try again.";

const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
fs.mkdirSync(ARTIFACTS, { recursive: true });

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** What one rendered card shows. */
async function observe(card) {
  return card.evaluate((root) => {
    const texts = (selector) => [...root.querySelectorAll(selector)].map((e) => e.innerText.trim());
    const titles = texts(".ac-fact-title");
    const values = texts(".ac-fact-value");
    return {
      text: root.innerText,
      // Teams' chart elements: the Playground renders them, or their fallback (a FactSet).
      charts: root.querySelectorAll('[class*="chart" i], svg').length,
      facts: titles.map((title, i) => [title, values[i] ?? ""]),
      buttons: [...root.querySelectorAll("button")].map((b) => b.innerText.trim()).filter(Boolean),
      inputs: {
        radios: [...root.querySelectorAll('input[type="radio"]')].length,
        textareas: root.querySelectorAll("textarea").length,
        dates: root.querySelectorAll('input[aria-label="Select a date..."]').length,
      },
    };
  });
}

/** Run `action`, then wait for the bot's next card: a card element that wasn't there
 * before (a new message; channels list the newest post first), or one whose text changed (a
 * card replaced in place by an Action.Execute's answer). */
async function nextCard(page, action) {
  await page.evaluate((selector) => {
    for (const card of document.querySelectorAll(selector)) {
      card.dataset.e2eText = card.innerText;
    }
  }, CARD);
  await action();
  const handle = await page.waitForFunction(
    (selector) => [...document.querySelectorAll(selector)].find((card) => card.innerText.trim()
      && (card.dataset.e2eText === undefined || card.dataset.e2eText !== card.innerText)) || null,
    CARD,
    { timeout: STEP_TIMEOUT },
  );
  await page.waitForTimeout(300); // let the card finish rendering (images, layout)
  return handle.asElement();
}

/** Wait until no bot message has arrived or changed for `quietMs` (e.g. the greeting on
 * installation, which comes on its own time), so the next step's answer can't be confused
 * with it. */
async function settle(page, quietMs = 800) {
  const deadline = Date.now() + STEP_TIMEOUT;
  const snapshot = () => page.locator(MESSAGES).allInnerTexts().then((t) => t.join("\u0000"));
  let last = await snapshot();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`the chat did not settle within ${STEP_TIMEOUT} ms`);
    await page.waitForTimeout(100);
    const now = await snapshot();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}

/** The message extension's search, as a user does it in the message box (docs/teams-app.md).
 * The whole search goes in at once (fill), so the Playground sends one query invoke (typed
 * key by key, it sends one per key). */
async function search(page, step, screenshot) {
  const box = page.locator(INPUT);
  await page.locator(ME_TRIGGER).click({ timeout: STEP_TIMEOUT });
  await page.getByRole("menuitem", { name: "Search Command", exact: true })
    .click({ timeout: STEP_TIMEOUT });
  const popover = page.locator(".fui-PopoverSurface", { hasText: ME_TITLE });
  const commandId = popover.getByPlaceholder("Command ID", { exact: true });
  if (!(await commandId.isVisible())) {
    await popover.getByText("Specify Command ID or Parameter", { exact: true }).click();
  }
  await commandId.fill(step.command);
  await popover.getByPlaceholder("Parameter name", { exact: true }).fill(step.parameter);
  const answered = page.waitForResponse((response) => {
    if (!response.url().includes("/_conversation/v1/invoke")) return false;
    let sent;
    try {
      sent = JSON.parse(response.request().postData() || "{}");
    } catch {
      return false;
    }
    return sent.name === "composeExtension/query"
      && sent.value?.parameters?.[0]?.value === step.search;
  }, { timeout: STEP_TIMEOUT });
  await popover.getByPlaceholder("Enter a search term", { exact: true }).fill(step.search);
  const response = await answered;
  const body = await response.json().catch(() => ({}));
  const attachments = body?.composeExtension?.attachments || [];
  // The Playground's answer to it: results listed (their titles are h1), none found, or its
  // error line (it shows that for answers it refuses, e.g. previews with a tap).
  await page.waitForFunction(([title, texts]) => {
    const surface = [...document.querySelectorAll(".fui-PopoverSurface")]
      .find((e) => e.innerText.includes(title));
    return surface && (surface.querySelector("h1")
      || texts.some((text) => surface.innerText.includes(text)));
  }, [ME_TITLE, [ME_NO_RESULTS, ME_ERROR]], { timeout: STEP_TIMEOUT });
  await page.waitForTimeout(300); // let a late log line or the list finish rendering
  const listed = await popover.locator("h1").allInnerTexts();
  const found = {
    status: response.status(),
    results: attachments.map((a) => a.preview?.content?.title ?? null),
    taps: attachments.some((a) => a.preview?.content?.tap !== undefined),
    listed,
    shown: await popover.innerText(),
    warnings: (await page.locator("body").innerText())
      .split("\n").map((line) => line.match(/\(!\) Warning: (.*message extension.*)/i)?.[1])
      .filter(Boolean),
  };
  let card = null;
  if (step.pick !== undefined && listed.length > step.pick) {
    // the list, before picking hides it (else the step's own screenshot shows it)
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-results.png") });
    await popover.locator("h1").nth(step.pick).click();
    card = box.locator(".ac-adaptiveCard").first();
    await card.waitFor({ timeout: STEP_TIMEOUT });
    await page.waitForTimeout(300); // let the card finish rendering
  }
  // After the step's screenshot: close the search, empty the message box.
  const cleanup = async () => {
    if (await popover.isVisible()) await popover.getByRole("button", { name: "Close" }).click();
    if (card) {
      await box.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.press("Delete");
    }
  };
  return { card, search: found, cleanup };
}

async function run(page, step) {
  if (step.channel !== undefined) {
    await page.getByText(step.channel, { exact: true }).first().click({ timeout: STEP_TIMEOUT });
    await page.getByRole("button", { name: "Post", exact: true }).waitFor({ timeout: STEP_TIMEOUT });
    await settle(page); // the bot's greeting in the channel, on installation in the team
    return nextCard(page, async () => {
      const box = page.locator(INPUT).first(); // "Start a new post"
      await box.click();
      await box.pressSequentially(`@${step.mention.slice(0, 3)}`);
      await page.locator('#typeahead-menu [role="menuitem"]', { hasText: step.mention })
        .click({ timeout: STEP_TIMEOUT });
      await box.pressSequentially(` ${step.post}`);
      await page.getByRole("button", { name: "Post", exact: true }).click();
    });
  }
  if (step.say !== undefined) {
    return nextCard(page, async () => {
      const box = page.locator(INPUT);
      await box.click();
      await box.fill(step.say);
      await page.locator(SEND).click();
    });
  }
  const card = page.locator(CARD).last();
  const fill = step.fill || {};
  for (const label of fill.radios || []) {
    await card.getByRole("radio", { name: label, exact: true }).check({ timeout: STEP_TIMEOUT });
  }
  if (fill.text !== undefined) await card.locator("textarea").fill(fill.text);
  if (fill.date !== undefined) {
    await card.locator('input[aria-label="Select a date..."]').fill(fill.date);
  }
  const button = card.getByRole("button", { name: step.press, exact: true }).nth(step.item || 0);
  return nextCard(page, () => button.click({ timeout: STEP_TIMEOUT }));
}

const report = { welcome: null, steps: [], transcript: [], error: null };
let browser;
let page;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_FLAGS,
    timeout: STEP_TIMEOUT,
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const invokes = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().includes("/_conversation/v1/invoke")) {
      invokes.push(JSON.parse(request.postData() || "{}"));
    }
  });
  await page.goto(BASE, { timeout: STEP_TIMEOUT });
  // The status line, not the log panel: wait for it as an exact text node.
  await page.getByText("Connected.", { exact: true }).first().waitFor({ timeout: STEP_TIMEOUT });
  // The bot greets on installation with a card; wait for it before asking anything.
  await page.locator(CARD).first().waitFor({ timeout: STEP_TIMEOUT });
  await settle(page);
  report.welcome = await observe(page.locator(CARD).first());
  await page.screenshot({ path: path.join(ARTIFACTS, `${PREFIX}00-welcome.png`) });
  for (const [i, step] of plan.entries()) {
    await settle(page);
    const seenInvokes = invokes.length;
    const started = Date.now();
    const screenshot = path.join(ARTIFACTS,
      `${PREFIX}${String(i + 1).padStart(2, "0")}-${slug(step.name)}.png`);
    const outcome = step.search !== undefined ? await search(page, step, screenshot)
      : { card: await run(page, step) };
    const png = await page.screenshot({ path: screenshot });
    report.steps.push({
      name: step.name,
      card: outcome.card ? await observe(outcome.card) : null,
      ...(outcome.search ? { search: outcome.search } : {}),
      invokes: invokes.slice(seenInvokes),
      screenshot,
      screenshot_bytes: png.length,
      elapsed_ms: Date.now() - started,
    });
    if (outcome.cleanup) await outcome.cleanup();
  }
} catch (error) {
  report.error = `${error.name}: ${error.message}`;
  if (page) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${PREFIX}failure.png`) }).catch(() => {});
  }
} finally {
  if (page) {
    report.transcript = await page.locator(MESSAGES).allInnerTexts().catch(() => []);
  }
  if (browser) await browser.close().catch(() => {});
}
process.stdout.write(JSON.stringify(report) + "\n");
process.exit(report.error ? 1 : 0);
