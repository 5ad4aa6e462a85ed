import { describe, expect, it } from "vitest";
import { branches, chain } from "../test/fixtures";
import { appendPosition, autoLayout, isChain, NODE_SIZE, rowLayout } from "./layout";

describe("layout", () => {
  it("lays a chain out top to bottom, every node placed, the input first", () => {
    const l = autoLayout(chain());
    const ys = [l.inputPosition.y, ...l.nodes.map((n) => n.position!.y)];
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    expect(new Set(ys).size).toBe(ys.length);
  });

  it("puts two branches side by side on one rank", () => {
    const l = autoLayout(branches());
    const [a, b] = ["a", "b"].map((id) => l.nodes.find((n) => n.id === id)!.position!);
    expect(a.y).toBe(b.y);
    expect(a.x).not.toBe(b.x);
  });

  it("knows a plain stack of layers from a graph", () => {
    expect(isChain(chain())).toBe(true);
    expect(isChain(branches())).toBe(false);
  });

  it("wraps a chain into rows of perRow, in reading order", () => {
    const l = rowLayout(chain(), 2);
    expect(l.inputPosition).toEqual({ x: 0, y: 0 });
    const pos = l.nodes.map((n) => n.position!);
    expect(pos[0].y).toBe(0);                  // conv1 sits right of the input
    expect(pos[1].y).toBeGreaterThan(0);       // relu1 starts the second row
    expect(pos[1].x).toBe(0);
    expect(pos[3].y).toBeGreaterThan(pos[1].y);
  });
});

describe("appending a node", () => {
  const placed = () => autoLayout(chain());

  it("goes below a node that feeds nothing yet", () => {
    const l = placed();
    const fc = l.nodes.find((n) => n.id === "fc")!.position!;
    expect(appendPosition(l, l.inputPosition, "fc")).toEqual({ x: fc.x, y: fc.y + NODE_SIZE.height + 50 });
  });

  it("after a node that already has a successor, lands beside that successor, overlapping no node", () => {
    const l = placed();
    const relu = l.nodes.find((n) => n.id === "relu1")!.position!;
    const at = appendPosition(l, l.inputPosition, "conv1");
    expect(at.y).toBe(relu.y);
    expect(at.x).toBeGreaterThanOrEqual(relu.x + NODE_SIZE.width);
    for (const n of l.nodes) {
      const p = n.position!;
      const apart = Math.abs(p.x - at.x) >= NODE_SIZE.width || Math.abs(p.y - at.y) >= NODE_SIZE.height;
      expect(apart).toBe(true);
    }
  });

  it("takes a taller measured node into account", () => {
    const l = placed();
    const fc = l.nodes.find((n) => n.id === "fc")!.position!;
    expect(appendPosition(l, l.inputPosition, "fc", { fc: { width: 190, height: 120 } }).y).toBe(fc.y + 170);
  });
});
