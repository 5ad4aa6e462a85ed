import type { Analysis, NetworkSpec } from "../design/convert";

/** input -> conv1 -> relu1 -> flatten -> fc; a residual-free chain like the example CNN's front. */
export const chain = (): NetworkSpec => ({
  format: "graft.network/v1", name: "tiny", input: { shape: [1, 28, 28] },
  nodes: [
    { id: "conv1", type: "Conv2d", params: { out_channels: 8, kernel_size: 3 }, inputs: ["input"] },
    { id: "relu1", type: "ReLU", params: {}, inputs: ["conv1"] },
    { id: "flatten", type: "Flatten", params: {}, inputs: ["relu1"] },
    { id: "fc", type: "Linear", params: { out_features: 10 }, inputs: ["flatten"] },
  ],
});

/** input -> a, input -> b, add(a, b) -> out: two branches that join. */
export const branches = (): NetworkSpec => ({
  input: { shape: [4] },
  nodes: [
    { id: "a", type: "Linear", params: { out_features: 4 }, inputs: ["input"] },
    { id: "b", type: "Linear", params: { out_features: 4 }, inputs: ["input"] },
    { id: "sum", type: "Add", params: {}, inputs: ["a", "b"] },
    { id: "out", type: "Linear", params: { out_features: 2 }, inputs: ["sum"] },
  ],
});

export const chainAnalysis = (): Analysis => ({
  ok: true, issues: [], total_params: 80 + 8 * 26 * 26 * 10 + 10,
  shapes: { conv1: [8, 26, 26], relu1: [8, 26, 26], flatten: [5408], fc: [10] },
  params: { conv1: 80, relu1: 0, flatten: 0, fc: 54090 },
  output_shape: [10], order: ["conv1", "relu1", "flatten", "fc"],
});
