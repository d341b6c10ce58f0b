// The operator dashboard: composes the gateway's operator API (and the vendor endpoints, which the operator
// key may read) into figures for the region. The key stays in sessionStorage, for this tab only.
import { api, query } from "/storefront/api.js";
import { h } from "/storefront/dom.js";
import { barChart } from "./charts.js";

const SERVICES = ["catalog", "search", "orders", "notifications"];
const STATES = ["placed", "accepted", "ready", "collected", "delivered", "cancelled", "expired"];
const STALE_HOURS = 24;
const board = document.getElementById("board");
const login = document.getElementById("login");
let key = sessionStorage.getItem("mp.operator-key") || "";

const authorised = (path) => api(path, { headers: { Authorization: `Bearer ${key}` } });

async function allPages(path, field) {
  const items = [];
  let cursor;
  do {
    const page = await authorised(`${path}${path.includes("?") ? "&" : "?"}${query({ limit: 100, cursor })}`);
    items.push(...page[field]);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** Run fn over items, at most `width` at a time: 25 shops must not become 75 parallel requests. */
async function eachLimited(items, width, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]).catch((error) => ({ error }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

const iso = (date) => date.toISOString().replace("Z", "+00:00");
const dateTime = (value) => (value ? new Date(value).toLocaleString("de-DE", { dateStyle: "short", timeStyle: "short" }) : "–");
const dayLabel = (date) => date.toLocaleDateString("de-DE", { weekday: "short", day: "2-digit", month: "2-digit" });

async function searchesPerDay(days = 7) {
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  const ranges = Array.from({ length: days }, (_, i) => {
    const since = new Date(today.getTime() - (days - 1 - i) * 86400000);
    return { since, until: new Date(since.getTime() + 86400000) };
  });
  return eachLimited(ranges, 4, async ({ since, until }) => {
    const report = await authorised(`/v1/operator/search-analytics?${query({ since: iso(since), until: iso(until), limit: 1 })}`);
    return { label: dayLabel(since), value: report.count || 0 };
  });
}

async function load() {
  board.replaceChildren(h("p", {}, "Wird geladen …"));
  const vendors = await allPages("/v1/vendors", "vendors");
  const [freshness, products, orders, analytics, perDay, deadLetters] = await Promise.all([
    authorised("/v1/operator/stock-freshness").catch(() => null),
    eachLimited(vendors, 6, (v) => allPages(`/v1/vendors/${encodeURIComponent(v.vendor_id)}/products`, "products")),
    eachLimited(vendors, 6, (v) => allPages(`/v1/vendors/${encodeURIComponent(v.vendor_id)}/orders`, "orders")),
    authorised(`/v1/operator/search-analytics?${query({ limit: 10 })}`),
    searchesPerDay(),
    eachLimited(SERVICES, 4, (service) => authorised(`/v1/operator/dead-letters?${query({ service, limit: 100 })}`)),
  ]);
  const lastUpdate = new Map(((freshness && freshness.vendors) || []).map((f) => [f.vendor_id, f.last_pos_update]));
  const shops = vendors.map((vendor, i) => {
    const list = Array.isArray(products[i]) ? products[i] : [];
    const vendorOrders = Array.isArray(orders[i]) ? orders[i] : [];
    const byState = Object.fromEntries(STATES.map((s) => [s, vendorOrders.filter((o) => o.state === s).length]));
    return {
      vendor,
      online: list.filter((p) => p.published !== false).length,
      inStock: list.filter((p) => p.published !== false && (p.available || 0) > 0).length,
      lastUpdate: lastUpdate.get(vendor.vendor_id) || null,
      orders: vendorOrders,
      byState,
    };
  });
  render(shops, analytics, perDay, deadLetters, freshness !== null);
  loadServices();
}

function card(label, value, id) {
  return h("li", { class: "card" }, h("span", { class: "figure", id }, String(value)), label);
}

function table(caption, headers, rows) {
  return h("div", { class: "table-wrap" }, h("table", {}, h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c))))))));
}

function freshnessCell(value, known) {
  if (!known) return "–";
  if (!value) return h("span", { class: "stale" }, "nie");
  const hours = (Date.now() - new Date(value).getTime()) / 3600000;
  return h("span", { class: hours > STALE_HOURS ? "stale" : "ok" }, dateTime(value));
}

