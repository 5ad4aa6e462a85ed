import { describe, expect, it } from "vitest";
import { chainAnalysis } from "../test/fixtures";
import { planSave } from "./saving";

const saved = [{ id: "net-aaa", name: "tiny" }, { id: "net-bbb", name: "other" }];

describe("save plan", () => {
  it("a new name saves a new network without asking", () => {
    expect(planSave("fresh", null, null, saved, chainAnalysis())).toEqual({ target: null, question: null });
  });

  it("a name that is already saved asks before replacing that network", () => {
    const p = planSave("tiny", null, null, saved, chainAnalysis());
    expect(p.target).toBe("net-aaa");
    expect(p.question).toContain("“tiny” is already saved");
  });

  it("saving over the opened network asks once; after that (trusted) it saves at once", () => {
    expect(planSave("tiny", "net-aaa", null, saved, chainAnalysis()).question).toContain("Replace the saved network “tiny”");
    expect(planSave("tiny", "net-aaa", "net-aaa", saved, chainAnalysis())).toEqual({ target: "net-aaa", question: null });
  });

  it("an invalid network is saved only after a warning that names its issues", () => {
    const bad = { ...chainAnalysis(), ok: false, issues: [
      { code: "bad_param", message: "Input should be a valid integer", node: "conv1", field: "out_channels", severity: "error" },
    ] } as ReturnType<typeof chainAnalysis>;
    const p = planSave("fresh", null, null, saved, bad);
    expect(p.target).toBeNull();
    expect(p.question).toContain("not valid (1 issue)");
    expect(p.question).toContain("conv1.out_channels: Input should be a valid integer");
  });
});
