import { describe, expect, it } from "vitest";
import { rankLayers } from "./search";

const layers = [
  { type: "GELU", category: "activation", doc: "Gaussian error linear unit" },
  { type: "Linear", category: "dense", doc: "A fully connected layer" },
  { type: "ReLU", category: "activation", doc: "max(0, x)" },
  { type: "ConvTranspose2d", category: "convolution", doc: "" },
  { type: "Conv2d", category: "convolution", doc: "" },
  { type: "BatchNorm2d", category: "normalization", doc: "" },
];

describe("palette search", () => {
  it("ranks a name that starts with the text before one whose description mentions it", () => {
    expect(rankLayers(layers, "lin").map((l) => l.type)).toEqual(["Linear", "GELU"]);
  });

  it("an exact name first, then prefixes, then a word inside the name", () => {
    expect(rankLayers(layers, "conv2d").map((l) => l.type)[0]).toBe("Conv2d");
    expect(rankLayers(layers, "transpose").map((l) => l.type)).toEqual(["ConvTranspose2d"]);
    expect(rankLayers(layers, "norm").map((l) => l.type)).toEqual(["BatchNorm2d"]);
  });

  it("no match: nothing; no text: every layer", () => {
    expect(rankLayers(layers, "zzz")).toEqual([]);
    expect(rankLayers(layers, " ")).toHaveLength(layers.length);
  });
});
