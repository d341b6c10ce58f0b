// The reference storefront: hash routes #/ (search), #/product/<vendor>/<sku>, #/cart, #/checkout,
// #/orders, #/order/<id>. It calls only the gateway's public API.
import { api, ApiError, query, randomKey } from "./api.js";
import { addToCart, cartByShop, cartLines, clearCart, saveOrder, savedOrders, setQuantity } from "./cart.js";
import { TOWN } from "./config.js";
import { announce, h, uid } from "./dom.js";
import { availability, currentLanguage, km, money, setLanguage, t, translatePage } from "./i18n.js";

const main = document.getElementById("main");
const state = {
  q: "",
  filters: { in_stock: false, open_now: false, fulfilment: "", max_km: "", category: "", sort: "relevance" },
  place: { lat: TOWN.lat, lon: TOWN.lon, mine: false },
  page: 1,
};

function render(...nodes) {
  main.replaceChildren(...nodes.flat(2).filter((node) => node !== null && node !== undefined && node !== false));
}

function failure(error) {
  return h("p", { class: "error", role: "alert" }, t("error", { message: error.message }));
}

function availabilityBadge(available) {
  const { text, level } = availability(available);
  return h("span", { class: `badge avail-${level}` }, text);
}

// --- search --------------------------------------------------------------------------------------------

