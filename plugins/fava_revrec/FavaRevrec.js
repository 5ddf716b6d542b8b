// The Revenue page's additions to Fava's bar chart of the waterfall (Fava loads this module: has_js_module).
//
// Fava's stacked bar chart names only the currencies in its legend and fades only the bars after today.
// The page lists the waterfall's groups under the chart (`.revrec-legend`, in the order Fava stacks them) and
// says, per bar, whether its period is scheduled (`data-scheduled`, in the order Fava draws the bars). Here each
// legend entry takes the colour of its bars, and the scheduled bars are hatched and lighter, whenever Fava
// (re)draws the chart. Without JavaScript there is no chart, and the legend and the tables still say it all.

const SVG = "http://www.w3.org/2000/svg";
let patterns = 0;

/** A hatch of `color` in the chart's `<defs>` (created once per chart and colour); its id. */
function hatch(svg, color) {
  let defs = svg.querySelector("defs.revrec");
  if (!defs) {
    defs = document.createElementNS(SVG, "defs");
    defs.setAttribute("class", "revrec");
    svg.prepend(defs);
  }
  const found = [...defs.children].find((pattern) => pattern.dataset.color === color);
  if (found) {
    return found.id;
  }
  patterns += 1;
  const pattern = document.createElementNS(SVG, "pattern");
  pattern.id = `revrec-hatch-${patterns.toString()}`;
  pattern.dataset.color = color;
  pattern.setAttribute("patternUnits", "userSpaceOnUse");
  pattern.setAttribute("width", "6");
  pattern.setAttribute("height", "6");
  pattern.setAttribute("patternTransform", "rotate(45)");
  for (const [width, opacity] of [[6, "0.35"], [2, "1"]]) {
    const stripe = document.createElementNS(SVG, "rect");
    stripe.setAttribute("width", width.toString());
    stripe.setAttribute("height", "6");
    stripe.setAttribute("fill", color);
    stripe.setAttribute("fill-opacity", opacity);
    pattern.append(stripe);
  }
  defs.append(pattern);
  return pattern.id;
}

/** Hatch a bar of a scheduled period; leave the others as Fava draws them. */
function mark(svg, rect, scheduled) {
  const color = rect.getAttribute("fill");
  if (!scheduled || !color || color.startsWith("url(")) {
    return;
  }
  rect.classList.add("revrec-scheduled");
  rect.style.fill = `url(#${hatch(svg, color)})`;
}

/** Colour the legend and hatch the scheduled bars of one chart box, as Fava has drawn it now. */
function decorate(box) {
  const svg = box.querySelector(".chart-wrapper svg");
  const legend = box.querySelector(".revrec-legend");
  if (!svg || !legend) {
    return;
  }
  const scheduled = JSON.parse(box.dataset.scheduled ?? "[]");
  const stacks = [...svg.querySelectorAll("g.stacks > a")];
  const groups = [...legend.querySelectorAll(".revrec-legend-group")];
  // Fava stacks one series per group and currency, in the legend's order; its bars follow the periods
  stacks.forEach((stack, index) => {
    const bars = [...stack.querySelectorAll("rect")];
    bars.forEach((bar, period) => mark(svg, bar, scheduled[period]));
    const swatch = groups[index % Math.max(groups.length, 1)]?.querySelector("i");
    if (swatch && index < groups.length && bars[0]) {
      swatch.style.backgroundColor = bars[0].getAttribute("fill");
    }
  });
  if (!stacks.length) {
    // a single series, or Fava's "single" mode (a bar per currency): the bars are the totals
    [...svg.querySelectorAll("g.group")].forEach((group, period) => {
      for (const bar of group.querySelectorAll(":scope > rect[fill]:not(.budget)")) {
        mark(svg, bar, scheduled[period]);
      }
    });
    const bar = svg.querySelector("g.group > rect[fill]:not(.budget)");
    const swatch = groups[0]?.querySelector("i");
    if (groups.length === 1 && bar && swatch) {
      swatch.style.backgroundColor = bar.getAttribute("fill");
    }
  }
  legend.classList.toggle("revrec-totals", !stacks.length && groups.length > 1);
}

export default {
  onExtensionPageLoad() {
    for (const box of document.querySelectorAll(".revrec-chart[data-scheduled]")) {
      decorate(box);
      new MutationObserver(() => decorate(box)).observe(box, { childList: true, subtree: true });
    }
  },
};
