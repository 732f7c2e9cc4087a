// "Export PNG": renders the whole graph (not just what is in view) to an image with
// html-to-image, framing it the way fit view would, and downloads it as <name>.png.
import { toPng } from "html-to-image";
import { getViewportForBounds, type Rect } from "@xyflow/react";

const PADDING = 40;
const MAX_SIDE = 4096;

export function pngFileName(name: string): string {
  const clean = name.trim().replace(/[\\/:*?"<>|]+/g, "-").replace(/\s+/g, " ");
  return `${clean || "workflow"}.png`;
}

/** Paint properties of SVG shapes that come from stylesheets (React Flow's and ours). */
const SVG_PAINT = ["stroke", "stroke-width", "stroke-dasharray", "stroke-opacity", "fill", "fill-opacity", "opacity", "font-size", "font-family"];

/**
 * html-to-image inlines the computed style of HTML elements but not of shapes inside an
 * <svg>, so edges (stroked by CSS) would vanish and label backgrounds turn black. Inline
 * their paint for the capture; returns a function that puts the old inline styles back.
 */
function inlineSvgPaint(root: HTMLElement): () => void {
  const restore: (() => void)[] = [];
  for (const el of root.querySelectorAll<SVGElement>("svg *")) {
    const before = el.getAttribute("style");
    const cs = getComputedStyle(el);
    for (const prop of SVG_PAINT) el.style.setProperty(prop, cs.getPropertyValue(prop));
    restore.push(() => (before === null ? el.removeAttribute("style") : el.setAttribute("style", before)));
  }
  return () => restore.forEach((r) => r());
}

export async function exportPng(container: HTMLElement, bounds: Rect, name: string): Promise<void> {
  const viewport = container.querySelector<HTMLElement>(".react-flow__viewport");
  if (!viewport) throw new Error("Nothing to export.");
  const restore = inlineSvgPaint(viewport);
  const scale = Math.min(1, MAX_SIDE / Math.max(bounds.width + 2 * PADDING, bounds.height + 2 * PADDING));
  const width = Math.max(200, Math.round((bounds.width + 2 * PADDING) * scale));
  const height = Math.max(120, Math.round((bounds.height + 2 * PADDING) * scale));
  const vp = getViewportForBounds(bounds, width, height, 0.05, 2, PADDING / Math.max(width, height));
  let url: string;
  try {
    url = await toPng(viewport, {
      backgroundColor: "#f8fafc",
      width,
      height,
      style: { width: `${width}px`, height: `${height}px`, transform: `translate(${vp.x}px, ${vp.y}px) scale(${vp.zoom})` },
    });
  } finally {
    restore();
  }
  const a = document.createElement("a");
  a.href = url;
  a.download = pngFileName(name);
  document.body.appendChild(a);
  a.click();
  a.remove();
}
