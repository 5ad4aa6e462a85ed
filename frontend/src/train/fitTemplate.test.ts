import { describe, expect, it } from "vitest";
import { fitTemplate } from "./LaunchForm";
import type { NetworkSpec } from "../design/convert";

const mlp: NetworkSpec = { name: "mlp", input: { shape: [1, 28, 28] }, nodes: [
  { id: "flatten", type: "Flatten", params: {}, inputs: ["input"] },
  { id: "fc1", type: "Linear", params: { out_features: 128 }, inputs: ["flatten"] },
  { id: "fc2", type: "Linear", params: { out_features: 10 }, inputs: ["fc1"] },
] } as NetworkSpec;

describe("fitTemplate", () => {
  it("gives a template the data set's image shape and class count", () => {
    const fitted = fitTemplate(mlp, { shape: [3, 32, 32], classes: 2 });
    expect(fitted.input.shape).toEqual([3, 32, 32]);
    expect(fitted.nodes.map((n) => n.params?.out_features)).toEqual([undefined, 128, 2]);
    expect(mlp.nodes[2].params?.out_features).toBe(10);   // the template itself is left as it was
  });
  it("leaves a network alone when the data set's shape and classes are not known", () => {
    expect(fitTemplate(mlp, {})).toEqual(mlp);
  });
});
