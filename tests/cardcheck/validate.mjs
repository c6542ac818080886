#!/usr/bin/env node
// Validate Adaptive Cards with Microsoft's own JavaScript renderer (npm "adaptivecards" 3.0.x).
//
// Input  (stdin):  a JSON array of Adaptive Card objects.
// Output (stdout): a JSON array, same length and order, of arrays of error strings
//                  ([] for a card the renderer accepts), each formatted as
//                  "<parse|validate|render>: <ValidationEvent name> [<type>#<id>]: <message>".
//                  With --text, each entry is {"errors": [...], "text": "..."} instead, where
//                  text is the rendered card's visible text, one text node per line (what a
//                  client without Teams' chart elements shows: their fallbacks).
// Exit code: 0 whenever the script ran (even if cards have errors); non-zero only when it
//            could not run (bad input, missing node_modules, crash of the harness itself).
//
// Used by tests/card_validation.py (renderer_errors); run `npm ci` in the repo root first.
// Everything the script itself logs goes to stderr; stdout carries only the JSON result.
//
// Per card, three checks are made and every finding is reported as an error:
//   1. parse:    card.parse(json, new SerializationContext(Versions.v1_5)); every event the
//                serialization context logs (unknown element/action type, invalid enum value,
//                element or property newer than 1.5, ...) is an error.
//   2. validate: card.validateProperties(); every ValidationResults.validationEvents entry
//                (missing/unsupported version, duplicate ids, too many actions for the default
//                host config (5), required inputs without label/errorMessage, hints, ...).
//   3. render:   card.render() in a jsdom window must return an element and must not throw.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

// Keep stdout clean for the JSON result: the library (and jsdom) may log via console.*.
for (const level of ["log", "info", "debug", "warn"]) {
    console[level] = (...args) => process.stderr.write(args.map(String).join(" ") + "\n");
}

function fail(message) {
    process.stderr.write(`cardcheck/validate.mjs: ${message}\n`);
    process.exit(2);
}

let JSDOM;
try {
    ({ JSDOM } = await import("jsdom"));
} catch (err) {
    fail(`cannot load jsdom (${err.message}); run \`npm ci\` in the repository root`);
}

// Globals the renderer needs. jsdom's window properties (HTMLElement, Node, getComputedStyle,
// MutationObserver, CustomEvent, ...) that Node does not already define are copied onto
// globalThis; these four are always replaced so they point at the current window.
const ALWAYS_REPLACE = ["window", "self", "document", "navigator"];
let installedNames = null;

function defineGlobal(name, value) {
    Object.defineProperty(globalThis, name, {
        value,
        configurable: true,
        writable: true,
        enumerable: false,
    });
}

// Create a fresh jsdom window and point the renderer's globals at it. Called once before the
// library is loaded and again for every card, so no DOM state leaks from one card to the next.
function installWindow() {
    const dom = new JSDOM("<!DOCTYPE html><html><head></head><body></body></html>", {
        pretendToBeVisual: true,
    });
    const win = dom.window;
    if (installedNames === null) {
        installedNames = new Set(ALWAYS_REPLACE);
        for (const name of Object.getOwnPropertyNames(win)) {
            if (!(name in globalThis)) {
                installedNames.add(name);
            }
        }
    }
    for (const name of installedNames) {
        let value;
        try {
            value = name === "window" || name === "self" ? win : win[name];
        } catch {
            continue; // e.g. localStorage throws on an opaque (about:blank) origin
        }
        defineGlobal(name, value);
    }
    return dom;
}

// The globals must exist BEFORE the library is loaded. The package's "main"
// (lib/adaptivecards.js) is untranspiled ESM with extension-less imports that Node cannot
// load, so use the self-contained UMD bundle the package ships in dist/.
let bootstrapDom = installWindow();
let AC;
try {
    AC = require("adaptivecards/dist/adaptivecards.js");
} catch (err) {
    fail(`cannot load adaptivecards (${err.message}); run \`npm ci\` in the repository root`);
}
bootstrapDom.window.close();
bootstrapDom = null;

const { AdaptiveCard, SerializationContext, Versions, ValidationEvent } = AC;
const TARGET_VERSION = Versions.v1_5;

// Without a markdown processor the renderer shows TextBlock text verbatim (Teams does its own
// markdown) and logs a one-time console.warn about it; that warning is noise here, not a finding.
AdaptiveCard._haveWarnedAboutNoMarkdownProcessing = true;

// Parse events the renderer raises for things Teams supports but the generic renderer does not
// model. Each entry must be an exact (event name, message) pair, documented here.
//
// Currently empty: a root-level {"msteams": {"width": "Full"}} (which the bot uses) is simply
// ignored by the renderer - unknown properties are not reported by adaptivecards 3.0.x - so
// nothing needs to be filtered. Keep it that way: add an entry only for a specific event that
// is proven harmless in Teams, never a whole event category.
const KNOWN_TEAMS_ONLY_EVENTS = [];

