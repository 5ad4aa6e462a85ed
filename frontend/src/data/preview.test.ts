import { describe, expect, it } from "vitest";
import { importForm, resizeProblem, shapeText, sizesText, suggestedResize } from "./preview";

describe("import preview", () => {
  it("suggests the commonest size only when sizes are mixed", () => {
    expect(suggestedResize({ sizes: [{ height: 28, width: 28, count: 10 }] })).toBe("");
    expect(suggestedResize({ sizes: [{ height: 30, width: 40, count: 2 }, { height: 50, width: 50, count: 5 }] }))
      .toBe("50,50");
  });
  it("accepts H,W and HxW, refuses the rest", () => {
    expect(resizeProblem("")).toBeNull();
    expect(resizeProblem("32,32")).toBeNull();
    expect(resizeProblem("64x48")).toBeNull();
    expect(resizeProblem("32")).not.toBeNull();
    expect(resizeProblem("0,32")).not.toBeNull();
    expect(resizeProblem("a,b")).not.toBeNull();
  });
  it("sends only the options that were given", () => {
    const form = importForm(new File(["x"], "p.zip"), { name: " photos ", labelColumn: "", resize: "32,32", testFraction: "" });
    expect([...form.keys()]).toEqual(["file", "name", "resize"]);
    expect(form.get("name")).toBe("photos");
  });
  it("writes sizes and shapes", () => {
    expect(sizesText({ sizes: [{ height: 30, width: 40, count: 4 }], sizes_more: 2 })).toBe("30x40 (4) and 2 more");
    expect(shapeText([3, 32, 32])).toBe("3x32x32");
    expect(shapeText(null)).toBe("");
  });
});
