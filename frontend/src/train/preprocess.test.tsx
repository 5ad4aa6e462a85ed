import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Issue } from "../api/client";
import PreprocessFields, { NO_PREP, prepErrors, prepFieldsOf, resizeOf } from "./PreprocessFields";

const issue = (field: string, message: string): Issue => ({ code: "invalid_request", message, field } as Issue);

describe("Train page preprocessing fields", () => {
  it("send nothing when empty, and the data reference's fields when filled", () => {
    expect(prepFieldsOf(NO_PREP)).toEqual({});
    expect(prepFieldsOf({ resize: "32, 24", fit: "pad", mean: "0.485,0.456,0.406", std: "0.229 0.224 0.225" }))
      .toEqual({ resize: [32, 24], fit: "pad", mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(prepFieldsOf({ ...NO_PREP, resize: "20x12" })).toEqual({ resize: [20, 12] });
    expect(resizeOf({ ...NO_PREP, resize: "20×12" })).toEqual([20, 12]);
    expect(resizeOf({ ...NO_PREP, resize: "20" })).toBeNull();
  });

  it("leave a part that is not a number as written, for the server to name", () => {
    expect(prepFieldsOf({ ...NO_PREP, resize: "32,big" })).toEqual({ resize: [32, "big"] });
  });

  it("put the server's validation errors on the field they name (main data, heads, unlabeled)", () => {
    const errors = prepErrors([
      issue("body.data.DataRef.resize.0", "expected a number >= 1, found 0"),
      issue("body.data.str", "expected text, found {...}"),
      issue("data.std", "expected as many numbers as mean (1), found 2"),
      issue("body.tasks.1.data.DataRef.fit", "expected crop or pad"),
      issue("body.hparams.lr", "expected a number"),
    ]);
    expect(errors).toEqual({ resize: "first number: expected a number >= 1, found 0",
                             std: "expected as many numbers as mean (1), found 2", fit: "expected crop or pad" });
  });

  it("render each error beside its field, marked invalid, and none when all is well", () => {
    const html = renderToStaticMarkup(<PreprocessFields value={{ ...NO_PREP, resize: "0,5" }} onChange={() => {}}
                                                        errors={{ resize: "first number: expected a number >= 1, found 0" }} />);
    expect(html).toMatch(/aria-label="Resize"[^>]*aria-invalid="true"[^>]*aria-describedby="prep-resize-error"/);
    expect(html).toContain('<span id="prep-resize-error" class="field-error" role="alert">first number: expected a number &gt;= 1, found 0</span>');
    expect(html).not.toMatch(/aria-label="Mean"[^>]*aria-invalid/);
    const clean = renderToStaticMarkup(<PreprocessFields value={NO_PREP} onChange={() => {}} errors={{}} />);
    expect(clean).not.toContain("aria-invalid");
    expect(clean).toContain('<option value="" selected="">crop (default)</option>');
  });
});