// Teams' chart elements (https://learn.microsoft.com/en-us/microsoftteams/platform/
// task-modules-and-cards/cards/charts-in-adaptive-cards) are not Adaptive Cards 1.5: Teams
// desktop and web draw them; every other host, this renderer and Teams mobile included, logs
// UnknownElementType and renders the element's fallback. That one event is expected for a
// chart type when every chart of that type in the card carries a fallback element; a chart
// without one is an error (it would vanish, or make its parent fall back). The chart elements
// themselves are checked against Microsoft's schema in tests/card_validation.py.
const TEAMS_CHART_TYPES = [
    "Chart.Donut", "Chart.Pie", "Chart.Gauge", "Chart.Line", "Chart.HorizontalBar",
    "Chart.HorizontalBar.Stacked", "Chart.VerticalBar", "Chart.VerticalBar.Grouped",
];

function chartFindings(json) {
    const withFallback = new Set();
    const without = new Set();
    const walk = (node) => {
        if (Array.isArray(node)) {
            node.forEach(walk);
        } else if (node !== null && typeof node === "object") {
            if (TEAMS_CHART_TYPES.includes(node.type)) {
                const fallback = node.fallback;
                const ok = fallback !== null && typeof fallback === "object" && !Array.isArray(fallback);
                (ok ? withFallback : without).add(node.type);
            }
            for (const [key, value] of Object.entries(node)) {
                if (key !== "data") { // an action's payload, or a chart's points
                    walk(value);
                }
            }
        }
    };
    walk(json);
    const allowed = new Set([...withFallback].filter((type) => !without.has(type)));
    const errors = [...without].map(
        (type) => `parse: TeamsChartWithoutFallback [${type}]: a chart element needs a fallback element`);
    return { allowed, errors };
}

function isKnownTeamsOnly(eventName, message, allowedCharts) {
    if (eventName === "UnknownElementType") {
        for (const type of allowedCharts) {
            if (message === `Unknown element type "${type}". Fallback will be used if present.`) {
                return true;
            }
        }
    }
    return KNOWN_TEAMS_ONLY_EVENTS.some((e) => e.event === eventName && e.message === message);
}

// The rendered card's visible text, one text node per line. Without a markdown processor the
// renderer sets TextBlocks' innerText, which jsdom does not implement: it stays a plain
// property of the element, so it is read as such.
function visibleText(root) {
    const lines = [];
    const push = (value) => {
        const line = String(value).replace(/\s+/g, " ").trim();
        if (line) {
            lines.push(line);
        }
    };
    const walk = (node) => {
        if (node.nodeType === 3) {
            push(node.nodeValue);
            return;
        }
        if (node.nodeType === 1 && node.style && node.style.display === "none") {
            return;
        }
        if (Object.prototype.hasOwnProperty.call(node, "innerText")) {
            push(node.innerText);
            return;
        }
        node.childNodes.forEach(walk);
    };
    walk(root);
    return lines.join("\n");
}

function describeSource(source) {
    if (!source || typeof source.getJsonTypeName !== "function") {
        return "";
    }
    let label = source.getJsonTypeName();
    if (source.id) {
        label += `#${source.id}`;
    }
    return ` [${label}]`;
}

function formatEvent(prefix, ev, allowedCharts) {
    const eventName = ValidationEvent[ev.event] ?? String(ev.event);
    if (isKnownTeamsOnly(eventName, ev.message, allowedCharts)) {
        return null;
    }
    return `${prefix}: ${eventName}${describeSource(ev.source)}: ${ev.message}`;
}

function checkCard(json) {
    const errors = [];
    let text = "";
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
        return { errors: [`input: card is not a JSON object (${json === null ? "null" : typeof json})`], text };
    }
    const charts = chartFindings(json);
    errors.push(...charts.errors);
    const dom = installWindow();
    try {
        const card = new AdaptiveCard();
        const context = new SerializationContext(TARGET_VERSION);
        try {
            card.parse(json, context);
        } catch (err) {
            errors.push(`parse: threw ${err && err.stack ? err.stack.split("\n")[0] : err}`);
            return { errors, text };
        }
        for (let i = 0; i < context.eventCount; i++) {
            const line = formatEvent("parse", context.getEventAt(i), charts.allowed);
            if (line !== null) {
                errors.push(line);
            }
        }

        try {
            const results = card.validateProperties();
            for (const ev of results.validationEvents) {
                const line = formatEvent("validate", ev, charts.allowed);
                if (line !== null) {
                    errors.push(line);
                }
            }
        } catch (err) {
            errors.push(`validate: threw ${err && err.stack ? err.stack.split("\n")[0] : err}`);
        }

        try {
            const rendered = card.render();
            if (rendered === undefined || rendered === null) {
                errors.push("render: card.render() returned undefined (nothing rendered)");
            } else {
                text = visibleText(rendered);
            }
        } catch (err) {
            errors.push(`render: threw ${err && err.stack ? err.stack.split("\n")[0] : err}`);
        }
    } finally {
        dom.window.close();
    }
    return { errors, text };
}

let cards;
try {
    cards = JSON.parse(readFileSync(0, "utf8"));
} catch (err) {
    fail(`stdin is not valid JSON (${err.message})`);
}
if (!Array.isArray(cards)) {
    fail("stdin must be a JSON array of Adaptive Card objects");
}

const withText = process.argv.includes("--text");
const results = cards.map((card) => {
    const result = checkCard(card);
    return withText ? result : result.errors;
});
process.stdout.write(JSON.stringify(results) + "\n");
process.exitCode = 0;
