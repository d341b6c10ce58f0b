// The cart lives in localStorage: lines {vendor_id, vendor_name, sku, title, price, quantity}, across shops.
const KEY = "mp.cart";
const ORDERS = "mp.orders";

export function cartLines() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || [];
  } catch {
    return [];
  }
}

function save(lines) {
  localStorage.setItem(KEY, JSON.stringify(lines));
  document.dispatchEvent(new CustomEvent("cart-changed"));
}

export function addToCart(item, quantity = 1) {
  const lines = cartLines();
  const line = lines.find((l) => l.vendor_id === item.vendor_id && l.sku === item.sku);
  if (line) line.quantity = Math.min(999, line.quantity + quantity);
  else lines.push({ vendor_id: item.vendor_id, vendor_name: item.vendor_name, sku: item.sku, title: item.title, price: item.price, quantity });
  save(lines);
}

export function setQuantity(vendorId, sku, quantity) {
  const lines = cartLines()
    .map((l) => (l.vendor_id === vendorId && l.sku === sku ? { ...l, quantity } : l))
    .filter((l) => l.quantity > 0);
  save(lines);
}

export function clearCart() {
  save([]);
}

export function cartByShop() {
  const shops = new Map();
  for (const line of cartLines()) {
    if (!shops.has(line.vendor_id)) shops.set(line.vendor_id, { vendor_id: line.vendor_id, vendor_name: line.vendor_name, lines: [] });
    shops.get(line.vendor_id).lines.push(line);
  }
  return [...shops.values()];
}

/** Orders placed on this device: {order_id, order_token, created_at}, newest first. */
export function savedOrders() {
  try {
    return JSON.parse(localStorage.getItem(ORDERS)) || [];
  } catch {
    return [];
  }
}

export function saveOrder(order) {
  const orders = savedOrders().filter((o) => o.order_id !== order.order_id);
  orders.unshift({ order_id: order.order_id, order_token: order.order_token, created_at: order.created_at });
  localStorage.setItem(ORDERS, JSON.stringify(orders.slice(0, 50)));
}
