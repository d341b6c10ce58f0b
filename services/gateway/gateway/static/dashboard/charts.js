// Horizontal bar charts as inline SVG, built with DOM calls (no library). Each chart has a title for screen
// readers; the same figures are in a table next to it.
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** barChart("Suchen pro Tag", [{label: "Mo", value: 3}], {warn: true}) -> <svg> */
export function barChart(title, rows, { warn = false } = {}) {
  const rowHeight = 24;
  const labelWidth = 150;
  const width = 480;
  const height = Math.max(rows.length, 1) * rowHeight + 8;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const svg = el("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(el("title", {}, title));
  rows.forEach((row, index) => {
    const y = index * rowHeight + 4;
    const barWidth = Math.round(((width - labelWidth - 50) * row.value) / max);
    const label = row.label.length > 22 ? `${row.label.slice(0, 21)}…` : row.label;
    svg.append(el("text", { x: 0, y: y + 15 }, label));
    svg.append(el("rect", { class: warn ? "bar warn" : "bar", x: labelWidth, y, width: Math.max(barWidth, 1), height: rowHeight - 8, rx: 2 }));
    svg.append(el("text", { x: labelWidth + barWidth + 6, y: y + 15 }, String(row.value)));
  });
  return svg;
}
