import { describe, expect, it } from "vitest";
import { preprocessingText } from "./preprocessing";

describe("preprocessingText", () => {
  it("names the conversion, the fit and the statistics a model was trained with", () => {
    expect(preprocessingText({ dataset: "ds", convert: "rgb", resize: [20, 16], fit: "pad", mean: [0.1, 0.2, 0.3], std: [0.3, 0.25, 0.2] }))
      .toBe("grey copied to RGB · resized to 20×16 (letterbox pad) · mean 0.1/0.2/0.3 std 0.3/0.25/0.2");
    expect(preprocessingText({ dataset: "ds", resize: [32, 32] })).toBe("resized to 32×32 (centre crop)");
  });
  it("says nothing for data that went in as it is", () => {
    expect(preprocessingText({ dataset: "mnist", transforms: [] })).toBeNull();
    expect(preprocessingText(undefined)).toBeNull();
  });
});
