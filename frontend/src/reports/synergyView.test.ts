import { describe, expect, it } from "vitest";
import { describeTask } from "../lib/describeData";
import { points } from "./SynergyView";

describe("synergy report wording", () => {
  it("says a task's data in words: relabelling, labels per class, limits", () => {
    expect(describeTask({ dataset: "mnist", transforms: [{ relabel: { map: [0, 1], classes: ["even", "odd"] } }, { per_class: 20, seed: 0 }] }))
      .toBe("mnist, relabelled even/odd, 20 per class");
    expect(describeTask({ dataset: "fashion-mnist", transforms: [{ limit: 300 }, { keep_classes: [5, 6] }] }))
      .toBe("fashion-mnist, first 300, classes 5, 6");
    expect(describeTask({ dataset: "mnist" })).toBe("mnist");
  });
  it("signs a difference in points, negative when joint training hurt", () => {
    expect(points(-0.0042)).toBe("−0.42 pt");
    expect(points(0.012)).toBe("+1.20 pt");
  });
});
