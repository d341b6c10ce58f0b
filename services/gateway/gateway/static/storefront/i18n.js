// German first, English available. t("key", {n: 3}) fills {n}.
const TEXTS = {
  de: {
    skip: "Zum Inhalt springen", brand: "Marktplatz", nav: "Hauptmenü", "nav.search": "Suche",
    "nav.cart": "Warenkorb", "nav.orders": "Bestellungen", language: "English",
    "search.title": "Was suchen Sie in {town}?", "search.label": "Suchbegriff", "search.submit": "Suchen",
    "search.placeholder": "z. B. Fahrradschlauch, Brot, Roman",
    "filters": "Filter", "filter.in_stock": "Nur vorrätige Artikel", "filter.open_now": "Jetzt geöffnet",
    "filter.fulfilment": "Erhalt", "filter.any": "egal", "filter.pickup": "Abholung", "filter.delivery": "Lieferung",
    "filter.max_km": "Höchstens entfernt", "filter.category": "Kategorie", "filter.all": "alle",
    "filter.sort": "Sortierung", "sort.relevance": "Relevanz", "sort.distance": "Entfernung",
    "sort.price_asc": "Preis aufsteigend", "sort.price_desc": "Preis absteigend",
    "location": "Standort", "location.centre": "Ortsmitte {town}", "location.mine": "Mein Standort",
    "location.use_mine": "Meinen Standort verwenden", "location.use_centre": "Ortsmitte verwenden",
    "location.denied": "Standort nicht verfügbar – es gilt die Ortsmitte.",
    "results.count": "{n} Treffer", "results.none": "Leider nichts gefunden. Versuchen Sie einen anderen Begriff.",
    "results.more": "Weitere Treffer", "facets": "Treffer nach", "facet.category": "Kategorie", "facet.vendor": "Geschäft",
    "facet.in_stock": "vorrätig", "avail.many": "{n} vorrätig", "avail.few": "nur noch {n}", "avail.none": "ausverkauft",
    "km": "{n} km", "open": "geöffnet", "closed": "geschlossen", "at_shop": "bei {shop}",
    "add": "In den Warenkorb", "added": "{title} liegt im Warenkorb.", "product.offers": "In diesen Geschäften",
    "product.shop": "Geschäft", "product.price": "Preis", "product.availability": "Verfügbarkeit",
    "product.back": "Zurück zur Suche", "cart.title": "Warenkorb", "cart.empty": "Ihr Warenkorb ist leer.",
    "cart.quantity": "Menge von {title}", "cart.remove": "{title} entfernen", "cart.total": "Summe",
    "cart.checkout": "Zur Kasse", "checkout.title": "Kasse", "checkout.you": "Ihre Angaben",
    "checkout.name": "Name", "checkout.email": "E-Mail", "checkout.phone": "Telefon (freiwillig)",
    "checkout.how": "Abholung oder Lieferung bei {shop}", "checkout.street": "Straße und Hausnummer",
    "checkout.postcode": "Postleitzahl", "checkout.city": "Ort", "checkout.submit": "Verbindlich reservieren",
    "checkout.shortage": "Nicht mehr genug vorrätig: {items}", "checkout.failed": "Das hat nicht geklappt: {message}",
    "order.title": "Ihre Bestellung", "order.number": "Bestellnummer", "order.state": "Status",
    "order.pickup_code": "Abholcode", "order.delivery": "Lieferung an {address}", "order.missing": "Diese Bestellung ist auf diesem Gerät nicht gespeichert.",
    "order.refresh": "Aktualisieren", "order.cancel": "Stornieren", "orders.title": "Ihre Bestellungen",
    "orders.none": "Noch keine Bestellungen auf diesem Gerät.",
    "state.placed": "reserviert", "state.accepted": "angenommen", "state.ready": "abholbereit",
    "state.collected": "abgeholt", "state.delivered": "geliefert", "state.cancelled": "storniert",
    "state.expired": "abgelaufen", "state.partially_cancelled": "teilweise storniert",
    "loading": "Wird geladen …", "error": "Fehler: {message}",
  },
  en: {
    skip: "Skip to content", brand: "Marktplatz", nav: "Main menu", "nav.search": "Search",
    "nav.cart": "Cart", "nav.orders": "Orders", language: "Deutsch",
    "search.title": "What are you looking for in {town}?", "search.label": "Search term", "search.submit": "Search",
    "search.placeholder": "e.g. inner tube, bread, novel",
    "filters": "Filters", "filter.in_stock": "In stock only", "filter.open_now": "Open now",
    "filter.fulfilment": "Get it by", "filter.any": "any", "filter.pickup": "Pickup", "filter.delivery": "Delivery",
    "filter.max_km": "At most", "filter.category": "Category", "filter.all": "all",
    "filter.sort": "Sort by", "sort.relevance": "Relevance", "sort.distance": "Distance",
    "sort.price_asc": "Price, low to high", "sort.price_desc": "Price, high to low",
    "location": "Location", "location.centre": "{town} town centre", "location.mine": "My location",
    "location.use_mine": "Use my location", "location.use_centre": "Use the town centre",
    "location.denied": "Location not available – using the town centre.",
    "results.count": "{n} results", "results.none": "Nothing found. Try another word.",
    "results.more": "More results", "facets": "Results by", "facet.category": "Category", "facet.vendor": "Shop",
    "facet.in_stock": "in stock", "avail.many": "{n} in stock", "avail.few": "only {n} left", "avail.none": "sold out",
    "km": "{n} km", "open": "open", "closed": "closed", "at_shop": "at {shop}",
    "add": "Add to cart", "added": "{title} is in your cart.", "product.offers": "In these shops",
    "product.shop": "Shop", "product.price": "Price", "product.availability": "Availability",
    "product.back": "Back to search", "cart.title": "Cart", "cart.empty": "Your cart is empty.",
    "cart.quantity": "Quantity of {title}", "cart.remove": "Remove {title}", "cart.total": "Total",
    "cart.checkout": "Checkout", "checkout.title": "Checkout", "checkout.you": "Your details",
    "checkout.name": "Name", "checkout.email": "Email", "checkout.phone": "Phone (optional)",
    "checkout.how": "Pickup or delivery at {shop}", "checkout.street": "Street and number",
    "checkout.postcode": "Postcode", "checkout.city": "Town", "checkout.submit": "Reserve now",
    "checkout.shortage": "No longer enough in stock: {items}", "checkout.failed": "That did not work: {message}",
    "order.title": "Your order", "order.number": "Order number", "order.state": "Status",
    "order.pickup_code": "Pickup code", "order.delivery": "Delivery to {address}", "order.missing": "This order is not stored on this device.",
    "order.refresh": "Refresh", "order.cancel": "Cancel", "orders.title": "Your orders",
    "orders.none": "No orders on this device yet.",
    "state.placed": "reserved", "state.accepted": "accepted", "state.ready": "ready for pickup",
    "state.collected": "collected", "state.delivered": "delivered", "state.cancelled": "cancelled",
    "state.expired": "expired", "state.partially_cancelled": "partly cancelled",
    "loading": "Loading …", "error": "Error: {message}",
  },
};