function labelled(label, control) {
  const id = control.id || uid("field");
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

function select(name, options, value) {
  const element = h("select", { name });
  for (const [optionValue, label] of options) {
    const option = h("option", { value: optionValue }, label);
    if (String(optionValue) === String(value)) option.selected = true;
    element.append(option);
  }
  return element;
}

function checkbox(name, label, checked) {
  const id = uid(name);
  return h("div", { class: "check" }, h("input", { type: "checkbox", id, name, checked }), h("label", { for: id }, label));
}

async function suggest(input, list) {
  const prefix = input.value.trim();
  if (prefix.length < 2) return;
  try {
    const { suggestions } = await api(`/v1/suggest?${query({ prefix, limit: 8 })}`);
    if (input.value.trim() !== prefix) return;
    list.replaceChildren(...suggestions.map((s) => h("option", { value: s })));
  } catch {
    /* suggestions are a convenience: typing on works without them */
  }
}

function searchForm(categories) {
  const list = h("datalist", { id: "suggestions" });
  let timer;
  const input = h("input", {
    type: "search", id: "q", name: "q", value: state.q, list: "suggestions", autocomplete: "off",
    placeholder: t("search.placeholder"),
    oninput: () => {
      clearTimeout(timer);
      timer = setTimeout(() => suggest(input, list), 150);
    },
  });
  const f = state.filters;
  const form = h(
    "form",
    { role: "search", class: "search", onsubmit: (event) => onSearch(event, form) },
    h("h1", {}, t("search.title", { town: TOWN.name })),
    h("div", { class: "searchbox" }, h("label", { for: "q" }, t("search.label")), input, list,
      h("button", { type: "submit", class: "primary" }, t("search.submit"))),
    h(
      "fieldset",
      { class: "filters" },
      h("legend", {}, t("filters")),
      checkbox("in_stock", t("filter.in_stock"), f.in_stock),
      checkbox("open_now", t("filter.open_now"), f.open_now),
      labelled(t("filter.fulfilment"), select("fulfilment", [["", t("filter.any")], ["pickup", t("filter.pickup")], ["delivery", t("filter.delivery")]], f.fulfilment)),
      labelled(t("filter.max_km"), select("max_km", [["", t("filter.any")], ...[1, 2, 5, 10, 25].map((n) => [n, km(n)])], f.max_km)),
      labelled(t("filter.category"), select("category", [["", t("filter.all")], ...categories.map((c) => [c, c])], f.category)),
      labelled(t("filter.sort"), select("sort", ["relevance", "distance", "price_asc", "price_desc"].map((s) => [s, t(`sort.${s}`)]), f.sort)),
    ),
    locationPicker(),
  );
  return form;
}

function locationPicker() {
  const label = state.place.mine ? t("location.mine") : t("location.centre", { town: TOWN.name });
  const button = h("button", {
    type: "button", class: "link", id: "location-button",
    onclick: () => (state.place.mine ? useCentre() : useMyLocation()),
  }, state.place.mine ? t("location.use_centre") : t("location.use_mine"));
  return h("p", { class: "location" }, h("span", {}, `${t("location")}: `), h("strong", { id: "location-label" }, label), " ", button);
}

function useCentre() {
  state.place = { lat: TOWN.lat, lon: TOWN.lon, mine: false };
  showSearch();
}

function useMyLocation() {
  if (!navigator.geolocation) return announce(t("location.denied"));
  navigator.geolocation.getCurrentPosition(
    (position) => {
      state.place = { lat: position.coords.latitude, lon: position.coords.longitude, mine: true };
      showSearch();
    },
    () => announce(t("location.denied")),
    { timeout: 10000, maximumAge: 300000 },
  );
}

function onSearch(event, form) {
  event.preventDefault();
  const data = new FormData(form);
  state.q = String(data.get("q") || "").trim();
  state.filters = {
    in_stock: data.get("in_stock") === "on",
    open_now: data.get("open_now") === "on",
    fulfilment: data.get("fulfilment") || "",
    max_km: data.get("max_km") || "",
    category: data.get("category") || "",
    sort: data.get("sort") || "relevance",
  };
  state.page = 1;
  if (location.hash !== "#/") location.hash = "#/";
  showSearch();
}

let lastFacets = { category: [] };

async function showSearch() {
  const results = h("section", { id: "results", "aria-labelledby": "results-heading" });
  const categories = (lastFacets.category || []).map((c) => c.value);
  if (state.filters.category && !categories.includes(state.filters.category)) categories.push(state.filters.category);
  render(searchForm(categories), results);
  if (!state.q) return;
  results.append(h("p", {}, t("loading")));
  const f = state.filters;
  const params = {
    q: state.q, lat: state.place.lat, lon: state.place.lon, in_stock: f.in_stock, open_now: f.open_now,
    fulfilment: f.fulfilment, max_km: f.max_km, category: f.category, sort: f.sort, page: state.page, per_page: 20,
  };
  try {
    const result = await api(`/v1/search?${query(params)}`);
    if (!f.category) lastFacets = result.facets || lastFacets;
    results.replaceChildren(...searchResults(result));
    announce(t("results.count", { n: result.total }));
  } catch (error) {
    results.replaceChildren(failure(error));
  }
}

function searchResults(result) {
  const heading = h("h2", { id: "results-heading" }, t("results.count", { n: result.total }));
  if (!result.hits.length) return [heading, h("p", { class: "empty" }, t("results.none"))];
  const list = h("ul", { class: "hits" }, result.hits.map(hitCard));
  const nodes = [heading, facetSummary(result.facets || {}), list];
  if (result.total > result.page * result.per_page) {
    nodes.push(h("button", { type: "button", onclick: () => { state.page += 1; showSearch(); } }, t("results.more")));
  }
  return nodes;
}

function facetSummary(facets) {
  const groups = [];
  if (facets.category && facets.category.length) {
    groups.push(h("div", {}, h("h3", {}, t("facet.category")), h("ul", { class: "chips" },
      facets.category.map((c) => h("li", {}, h("button", {
        type: "button", class: "chip", "aria-pressed": String(state.filters.category === c.value),
        onclick: () => { state.filters.category = state.filters.category === c.value ? "" : c.value; state.page = 1; showSearch(); },
      }, `${c.value} (${c.count})`))))));
  }
  if (facets.vendor && facets.vendor.length) {
    groups.push(h("div", {}, h("h3", {}, t("facet.vendor")), h("ul", { class: "chips" },
      facets.vendor.slice(0, 8).map((v) => h("li", { class: "chip static" }, `${v.name || v.value} (${v.count})`)))));
  }
  if (facets.in_stock) {
    groups.push(h("p", { class: "muted" }, `${t("facet.in_stock")}: ${facets.in_stock.true ?? 0}`));
  }
  return h("section", { class: "facets", "aria-label": t("facets") }, groups);
}

function hitCard(hit) {
  const href = `#/product/${encodeURIComponent(hit.vendor_id)}/${encodeURIComponent(hit.sku)}`;
  return h(
    "li",
    { class: "hit" },
    h("h3", {}, h("a", { href }, hit.title)),
    h("p", { class: "shop" }, t("at_shop", { shop: hit.vendor_name || hit.vendor_id }),
      hit.distance_km != null ? h("span", { class: "distance" }, ` · ${km(hit.distance_km)}`) : null,
      hit.open_now != null ? h("span", { class: "muted" }, ` · ${hit.open_now ? t("open") : t("closed")}`) : null),
    h("p", { class: "buy" }, h("span", { class: "price" }, money(hit.price)), " ", availabilityBadge(hit.available),
      addButton(hit)),
  );
}

function addButton(item) {
  const soldOut = !(Number(item.available) > 0);
  return h("button", {
    type: "button", class: "add", disabled: soldOut, "aria-label": `${t("add")}: ${item.title}, ${item.vendor_name || item.vendor_id}`,
    onclick: () => { addToCart(item); announce(t("added", { title: item.title })); },
  }, t("add"));
}

// --- product -------------------------------------------------------------------------------------------

async function showProduct(vendorId, sku) {
  render(h("p", {}, t("loading")));
  try {
    const product = await api(`/v1/products/${encodeURIComponent(vendorId)}/${encodeURIComponent(sku)}`);
    const rows = product.offers.map((offer) => {
      const item = { ...offer, title: product.title };
      return h("tr", {}, h("th", { scope: "row" }, offer.vendor_name || offer.vendor_id), h("td", {}, money(offer.price)),
        h("td", {}, availabilityBadge(offer.available)), h("td", {}, addButton(item)));
    });
    render(
      h("p", {}, h("a", { href: "#/" }, t("product.back"))),
      h("article", { class: "product" },
        h("h1", {}, product.title),
        h("p", { class: "muted" }, [product.brand, product.category].filter(Boolean).join(" · ")),
        product.description ? h("p", {}, product.description) : null,
        h("h2", {}, t("product.offers")),
        h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("product.shop")), h("th", { scope: "col" }, t("product.price")),
            h("th", { scope: "col" }, t("product.availability")), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("add"))))),
          h("tbody", {}, rows)))),
    );
    main.querySelector("h1").focus?.();
  } catch (error) {
    render(failure(error));
  }
}

