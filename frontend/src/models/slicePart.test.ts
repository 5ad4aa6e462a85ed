import { describe, expect, it } from "vitest";
import { branches, chain, chainAnalysis } from "../test/fixtures";
import { cutTitle, describePart, partLabel, upTo } from "./slicePart";

describe("what a slice keeps", () => {
  it("double-click keeps the node and every node it depends on, not what comes after", () => {
    expect(upTo(chain(), "flatten")).toEqual(new Set(["conv1", "relu1", "flatten"]));
    expect(upTo(branches(), "sum")).toEqual(new Set(["a", "b", "sum"]));
  });

  it("a connected run of layers is a part, in network order, with its shapes and params", () => {
    const part = describePart(chain(), chainAnalysis(), new Set(["flatten", "conv1", "relu1"]));
    expect(part).toMatchObject({ keep: ["conv1", "relu1", "flatten"], problem: null, params: 80,
                                 input: [1, 28, 28], output: [5408] });
    expect(partLabel(part)).toBe("3 layers: conv1 … flatten · in (1, 28, 28) → out (5408)");
  });

  it("a selection with a gap reads two things from outside it and says which", () => {
    const part = describePart(chain(), chainAnalysis(), new Set(["conv1", "flatten"]));
    expect(part.problem).toMatch(/exactly one input from outside/);
    expect(part.problem).toContain("flatten reads relu1");
  });

  it("two branches without their join end in two layers", () => {
    const part = describePart(branches(), null, new Set(["a", "b"]));
    expect(part.problem).toBe("The selection must end in one layer; these are not used inside it: a, b.");
  });

  it("an empty selection is no part and no problem", () => {
    expect(describePart(chain(), null, new Set())).toEqual({ keep: [], params: 0, problem: null });
  });

  it("a suggested cut keeps what double-clicking its layer keeps, and its chip says where and how big", () => {
    const cut = { node: "flatten", label: "before the classifier", kind: "classifier" as const, shape: [5408], params: 80 };
    const part = describePart(chain(), chainAnalysis(), upTo(chain(), cut.node));
    expect(part).toMatchObject({ keep: ["conv1", "relu1", "flatten"], problem: null, params: cut.params, output: cut.shape });
    expect(cutTitle(cut)).toBe("before the classifier · out (5408) · 80 params");
  });
});
