import { describe, expect, it } from "vitest";
import { chain, chainAnalysis } from "../test/fixtures";
import { freshId, fromDocument, INPUT_ID, removeEdges, removeNodes, renameNode, toDocument, toFlow } from "./convert";

describe("canvas <-> network document", () => {
  it("a document drawn and sent back keeps its nodes, edges and params", () => {
    const doc = chain();
    const back = toDocument(fromDocument(doc));
    expect(back.nodes.map((n) => [n.id, n.type, n.inputs, n.params])).toEqual(
      doc.nodes.map((n) => [n.id, n.type, n.inputs, n.params]));
    expect(back.input).toEqual(doc.input);
    expect(back).not.toHaveProperty("outputs");
  });

  it("fills missing inputs and params so the canvas can edit them", () => {
    const d = fromDocument({ input: { shape: [3] }, nodes: [{ id: "x", type: "ReLU" }] });
    expect(d.doc.nodes[0]).toMatchObject({ inputs: [], params: {} });
  });

  it("draws the input, one node per layer and one edge per input port, labelled with the shape", () => {
    const { nodes, edges } = toFlow(fromDocument(chain()), chainAnalysis(), new Set(["relu1"]));
    expect(nodes.map((n) => n.id)).toEqual([INPUT_ID, "conv1", "relu1", "flatten", "fc"]);
    expect(nodes.find((n) => n.id === "relu1")?.selected).toBe(true);
    expect(nodes.find((n) => n.id === "fc")?.data).toMatchObject({ params: 54090, shape: [10] });
    expect(edges.map((e) => [e.source, e.target, e.label])).toEqual([
      ["input", "conv1", "(1, 28, 28)"], ["conv1", "relu1", "(8, 26, 26)"],
      ["relu1", "flatten", "(8, 26, 26)"], ["flatten", "fc", "(5408)"]]);
  });

  it("pins an issue on its node and reddens the edge of the port it names", () => {
    const analysis = { ...chainAnalysis(), ok: false,
                       issues: [{ code: "shape", message: "bad", node: "fc", port: 0, field: null, expected: null, found: null,
                                 severity: "error" }] };
    const { nodes, edges } = toFlow(fromDocument(chain()), analysis, new Set());
    expect(nodes.find((n) => n.id === "fc")?.data.issues).toHaveLength(1);
    expect(nodes.find((n) => n.id === "conv1")?.data.issues).toHaveLength(0);
    expect(edges.find((e) => e.target === "fc")?.style).toMatchObject({ stroke: "var(--danger)" });
    expect(edges.find((e) => e.target === "conv1")?.style).toBeUndefined();
  });
});

describe("editing the drawing", () => {
  it("removing a node removes every reference to it, and outputs that become empty", () => {
    const d = fromDocument({ ...chain(), outputs: ["relu1"] });
    const out = removeNodes(d, new Set(["relu1"]));
    expect(out.doc.nodes.map((n) => n.id)).toEqual(["conv1", "flatten", "fc"]);
    expect(out.doc.nodes.find((n) => n.id === "flatten")?.inputs).toEqual([]);
    expect(out.doc.outputs).toBeUndefined();
  });

  it("removing an edge drops only that input port", () => {
    const out = removeEdges(fromDocument(chain()), new Set(["conv1->relu1#0"]));
    expect(out.doc.nodes.find((n) => n.id === "relu1")?.inputs).toEqual([]);
    expect(out.doc.nodes.find((n) => n.id === "fc")?.inputs).toEqual(["flatten"]);
  });

  it("renaming a node renames the inputs and outputs that read it", () => {
    const out = renameNode(fromDocument({ ...chain(), outputs: ["conv1"] }), "conv1", "stem");
    expect(out.doc.nodes[0].id).toBe("stem");
    expect(out.doc.nodes[1].inputs).toEqual(["stem"]);
    expect(out.doc.outputs).toEqual(["stem"]);
  });

  it("a fresh id is a valid identifier not already taken", () => {
    expect(freshId("Conv2d", ["conv2d_1", "conv2d_2"])).toBe("conv2d_3");
    expect(freshId("3D-thing", [])).toBe("_3d_thing_1");
  });
});
