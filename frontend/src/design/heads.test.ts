import { describe, expect, it } from "vitest";
import type { Analysis } from "../api/client";
import { addHead } from "./heads";
import type { Drawing } from "./convert";

const grafted = (): Drawing => ({
  inputPosition: { x: 0, y: 0 },
  doc: { input: { shape: [1, 28, 28] }, nodes: [
    { id: "base", type: "Foundation", params: { ref: "fnd-000000000000" }, inputs: ["input"], position: { x: 0, y: 100 } },
    { id: "fc", type: "Linear", params: { out_features: 10 }, inputs: ["base"], position: { x: 0, y: 200 } },
  ] },
});
const analysis = (shape: number[]) => ({ shapes: { base: shape } }) as unknown as Analysis;

describe("addHead", () => {
  it("appends a Linear head on the foundation and lists both heads as outputs", () => {
    const out = addHead(grafted(), 2, analysis([256]))!;
    const head = out.drawing.doc.nodes.find((n) => n.id === out.head)!;
    expect(head).toMatchObject({ type: "Linear", params: { out_features: 2 }, inputs: ["base"] });
    expect(out.drawing.doc.outputs).toEqual(["fc", out.head]);
  });

  it("flattens a foundation whose output is a feature map, and a third head keeps the first two", () => {
    const two = addHead(grafted(), 2, analysis([8, 13, 13]))!;
    const flat = two.drawing.doc.nodes.find((n) => n.type === "Flatten")!;
    expect(flat.inputs).toEqual(["base"]);
    expect(two.drawing.doc.nodes.find((n) => n.id === two.head)!.inputs).toEqual([flat.id]);
    const three = addHead(two.drawing, 5, analysis([8, 13, 13]))!;
    expect(three.drawing.doc.outputs).toEqual(["fc", two.head, three.head]);
  });

  it("does nothing without a Foundation node", () => {
    const d = grafted();
    d.doc.nodes = d.doc.nodes.filter((n) => n.type !== "Foundation");
    expect(addHead(d, 2, null)).toBeNull();
  });
});
