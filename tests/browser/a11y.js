// An accessibility audit run inside the page (no library from another host):
// every visible control has an accessible name, every image a text
// alternative, the document a language and a title, and visible text the
// contrast WCAG 2.1 AA asks for (4.5:1; 3:1 for large text). Disabled
// controls are exempt from contrast, as WCAG says. Returns the violations.
() => {
  const problems = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none" &&
      box.width > 0 && box.height > 0;
  };
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : "";
    const text = (el.textContent || "").trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}> "${text}"`;
  };
  const textOf = (ids) => ids.split(/\s+/)
    .map((id) => document.getElementById(id))
    .filter(Boolean).map((el) => el.textContent.trim()).join(" ").trim();
  const nameOf = (el) => {
    const label = el.getAttribute("aria-label");
    if (label && label.trim()) return label.trim();
    const by = el.getAttribute("aria-labelledby");
    if (by && textOf(by)) return textOf(by);
    if (el.labels && el.labels.length) {
      const text = [...el.labels].map((l) => l.textContent.trim()).join(" ");
      if (text) return text;
    }
    if (["BUTTON", "A", "SUMMARY"].includes(el.tagName) ||
        el.getAttribute("role") === "button") {
      const text = (el.innerText || "").trim();
      if (text) return text;
      const img = el.querySelector("img[alt]");
      if (img && img.alt.trim()) return img.alt.trim();
    }
    return (el.getAttribute("title") || "").trim();
  };

  if (!document.documentElement.lang) problems.push("the document has no lang");
  if (!document.title.trim()) problems.push("the document has no title");

  const controls = "input:not([type=hidden]), select, textarea, button, a[href]," +
    " summary, [role=button], [tabindex]:not([tabindex='-1'])";
  for (const el of document.querySelectorAll(controls)) {
    if (visible(el) && !nameOf(el)) problems.push(`no accessible name: ${describe(el)}`);
  }
  for (const img of document.querySelectorAll("img, svg[role=img]")) {
    if (!visible(img)) continue;
    const alt = img.tagName === "IMG" ? img.getAttribute("alt") : nameOf(img);
    if (alt === null || (img.tagName !== "IMG" && !alt)) {
      problems.push(`no text alternative: ${describe(img)}`);
    }
  }

  const rgba = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a] = m[1].split(/[,\s/]+/).filter(Boolean).map(Number);
    return [r, g, b, a === undefined ? 1 : a];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  };
  const background = (el) => {
    // The first opaque enough background up the tree, blended downwards.
    const layers = [];
    for (let at = el; at; at = at.parentElement) {
      const style = getComputedStyle(at);
      if (style.backgroundImage && style.backgroundImage !== "none") return null;
      const colour = rgba(style.backgroundColor);
      if (colour && colour[3] > 0) {
        layers.push(colour);
        if (colour[3] >= 1) break;
      }
    }
    let result = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const luminance = ([r, g, b]) => {
    const channel = (c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim() || !visible(el)) continue;
    seen.add(el);
    if (el.closest("[disabled], [aria-disabled=true]")) continue;
    const style = getComputedStyle(el);
    const fg = rgba(style.color);
    const bg = background(el);
    if (!fg || !bg) continue;
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const need = large ? 3 : 4.5;
    const got = ratio(over(fg, bg), bg);
    if (got < need) {
      problems.push(`contrast ${got.toFixed(2)} < ${need}: ${describe(el)}` +
        ` (${style.color} on rgb(${bg.slice(0, 3).map(Math.round).join(",")}))`);
    }
  }
  return problems;
}