// --- cart and checkout ---------------------------------------------------------------------------------

function cartTotal(lines) {
  return lines.reduce((sum, l) => sum + Number(l.price || 0) * l.quantity, 0);
}

function showCart() {
  const shops = cartByShop();
  if (!shops.length) return render(h("h1", {}, t("cart.title")), h("p", {}, t("cart.empty")));
  render(
    h("h1", {}, t("cart.title")),
    shops.map((shop) => h("section", { class: "shop-block" }, h("h2", {}, shop.vendor_name || shop.vendor_id),
      h("ul", { class: "cart-lines" }, shop.lines.map((line) => {
        const id = uid("qty");
        return h("li", {}, h("span", { class: "title" }, line.title), " ", h("span", { class: "price" }, money(line.price)),
          h("label", { for: id, class: "visually-hidden" }, t("cart.quantity", { title: line.title })),
          h("input", { id, type: "number", min: 0, max: 999, value: line.quantity, inputmode: "numeric",
            onchange: (e) => { setQuantity(line.vendor_id, line.sku, Math.max(0, Math.min(999, Number(e.target.value) || 0))); showCart(); } }),
          h("button", { type: "button", class: "link", onclick: () => { setQuantity(line.vendor_id, line.sku, 0); showCart(); } },
            t("cart.remove", { title: "" }).trim() || "×", h("span", { class: "visually-hidden" }, ` ${line.title}`)));
      })))),
    h("p", { class: "total" }, `${t("cart.total")}: ${money(cartTotal(cartLines()))}`),
    h("p", {}, h("a", { class: "button primary", href: "#/checkout" }, t("cart.checkout"))),
  );
}

