import { describe, expect, it } from "vitest";
import type { NetworkSpec } from "../design/convert";
import { buildHierarchy, initialExpanded, representative, search, visibleItems } from "./hierarchy";
import { hierarchyFlow } from "./hierarchyFlow";

/** A ResNet-like document: a stem, `stages` stages of `blocks` residual blocks (conv, conv, add), a classifier. */
function resnet(stages: number, blocks: number): NetworkSpec {
  const nodes: NetworkSpec["nodes"] = [{ id: "stem", type: "Conv2d", inputs: ["input"], group: "model.embedder.conv" },
    { id: "stem_act", type: "ReLU", inputs: ["stem"], group: "model.embedder.act" }];
  let last = "stem_act";
  for (let s = 0; s < stages; s++) for (let b = 0; b < blocks; b++) {
    const g = `model.encoder.stages.${s}.layers.${b}`;
    const p = `s${s}_b${b}`;
    nodes.push({ id: `${p}_c1`, type: "Conv2d", inputs: [last], group: `${g}.conv1` },
      { id: `${p}_c2`, type: "Conv2d", inputs: [`${p}_c1`], group: `${g}.conv2` },
      { id: `${p}_add`, type: "Add", inputs: [`${p}_c2`, last], group: g });
    last = `${p}_add`;
  }
  nodes.push({ id: "flat", type: "Flatten", inputs: [last] }, { id: "fc", type: "Linear", inputs: ["flat"], group: "classifier" });
  return { input: { shape: [3, 32, 32] }, nodes };
}

describe("module hierarchy", () => {
  it("opens a ResNet on its stem, its stages and its classifier, each stage one box", () => {
    const h = buildHierarchy(resnet(4, 3));
    const { items } = visibleItems(h, initialExpanded(h));
    expect(items).toEqual(["stem", "stem_act", "blk:model.encoder.stages.0", "blk:model.encoder.stages.1",
      "blk:model.encoder.stages.2", "blk:model.encoder.stages.3", "flat", "fc"]);
    expect(h.blocks.get("blk:model.encoder.stages.1")!.out).toBe("s1_b2_add");
    expect(h.blocks.get("blk:model.encoder.stages.1")!.layers).toHaveLength(9);
  });

  it("draws a layer as its outermost closed block; opening a stage shows its blocks", () => {
    const h = buildHierarchy(resnet(2, 2));
    const open = new Set(["blk:model", "blk:model.encoder", "blk:model.encoder.stages.1"]);
    expect(representative(h, open, "s0_b1_c1")).toBe("blk:model.encoder.stages.0");
    expect(representative(h, open, "s1_b1_c1")).toBe("blk:model.encoder.stages.1.layers.1");
    expect(visibleItems(h, open).frames).toContain("blk:model.encoder.stages.1");
  });

  it("keeps a layer named like its module (`embedder` in module `embedder`) apart from the block", () => {
    const doc: NetworkSpec = { input: { shape: [1, 8, 8] }, nodes: [
      { id: "conv", type: "Conv2d", inputs: ["input"], group: "embedder.conv" },
      { id: "embedder", type: "ReLU", inputs: ["conv"], group: "embedder" },
      { id: "fc", type: "Linear", inputs: ["embedder"] }] };
    const h = buildHierarchy(doc);
    expect(visibleItems(h, new Set()).items).toEqual(["blk:embedder", "fc"]);
    expect(visibleItems(h, new Set(["blk:embedder"])).items).toEqual(["conv", "embedder", "fc"]);
  });

  it("finds a layer by id, type or module path", () => {
    const doc = resnet(2, 2);
    const h = buildHierarchy(doc);
    expect(search(doc, h, "s1_b0_add")[0]).toBe("s1_b0_add");
    expect(search(doc, h, "stages.1")[0]).toBe("blk:model.encoder.stages.1");
    expect(search(doc, h, "linear")).toEqual(["fc"]);
    expect(search(doc, h, "nothing-like-it")).toEqual([]);
  });

  it("lays the boxes out without overlaps, opened frames around their contents, shapes on the edges", () => {
    const doc = resnet(3, 3);
    const h = buildHierarchy(doc);
    const open = new Set([...initialExpanded(h), "blk:model.encoder.stages.1", "blk:model.encoder.stages.1.layers.2"]);
    const noop = () => undefined;
    const { nodes, edges } = hierarchyFlow(doc, null, h, open, new Set(), null, { onToggle: noop, onCut: noop });
    const boxes = nodes.filter((n) => n.type !== "frame").map((n) => ({ id: n.id, ...n.position, w: n.width!, h: n.height! }));
    for (const a of boxes) for (const b of boxes) if (a.id < b.id) {
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
    }
    const frame = nodes.find((n) => n.id === "frame:model.encoder.stages.1")!;
    const inner = nodes.find((n) => n.id === "blk:model.encoder.stages.1.layers.0")!;
    expect(inner.position.y).toBeGreaterThan(frame.position.y);
    expect(inner.position.y + inner.height!).toBeLessThan(frame.position.y + frame.height!);
    expect(edges.find((e) => e.source === "input")!.label).toBe("(3, 32, 32)");
  });
});