function render(shops, analytics, perDay, deadLetters, freshnessKnown) {
  const allOrders = shops.flatMap((s) => s.orders.map((o) => ({ ...o, vendor_name: s.vendor.name })));
  const totalByState = STATES.map((state) => ({ label: state, value: shops.reduce((n, s) => n + s.byState[state], 0) }));
  const letters = deadLetters.flatMap((d, i) => (d && d.dead_letters ? d.dead_letters.map((l) => ({ ...l, service: SERVICES[i] })) : []));
  const fresh = shops.filter((s) => s.lastUpdate && Date.now() - new Date(s.lastUpdate).getTime() < STALE_HOURS * 3600000).length;
  const recent = allOrders.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at))).slice(0, 20);
  board.replaceChildren(
    h("div", { class: "toolbar" }, h("h1", {}, "Dashboard der Region"),
      h("button", { type: "button", onclick: () => load() }, "Aktualisieren"),
      h("button", { type: "button", class: "link", onclick: logout }, "Abmelden")),
    h("ul", { class: "cards" },
      card("Geschäfte online", shops.length, "shops-online"),
      card(`mit Bestand aktualisiert in ${STALE_HOURS} h`, freshnessKnown ? fresh : "–", "shops-fresh"),
      card("Produkte online", shops.reduce((n, s) => n + s.online, 0), "products-online"),
      card("Suchen (7 Tage)", analytics.count ?? 0, "searches"),
      card("Bestellungen", allOrders.length, "orders-total"),
      card("Dead Letters", letters.length, "dead-letters")),
    h("section", { class: "panel", id: "services-panel" }, h("h2", {}, "Dienste"), h("p", { id: "services" }, "Wird geprüft …")),
    h("section", { class: "panel" }, h("h2", {}, "Suchen pro Tag"), barChart("Suchen pro Tag", perDay)),
    h("div", { class: "two" },
      h("section", { class: "panel", id: "top-queries" }, h("h2", {}, "Häufigste Suchen"),
        barChart("Häufigste Suchen", analytics.top_queries.map((q) => ({ label: q.q, value: q.count }))),
        table("Häufigste Suchen", ["Suche", "Anzahl"], analytics.top_queries.map((q) => [q.q, q.count]))),
      h("section", { class: "panel", id: "zero-queries" }, h("h2", {}, "Suchen ohne Treffer"),
        h("p", { class: "muted" }, "Was Menschen suchen, das die Stadt nicht anbietet."),
        barChart("Suchen ohne Treffer", analytics.top_zero_result_queries.map((q) => ({ label: q.q, value: q.count })), { warn: true }),
        table("Suchen ohne Treffer", ["Suche", "Anzahl"], analytics.top_zero_result_queries.map((q) => [q.q, q.count])))),
    h("div", { class: "two" },
      h("section", { class: "panel" }, h("h2", {}, "Bestellungen nach Status"), barChart("Bestellungen nach Status", totalByState)),
      h("section", { class: "panel" }, h("h2", {}, "Bestellungen nach Geschäft"),
        barChart("Bestellungen nach Geschäft", shops.filter((s) => s.orders.length).map((s) => ({ label: s.vendor.name, value: s.orders.length }))))),
    h("section", { class: "panel", id: "recent-orders" }, h("h2", {}, "Neueste Bestellungen"),
      table("Neueste Bestellungen", ["Bestellung", "Geschäft", "Status", "Erhalt", "Summe", "Eingang"],
        recent.map((o) => [o.order_id, o.vendor_name, o.state, o.fulfilment ? o.fulfilment.method : "–", o.total, dateTime(o.created_at)]))),
    h("section", { class: "panel", id: "shops" }, h("h2", {}, "Geschäfte"),
      table("Geschäfte", ["Geschäft", "Letzte Kassen-Meldung", "Produkte online", "vorrätig", "geöffnet", ...STATES],
        shops.map((s) => [s.vendor.name, freshnessCell(s.lastUpdate, freshnessKnown), s.online, s.inStock, s.vendor.open_now ? "ja" : "nein",
          ...STATES.map((state) => s.byState[state])]))),
    h("section", { class: "panel", id: "dead-letter-list" }, h("h2", {}, "Dead Letters"),
      letters.length
        ? table("Dead Letters", ["Dienst", "Handler", "Fehler", "Versuche", "Zeit"], letters.map((l) => [l.service, l.handler, l.error, l.attempts, dateTime(l.dead_lettered_at)]))
        : h("p", {}, "Keine – alle Nachrichten wurden verarbeitet.")),
  );
}

async function loadServices() {
  const target = document.getElementById("services");
  try {
    const stats = await authorised("/v1/operator/stats");
    target.textContent = Object.entries(stats.services).map(([name, status]) => `${name}: ${status}`).join(" · ");
  } catch (error) {
    target.textContent = `nicht abrufbar (${error.message})`;
  }
}

function logout() {
  sessionStorage.removeItem("mp.operator-key");
  key = "";
  board.hidden = true;
  login.hidden = false;
}

async function start() {
  login.hidden = true;
  board.hidden = false;
  try {
    await load();
  } catch (error) {
    board.hidden = true;
    login.hidden = false;
    document.getElementById("login-error").textContent =
      error.status === 401 || error.status === 403 ? "Dieser Schlüssel ist nicht gültig." : `Fehler: ${error.message}`;
  }
}

login.addEventListener("submit", (event) => {
  event.preventDefault();
  key = document.getElementById("operator-key").value.trim();
  sessionStorage.setItem("mp.operator-key", key);
  start();
});
if (key) start();