async function showCheckout() {
  const shops = cartByShop();
  if (!shops.length) return showCart();
  render(h("p", {}, t("loading")));
  const vendors = await Promise.all(shops.map((s) => api(`/v1/vendors/${encodeURIComponent(s.vendor_id)}`).catch(() => null)));
  const you = h("fieldset", {}, h("legend", {}, t("checkout.you")),
    labelled(t("checkout.name"), h("input", { name: "name", id: "name", required: true, autocomplete: "name", maxlength: 200 })),
    labelled(t("checkout.email"), h("input", { name: "email", id: "email", type: "email", required: true, autocomplete: "email" })),
    labelled(t("checkout.phone"), h("input", { name: "phone", id: "phone", type: "tel", autocomplete: "tel", maxlength: 50 })));
  const perShop = shops.map((shop, index) => {
    const vendor = vendors[index] || {};
    const methods = (vendor.fulfilment && vendor.fulfilment.length ? vendor.fulfilment : ["pickup"]).slice().sort().reverse();
    const name = vendor.name || shop.vendor_name || shop.vendor_id;
    const address = h("div", { class: "address", hidden: methods[0] !== "delivery" },
      labelled(t("checkout.street"), h("input", { name: `street-${shop.vendor_id}`, autocomplete: "street-address" })),
      labelled(t("checkout.postcode"), h("input", { name: `postcode-${shop.vendor_id}`, autocomplete: "postal-code" })),
      labelled(t("checkout.city"), h("input", { name: `city-${shop.vendor_id}`, autocomplete: "address-level2" })));
    const radios = methods.map((method, i) => {
      const id = uid("method");
      return h("div", { class: "check" }, h("input", {
        type: "radio", id, name: `method-${shop.vendor_id}`, value: method, checked: i === 0,
        onchange: () => { address.hidden = method !== "delivery"; },
      }), h("label", { for: id }, t(`filter.${method}`)));
    });
    return h("fieldset", { class: "shop-block", "data-vendor": shop.vendor_id }, h("legend", {}, t("checkout.how", { shop: name })),
      h("ul", {}, shop.lines.map((l) => h("li", {}, `${l.quantity} × ${l.title} (${money(l.price)})`))), radios, address);
  });
  const message = h("div", { id: "checkout-message", role: "alert" });
  const idempotencyKey = randomKey();
  const form = h("form", { class: "checkout", onsubmit: (e) => submitCheckout(e, form, shops, message, idempotencyKey) },
    h("h1", {}, t("checkout.title")), you, perShop,
    h("p", { class: "total" }, `${t("cart.total")}: ${money(cartTotal(cartLines()))}`), message,
    h("button", { type: "submit", class: "primary" }, t("checkout.submit")));
  render(form);
}

async function submitCheckout(event, form, shops, message, idempotencyKey) {
  event.preventDefault();
  const data = new FormData(form);
  const fulfilment = {};
  for (const shop of shops) {
    const method = data.get(`method-${shop.vendor_id}`) || "pickup";
    fulfilment[shop.vendor_id] = method === "delivery"
      ? { method, address: { street: data.get(`street-${shop.vendor_id}`), postcode: data.get(`postcode-${shop.vendor_id}`), city: data.get(`city-${shop.vendor_id}`) } }
      : { method };
  }
  const shopper = { name: data.get("name"), email: data.get("email"), language: currentLanguage() };
  if (data.get("phone")) shopper.phone = data.get("phone");
  const body = { shopper, lines: cartLines().map((l) => ({ vendor_id: l.vendor_id, sku: l.sku, quantity: l.quantity })), fulfilment };
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const order = await api("/v1/checkout", { method: "POST", body, headers: { "Idempotency-Key": idempotencyKey } });
    saveOrder(order);
    clearCart();
    location.hash = `#/order/${encodeURIComponent(order.order_id)}`;
  } catch (error) {
    button.disabled = false;
    const shortages = error instanceof ApiError && error.body.details && error.body.details.shortages;
    message.textContent = shortages
      ? t("checkout.shortage", { items: shortages.map((s) => s.sku).join(", ") })
      : t("checkout.failed", { message: error.message });
  }
}