let language = localStorage.getItem("mp.language") || "de";

export function currentLanguage() {
  return language;
}

export function setLanguage(value) {
  language = TEXTS[value] ? value : "de";
  localStorage.setItem("mp.language", language);
  document.documentElement.lang = language;
}

export function t(key, values = {}) {
  const text = TEXTS[language][key] ?? TEXTS.de[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function money(value) {
  const number = Number(value);
  if (value === null || value === undefined || Number.isNaN(number)) return "–";
  return new Intl.NumberFormat(language === "de" ? "de-DE" : "en-GB", { style: "currency", currency: "EUR" }).format(number);
}

export function km(value) {
  if (value === null || value === undefined) return "";
  const formatted = new Intl.NumberFormat(language === "de" ? "de-DE" : "en-GB", { maximumFractionDigits: 1 }).format(value);
  return t("km", { n: formatted });
}

export function availability(available) {
  const n = Number(available) || 0;
  if (n <= 0) return { text: t("avail.none"), level: "none" };
  if (n < 3) return { text: t("avail.few", { n }), level: "few" };
  return { text: t("avail.many", { n }), level: "many" };
}

/** Fill the static page's [data-i18n] elements after a language change. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-label]")) element.setAttribute("aria-label", t(element.dataset.i18nLabel));
}