// --- orders --------------------------------------------------------------------------------------------

function showOrders() {
  const orders = savedOrders();
  render(h("h1", {}, t("orders.title")), orders.length
    ? h("ul", {}, orders.map((o) => h("li", {}, h("a", { href: `#/order/${encodeURIComponent(o.order_id)}` }, o.order_id))))
    : h("p", {}, t("orders.none")));
}

async function showOrder(orderId) {
  const saved = savedOrders().find((o) => o.order_id === orderId);
  if (!saved) return render(h("h1", {}, t("order.title")), h("p", {}, t("order.missing")));
  render(h("p", {}, t("loading")));
  try {
    const order = await api(`/v1/orders/${encodeURIComponent(orderId)}`, { headers: { "X-Order-Token": saved.order_token } });
    render(
      h("h1", { tabindex: "-1" }, t("order.title")),
      h("dl", { class: "order-head" }, h("dt", {}, t("order.number")), h("dd", { id: "order-id" }, order.order_id),
        h("dt", {}, t("order.state")), h("dd", {}, t(`state.${order.state}`)),
        h("dt", {}, t("cart.total")), h("dd", {}, money(order.total))),
      h("ul", { class: "vendor-orders" }, order.vendor_orders.map(vendorOrderCard)),
      h("button", { type: "button", onclick: () => showOrder(orderId) }, t("order.refresh")),
    );
    main.querySelector("h1").focus();
  } catch (error) {
    render(failure(error));
  }
}

function vendorOrderCard(vo) {
  const fulfilment = vo.fulfilment || {};
  const address = fulfilment.address ? [fulfilment.address.street, fulfilment.address.postcode, fulfilment.address.city].join(", ") : "";
  return h("li", { class: "shop-block vendor-order", "data-vendor": vo.vendor_id },
    h("h2", {}, vo.vendor_name || vo.vendor_id),
    h("p", {}, `${t("order.state")}: `, h("strong", {}, t(`state.${vo.state}`))),
    fulfilment.method === "delivery"
      ? h("p", {}, t("order.delivery", { address }))
      : vo.pickup_code ? h("p", { class: "pickup" }, `${t("order.pickup_code")}: `, h("strong", { class: "pickup-code" }, vo.pickup_code)) : null,
    h("ul", {}, (vo.lines || []).map((l) => h("li", {}, `${l.quantity} × ${l.title} (${money(l.unit_price)})`))),
    h("p", {}, `${t("cart.total")}: ${money(vo.total)}`));
}

// --- routing -------------------------------------------------------------------------------------------

function route() {
  const [, view = "", ...rest] = location.hash.replace(/^#/, "").split("/").map(decodeURIComponent);
  document.getElementById("cart-count").textContent = cartLines().reduce((n, l) => n + l.quantity, 0);
  if (view === "product" && rest.length === 2) return showProduct(rest[0], rest[1]);
  if (view === "cart") return showCart();
  if (view === "checkout") return showCheckout();
  if (view === "orders") return showOrders();
  if (view === "order" && rest[0]) return showOrder(rest[0]);
  return showSearch();
}

function applyLanguage() {
  const button = document.getElementById("language");
  translatePage();
  button.textContent = t("language");
  button.lang = currentLanguage() === "de" ? "en" : "de";
  document.title = t("brand");
}

setLanguage(currentLanguage());
applyLanguage();
document.getElementById("language").addEventListener("click", () => {
  setLanguage(currentLanguage() === "de" ? "en" : "de");
  applyLanguage();
  route();
});
document.addEventListener("cart-changed", () => {
  document.getElementById("cart-count").textContent = cartLines().reduce((n, l) => n + l.quantity, 0);
});
window.addEventListener("hashchange", () => { route(); main.focus(); });
route();
